"""The public shape of voice resources: what the voice API returns and what webhook events
carry, so that a subscriber sees a call or a campaign exactly as the API shows it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from herald.kit.money import format_micros
from herald.voice import public_ids as ids
from herald.voice.models import Agent, CallCampaign, LeadStatus, PhoneNumber
from herald.voice.waiting import NextCall

CALL_EVENT = "voice.call.status_changed"
CAMPAIGN_EVENT = "voice.campaign.status_changed"


def timestamp(value: datetime | None) -> str | None:
    """The seed's form: UTC, milliseconds, 'Z' (2024-03-01T09:00:00.000Z)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def campaign_view(
    campaign: CallCampaign, counts: dict[str, int], in_flight: int, next_call: NextCall
) -> dict[str, Any]:
    """`counts` are the campaign's leads by status; `in_flight` its calls on the line;
    `next_call` when it will dial next (waiting.py). Seed 004's fields, then Herald's."""
    finished = counts.get(LeadStatus.COMPLETED, 0) + counts.get(LeadStatus.FAILED, 0)
    pending = counts.get(LeadStatus.QUEUED, 0) + counts.get(LeadStatus.CALLING, 0)
    schedule = {"start_at": timestamp(campaign.start_at)} if campaign.start_at else None
    return {
        "id": ids.encode(ids.CAMPAIGN, campaign.id),
        "organization_id": ids.encode(ids.ORGANIZATION, campaign.organization_id),
        "name": campaign.name,
        "agent_id": ids.encode(ids.AGENT, campaign.agent_id),
        "from_phone_number": campaign.from_phone_number,
        "status": campaign.status,
        "max_concurrent_calls": campaign.max_concurrent_calls,
        "schedule": schedule,
        "calling_hours": campaign.calling_hours,
        "record_calls": campaign.record_calls,
        "retry": {
            "max_retries": campaign.max_retries,
            "retry_interval_minutes": campaign.retry_interval_minutes,
        },
        "total_leads": sum(counts.values()),
        "completed_calls": finished,
        "pending_calls": pending,
        "in_progress_calls": in_flight,
        "answered_leads": counts.get(LeadStatus.COMPLETED, 0),
        "failed_leads": counts.get(LeadStatus.FAILED, 0),
        "cancelled_leads": counts.get(LeadStatus.CANCELLED, 0),
        "pause_reason": campaign.pause_reason,
        "next_call_at": timestamp(next_call.at),
        "waiting_reason": next_call.reason,
        "started_at": timestamp(campaign.started_at),
        "completed_at": timestamp(campaign.completed_at),
        "created_at": timestamp(campaign.created_at),
        "updated_at": timestamp(campaign.updated_at),
    }


def call_view(call: Any) -> dict[str, Any]:
    """A call row (with `lead_name`) as the call log shows it."""
    return {
        "id": ids.encode(ids.CALL, call.id),
        "campaign_id": ids.encode(ids.CAMPAIGN, call.campaign_id),
        "lead": {
            "id": ids.encode(ids.LEAD, call.lead_id),
            "name": call.lead_name,
            "phone_number": call.to_number,
        },
        "to_phone_number": call.to_number,
        "from_phone_number": call.from_number,
        "status": call.status,
        "attempt_number": call.attempt,
        "answered_by": call.answered_by,
        "outcome": call.outcome,
        "answers": call.answers or {},
        "error_code": call.error_code,
        "started_at": timestamp(call.started_at),
        "answered_at": timestamp(call.answered_at),
        "ended_at": timestamp(call.ended_at),
        "duration_seconds": call.duration_seconds,
        "billable_minutes": call.billable_minutes,
        "price_per_minute": format_micros(call.price_per_minute_micros),
        "cost": format_micros(call.cost_micros),
        "created_at": timestamp(call.created_at),
        "recording_seconds": call.recording_seconds,
        "recording_url": (
            f"/v1/calls/{ids.encode(ids.CALL, call.id)}/recording"
            if call.recording_seconds is not None
            else None
        ),
    }


def agent_view(agent: Agent) -> dict[str, Any]:
    return {
        "id": ids.encode(ids.AGENT, agent.id),
        "name": agent.name,
        "greeting": agent.greeting,
        "message": agent.message,
        "language": agent.language,
        "voice": agent.voice,
        "questions": agent.questions,
        "voicemail": agent.voicemail,
        "outcome_labels": agent.outcome_labels,
        "max_call_duration_seconds": agent.max_call_duration_seconds,
        "bridge": agent.bridge,
        "created_at": timestamp(agent.created_at),
        "updated_at": timestamp(agent.updated_at),
    }


def number_view(number: PhoneNumber) -> dict[str, Any]:
    return {
        "id": ids.encode(ids.PHONE_NUMBER, number.id),
        "phone_number": number.e164,
        "country": number.country_alpha2,
        "label": number.label,
        "created_at": timestamp(number.created_at),
    }
