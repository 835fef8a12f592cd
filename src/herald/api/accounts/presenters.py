"""Domain objects -> the outreach API's JSON shapes."""

from __future__ import annotations

import uuid

from herald.kit.clock import isoformat
from herald.outreach.leads import ConversationItem, ImportResult
from herald.outreach.models import AccountGroup, Enrollment, Lead, OutreachCampaign

from .schemas import (
    AccountGroupOut,
    CampaignLeadOut,
    CampaignOut,
    ConversationMessageOut,
    ImportOut,
    LeadOut,
    RejectedOut,
)


def _id(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def group_out(group: AccountGroup) -> AccountGroupOut:
    return AccountGroupOut(
        id=str(group.id), name=group.name, created_at=isoformat(group.created_at) or ""
    )


def campaign_out(campaign: OutreachCampaign, selected: int) -> CampaignOut:
    return CampaignOut(
        id=str(campaign.id),
        name=campaign.name,
        description=campaign.description,
        status=campaign.status,
        selected_lead_count=selected,
        include_conversation_history=campaign.include_conversation_history,
        auto_cancel_on_message_received=campaign.auto_cancel_on_message_received,
        outreach_language=campaign.outreach_language,
        created_at=isoformat(campaign.created_at) or "",
        updated_at=isoformat(campaign.updated_at) or "",
        started_at=isoformat(campaign.started_at),
        rate_limited_until=isoformat(campaign.rate_limited_until),
    )


def campaign_lead_out(enrollment: Enrollment) -> CampaignLeadOut:
    return CampaignLeadOut(
        lead_id=str(enrollment.lead_id),
        state=enrollment.state,
        next_step=enrollment.step_index,
        next_step_at=isoformat(enrollment.due_at),
        error_code=enrollment.error_code,
        updated_at=isoformat(enrollment.updated_at) or "",
    )


def lead_out(lead: Lead) -> LeadOut:
    return LeadOut(
        id=str(lead.id),
        phone=lead.phone,
        first_name=lead.first_name,
        last_name=lead.last_name,
        email=lead.email,
        company=lead.company,
        language=lead.language,
        time_zone=lead.time_zone,
        fields=dict(lead.fields),
        created_at=isoformat(lead.created_at) or "",
        updated_at=isoformat(lead.updated_at) or "",
    )


def import_out(result: ImportResult) -> ImportOut:
    return ImportOut(
        created=result.created,
        updated=result.updated,
        lead_ids=[str(id) for id in result.lead_ids],
        rejected=[
            RejectedOut(index=r.index, phone=r.phone, reason=r.reason) for r in result.rejected
        ],
    )


def conversation_out(item: ConversationItem) -> ConversationMessageOut:
    return ConversationMessageOut(
        id=str(item.id),
        direction=item.direction,
        content=item.content,
        created_at=isoformat(item.at) or "",
        status=item.status,
        campaign_id=_id(item.campaign_id),
        step_index=item.step_index,
        language=item.language,
        message_id=_id(item.message_id),
    )
