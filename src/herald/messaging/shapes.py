"""Campaigns and messages as the messaging API (/c/v1) shows them, as plain JSON values.

The one definition of these shapes: the API's presenters validate them into its response
models, and webhook events carry them as their `data`, so that a subscriber receives a
resource exactly as `GET` would return it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from herald.kit.clock import isoformat
from herald.kit.money import format_micros
from herald.messaging.models import Campaign, Message
from herald.messaging.queries import Tally
from herald.tenancy.models import Remitter


def _id(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


def _remitter(
    remitter_id: uuid.UUID | None, remitters: Mapping[uuid.UUID, Remitter]
) -> dict[str, str] | None:
    if remitter_id is None or remitter_id not in remitters:
        return None
    remitter = remitters[remitter_id]
    return {"id": str(remitter.id), "name": remitter.name}


def campaign(
    campaign: Campaign, tally: Tally, remitters: Mapping[uuid.UUID, Remitter]
) -> dict[str, Any]:
    stored = dict(campaign.data)
    stored.pop("paused_from", None)
    data = {
        "reason_of_pause": stored.pop("reason_of_pause", None),
        **stored,
        "messages": {"total": tally.total, **tally.by_status},
        "cost": {
            "estimated": format_micros(campaign.estimated_cost_micros),
            "charged": format_micros(tally.cost_micros),
            "refunded": format_micros(tally.refunded_micros),
        },
    }
    return {
        "id": str(campaign.id),
        "name": campaign.name,
        "status": campaign.status,
        "organization_id": str(campaign.organization_id),
        "billing_account_id": str(campaign.billing_account_id),
        "trigger_source": campaign.trigger_source,
        "file_metadata_id": _id(campaign.file_metadata_id),
        "channel_type": campaign.channel_type,
        "sms_remitter_id": _id(campaign.remitter_id),
        "sms_remitter": _remitter(campaign.remitter_id, remitters),
        "content": campaign.content,
        "total_estimated_recipients": campaign.total_estimated_recipients,
        "scheduled_at": isoformat(campaign.scheduled_at),
        "processed_at": isoformat(campaign.processed_at),
        "completed_at": isoformat(campaign.completed_at),
        "error_code": campaign.error_code,
        "status_note": campaign.status_note,
        "data": data,
        "created_at": isoformat(campaign.created_at) or "",
        "updated_at": isoformat(campaign.updated_at),
    }


def message(message: Message, remitters: Mapping[uuid.UUID, Remitter]) -> dict[str, Any]:
    return {
        "id": str(message.id),
        "organization_id": str(message.organization_id),
        "billing_account_id": str(message.billing_account_id),
        "campaign_id": _id(message.campaign_id),
        "contact_id": _id(message.contact_id),
        "sms_remitter_id": _id(message.remitter_id),
        "sms_remitter": _remitter(message.remitter_id, remitters),
        "external_id": message.external_id,
        "channel_type": message.channel_type,
        "channel_destination": message.channel_destination,
        "provider_name": message.provider_name,
        "e164_format": message.e164_format,
        "content": message.content,
        "trigger_source": message.trigger_source,
        "cost": format_micros(message.cost_micros),
        "is_refunded": message.is_refunded,
        "status": message.status,
        "error_code": message.error_code,
        "read_at": isoformat(message.read_at),
        "created_at": isoformat(message.created_at) or "",
        "updated_at": isoformat(message.updated_at) or "",
    }
