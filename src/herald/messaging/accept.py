"""Accepting work: a batch campaign (stored, expanded later by a worker) or a single
message (priced, billed and queued at once, ahead of batch traffic)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from herald.billing import service as billing
from herald.billing.service import PriceList
from herald.errors import InsufficientFunds, ValidationFailed
from herald.inbound import service as inbound
from herald.kit.clock import Clock
from herald.kit.ids import new_id
from herald.messaging import repository, settle
from herald.messaging.encoding import DEFAULT_MAX_SEGMENTS, too_long
from herald.messaging.models import Campaign, CampaignStatus, Message, MessageStatus
from herald.messaging.plan import PricedDestination, estimate_cost, plan_recipients
from herald.routing import service as routing
from herald.tenancy.service import Principal, approved_remitter
from herald.whatsapp import channel as whatsapp
from herald.whatsapp.templates import TemplateRequest

SINGLE_MESSAGE_PRIORITY = 10
SINGLE_MESSAGE_UNPAID = (
    "Your account balance is too low to send this message. Please top up your credits."
)
BATCH_PRIORITY = 0


@dataclass(frozen=True, slots=True)
class BatchRequest:
    name: str
    remitter_id: uuid.UUID
    content: str
    channel_type: str
    recipients: list[str]
    country_alpha2: str | None = None
    scheduled_at: datetime | None = None
    max_segments: int = DEFAULT_MAX_SEGMENTS
    template: TemplateRequest | None = None  # WHATSAPP only


@dataclass(frozen=True, slots=True)
class MessageRequest:
    remitter_id: uuid.UUID
    content: str
    channel_type: str
    recipient: str
    country_alpha2: str | None = None
    external_id: str | None = None
    contact_id: uuid.UUID | None = None
    max_segments: int = DEFAULT_MAX_SEGMENTS
    template: TemplateRequest | None = None  # WHATSAPP only


@dataclass(frozen=True, slots=True)
class Content:
    """What a message says and how it is priced, by its channel."""

    text: str
    payload: dict[str, Any] | None  # the channel's extra (a WhatsApp template)
    price_channel: str  # the price list's channel_type
    whole: bool  # priced per message, not per SMS segment


def content_of(
    session: Session,
    channel_type: str,
    content: str,
    template: TemplateRequest | None,
    max_segments: int,
) -> Content:
    """Check the content for its channel (a 422 names the problem)."""
    if channel_type == whatsapp.CHANNEL:
        prepared = whatsapp.prepare(session, content, template)
        return Content(prepared.content, prepared.payload, prepared.price_channel, True)
    if template is not None:
        raise ValidationFailed({"template": "Only WHATSAPP messages use templates."})
    if not content:
        raise ValidationFailed({"content": "Field required."})
    refuse_long_content(content, max_segments)
    return Content(content, None, channel_type, False)


def estimate_batch(session: Session, principal: Principal, request: BatchRequest) -> int:
    """The most a batch can cost (what accepting it checks against the wallet), after the
    checks that would refuse it: content too long, a sender ID not approved."""
    return _estimate(session, principal, request)[1]


def _estimate(session: Session, principal: Principal, request: BatchRequest) -> tuple[Content, int]:
    content = content_of(
        session, request.channel_type, request.content, request.template, request.max_segments
    )
    approved_remitter(session, principal.organization_id, request.remitter_id, "remitter_id")
    cost = estimate_cost(
        request.recipients,
        content.text,
        request.country_alpha2,
        PriceList.load(session, content.price_channel),
        whole=content.whole,
    )
    return content, cost


def accept_batch(
    session: Session,
    clock: Clock,
    principal: Principal,
    request: BatchRequest,
    trigger_source: str = "API",
) -> Campaign:
    """Store the campaign for a worker to expand; refuse it (402) if the wallet cannot
    cover the estimated cost. Nothing slow or irreversible happens here."""
    content, estimate = _estimate(session, principal, request)
    account = billing.get_account(session, principal.billing_account_id)
    if account.balance_micros < estimate:
        raise InsufficientFunds(billing.INSUFFICIENT_FUNDS_MESSAGE)
    now = clock.now()
    scheduled = request.scheduled_at is not None and request.scheduled_at > now
    campaign = Campaign(
        id=new_id(),
        organization_id=principal.organization_id,
        billing_account_id=principal.billing_account_id,
        name=request.name,
        status=CampaignStatus.SCHEDULED if scheduled else CampaignStatus.PROCESSING,
        trigger_source=trigger_source,
        file_metadata_id=None,
        channel_type=request.channel_type,
        remitter_id=request.remitter_id,
        content=content.text,
        country_alpha2=request.country_alpha2,
        recipients=list(request.recipients),
        total_estimated_recipients=len(request.recipients),
        estimated_cost_micros=estimate,
        scheduled_at=request.scheduled_at,
        status_note="Campaign accepted and is pending processing.",
        data=_campaign_data(content),
        due_at=request.scheduled_at if scheduled else now,
        created_at=now,
        updated_at=now,
    )
    repository.add_campaign(session, campaign)
    return campaign


def send_message(
    session: Session,
    clock: Clock,
    principal: Principal,
    request: MessageRequest,
    trigger_source: str = "API",
) -> Message:
    """Price, bill and queue one message now, ahead of batch traffic."""
    content = content_of(
        session, request.channel_type, request.content, request.template, request.max_segments
    )
    remitter = approved_remitter(
        session, principal.organization_id, request.remitter_id, "remitter_id"
    )
    plan = plan_recipients(
        [request.recipient],
        content.text,
        request.country_alpha2,
        routing.detector(session),
        PriceList.load(session, content.price_channel),
        whole=content.whole,
    )
    if not plan.destinations:
        raise ValidationFailed({"recipient": "Not a valid phone number for any country."})
    inbound.refuse_if_suppressed(
        session, principal.organization_id, plan.destinations[0].destination.e164, "recipient"
    )
    row = message_row(
        principal.organization_id,
        principal.billing_account_id,
        None,
        remitter.id,
        request.channel_type,
        content.text,
        plan.text.encoding,
        1 if content.whole else plan.text.segments,
        plan.destinations[0],
        trigger_source=trigger_source,
        priority=SINGLE_MESSAGE_PRIORITY,
        now=clock.now(),
        external_id=request.external_id,
        contact_id=request.contact_id,
        payload=content.payload,
    )
    try:
        billing.debit(
            session,
            clock,
            principal.billing_account_id,
            row["cost_micros"],
            f"debit:message:{row['id']}",
            f"Message to {row['e164_format']}",
        )
    except InsufficientFunds as exc:
        raise InsufficientFunds(SINGLE_MESSAGE_UNPAID) from exc
    repository.insert_messages(session, [row])
    if request.channel_type == whatsapp.CHANNEL and content.payload is None:
        reject_closed_windows(session, clock, principal.organization_id, remitter.name, [row])
    message = repository.get_message(session, principal.organization_id, row["id"])
    assert message is not None
    return message


def _campaign_data(content: Content) -> dict[str, Any]:
    data: dict[str, Any] = {"reason_of_pause": None}
    if content.whole:  # what expansion prices and sends each message with
        data["channel"] = {"payload": content.payload, "price_channel": content.price_channel}
    return data


def reject_closed_windows(
    session: Session,
    clock: Clock,
    organization_id: uuid.UUID,
    business_number: str,
    rows: list[dict[str, Any]],
) -> None:
    """Free-form WhatsApp texts to people whose 24-hour window is closed are REJECTED
    (and refunded) at once: never sent, since Meta would refuse them."""
    closed = whatsapp.closed_windows(
        session, organization_id, business_number, [r["e164_format"] for r in rows], clock.now()
    )
    settle.finish(
        session,
        clock,
        [
            (r["id"], MessageStatus.REJECTED, whatsapp.WINDOW_CLOSED)
            for r in rows
            if r["e164_format"] in closed
        ],
    )


def refuse_long_content(content: str, max_segments: int, field: str = "content") -> None:
    problem = too_long(content, max_segments)
    if problem:
        raise ValidationFailed({field: problem})


def message_row(
    organization_id: uuid.UUID,
    billing_account_id: uuid.UUID,
    campaign_id: uuid.UUID | None,
    remitter_id: uuid.UUID | None,
    channel_type: str,
    content: str,
    encoding: str,
    segments: int,
    priced: PricedDestination,
    *,
    trigger_source: str,
    priority: int,
    now: datetime,
    due_at: datetime | None = None,
    external_id: str | None = None,
    contact_id: uuid.UUID | None = None,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The row of one PENDING message, ready for a bulk insert."""
    destination = priced.destination
    return {
        "id": new_id(),
        "organization_id": organization_id,
        "billing_account_id": billing_account_id,
        "campaign_id": campaign_id,
        "contact_id": contact_id,
        "remitter_id": remitter_id,
        "external_id": external_id,
        "channel_type": channel_type,
        "channel_destination": destination.carrier,
        "country_alpha2": destination.country_alpha2,
        "provider_name": None,
        "provider_message_id": None,
        "e164_format": destination.e164,
        "content": content,
        "payload": payload,
        "encoding": encoding,
        "segments": segments,
        "trigger_source": trigger_source,
        "cost_micros": priced.cost_micros,
        "is_refunded": False,
        "status": MessageStatus.PENDING,
        "error_code": None,
        "priority": priority,
        "attempts": 0,
        "due_at": due_at or now,
        "lease_owner": None,
        "lease_until": None,
        "sent_at": None,
        "created_at": now,
        "updated_at": now,
    }
