"""Writing the outcome of the sequencer's turns, in one transaction per batch: each send
becomes a priced PENDING message billed to the wallet (the messaging engine's dispatch
hands it to a carrier), linked to the lead's conversation; each lead's next step and due
time are recorded and its lease given back. A number that opted out (the tenant's
suppression list) gets nothing more."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from herald.billing.service import PriceList
from herald.inbound import service as inbound
from herald.kit.clock import Clock
from herald.kit.ids import new_id
from herald.messaging import repository as messages
from herald.messaging.accept import message_row
from herald.messaging.plan import Plan, plan_recipients
from herald.outreach import campaign_status, charging, email_sends, pacing, repository, whatsapp
from herald.outreach.models import (
    CampaignStatus,
    Direction,
    Enrollment,
    EnrollmentState,
    Lead,
    OutreachCampaign,
)
from herald.outreach.sequence import Send, Turn
from herald.routing import service as routing

# Between a single message sent by hand (10) and batch traffic (0): a conversation step.
OUTREACH_PRIORITY = 5
TRIGGER_SOURCE = "OUTREACH"
NO_FUNDS_NOTE = "Paused: the wallet cannot pay for the next messages. Top up, then resume."


@dataclass(slots=True)
class Batch:
    """What one transaction writes."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    progress: list[dict[str, Any]] = field(default_factory=list)
    released: list[uuid.UUID] = field(default_factory=list)


def record_turns(
    session: Session,
    clock: Clock,
    owner: str,
    turns: Mapping[uuid.UUID, Turn],
    campaign_ids: Mapping[uuid.UUID, uuid.UUID],
    leads: Mapping[uuid.UUID, Lead],
    operator_cap: int | None,
) -> None:
    """`turns` by enrollment id (in the order they were claimed); `campaign_ids` maps each
    enrollment to its campaign."""
    now = clock.now()
    campaigns = repository.lock_campaigns(session, set(campaign_ids.values()))
    held = repository.lock_held_enrollments(session, list(turns), owner)
    senders = {c.remitter_id for c in campaigns.values()}
    quota = pacing.SenderQuota(session, now, senders)
    writer = _Writer(session, clock, now, quota, operator_cap)
    writer.email.prepare(list(held), campaigns.values())
    for enrollment_id, turn in turns.items():
        enrollment = held.get(enrollment_id)
        if enrollment is None:
            continue  # a reply or a cancel stopped this lead since it was claimed
        campaign = campaigns[enrollment.campaign_id]
        writer.take(campaign, enrollment, leads[enrollment.lead_id], turn)
    writer.flush()
    repository.complete_campaigns(session, list(campaigns), now)


@dataclass(frozen=True, slots=True)
class _Pending:
    """A send that passed every check but payment."""

    campaign: OutreachCampaign
    enrollment: Enrollment
    turn: Turn
    send: Send
    message: dict[str, Any]
    mailbox: str | None = None  # EMAIL: the mailbox whose daily count it took


class _Writer:
    def __init__(
        self,
        session: Session,
        clock: Clock,
        now: datetime,
        quota: pacing.SenderQuota,
        operator_cap: int | None,
    ) -> None:
        self.session, self.clock, self.now = session, clock, now
        self.quota, self.operator_cap = quota, operator_cap
        self.batch = Batch()
        self.pending: list[_Pending] = []
        self.prices = PriceList.load(session, "SMS")
        self.whatsapp = whatsapp.Chooser(session, now)
        self.detector = routing.detector(session)
        self.suppressed: dict[uuid.UUID, frozenset[str]] = {}
        self.email = email_sends.EmailSends(session, now)

    def take(
        self, campaign: OutreachCampaign, enrollment: Enrollment, lead: Lead, turn: Turn
    ) -> None:
        if campaign.status != CampaignStatus.ACTIVE:
            self.batch.released.append(enrollment.id)  # paused meanwhile: this step waits
        elif turn.send is None:
            self._progress(enrollment.id, turn)
        elif turn.send.channel == "EMAIL":
            self._admit_email(campaign, enrollment, lead, turn, turn.send)
        else:
            self._admit(campaign, enrollment, lead, turn, turn.send)

    def _admit_email(
        self,
        campaign: OutreachCampaign,
        enrollment: Enrollment,
        lead: Lead,
        turn: Turn,
        send: Send,
    ) -> None:
        found = self.email.message(campaign, enrollment.id, lead, send)
        if isinstance(found, email_sends.Refused):
            if found.state is not None:
                self._stop(enrollment.id, found.state, send.step_index, found.error_code)
            else:
                self._pause(campaign, found.pause_note or "", found.until)
                self.batch.released.append(enrollment.id)
            return
        mailbox = found["payload"]["mailbox"]
        self.pending.append(_Pending(campaign, enrollment, turn, send, found, mailbox))

    def _admit(
        self,
        campaign: OutreachCampaign,
        enrollment: Enrollment,
        lead: Lead,
        turn: Turn,
        send: Send,
    ) -> None:
        if lead.phone in self._suppressed(campaign.organization_id):
            self._stop(enrollment.id, EnrollmentState.OPTED_OUT, send.step_index, None)
            return
        cap = pacing.effective_cap(campaign.daily_send_cap, self.operator_cap)
        if not self.quota.take(campaign.remitter_id, cap):
            assert cap is not None
            until = self.quota.resets_at
            self._pause(campaign, pacing.cap_note(cap, until), until)
            self.batch.released.append(enrollment.id)
            return
        message = self._message(campaign, lead, send)
        if not isinstance(message, dict):
            self.quota.give_back(campaign.remitter_id)
            error = message or "INVALID_NUMBER"
            self._stop(enrollment.id, EnrollmentState.FAILED, send.step_index, error)
            return
        self.pending.append(_Pending(campaign, enrollment, turn, send, message))

    def _suppressed(self, organization_id: uuid.UUID) -> frozenset[str]:
        if organization_id not in self.suppressed:
            self.suppressed[organization_id] = inbound.suppressed_numbers(
                self.session, organization_id
            )
        return self.suppressed[organization_id]

    def _message(
        self, campaign: OutreachCampaign, lead: Lead, send: Send
    ) -> dict[str, Any] | str | None:
        """The message row; None for a number no country reads, or an error code."""
        if send.channel == whatsapp.CHANNEL:
            return self._whatsapp_message(campaign, lead, send)
        plan = plan_recipients([lead.phone], send.text, None, self.detector, self.prices)
        if not plan.destinations:
            return None
        return self._row(campaign, lead, send.channel, send.text, plan, plan.text.segments)

    def _whatsapp_message(
        self, campaign: OutreachCampaign, lead: Lead, send: Send
    ) -> dict[str, Any] | str | None:
        chosen = self.whatsapp.choose(campaign, lead.phone, send.text, send.template)
        if isinstance(chosen, str):
            return chosen
        prices = self.whatsapp.prices(chosen.price_channel)
        phone = [lead.phone]
        plan = plan_recipients(phone, chosen.content, None, self.detector, prices, whole=True)
        if not plan.destinations:
            return None
        return self._row(campaign, lead, send.channel, chosen.content, plan, 1, chosen.payload)

    def _row(
        self,
        campaign: OutreachCampaign,
        lead: Lead,
        channel: str,
        text: str,
        plan: Plan,
        segments: int,
        payload: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        return message_row(
            campaign.organization_id,
            campaign.billing_account_id,
            None,
            campaign.remitter_id,
            channel,
            text,
            plan.text.encoding,
            segments,
            plan.destinations[0],
            trigger_source=TRIGGER_SOURCE,
            priority=OUTREACH_PRIORITY,
            now=self.now,
            external_id=f"outreach:{campaign.id}",
            contact_id=lead.id,
            payload=payload,
        )

    def bill(self) -> None:
        """Pay for the admitted sends; a campaign whose wallet runs dry pauses."""
        charges = [charging.Charge(p.campaign.billing_account_id, p.message) for p in self.pending]
        paid = charging.charge(self.session, self.clock, charges)
        for item in self.pending:
            if item.message["id"] not in paid:
                if item.mailbox:
                    self.email.quota.give_back(item.mailbox)
                else:
                    self.quota.give_back(item.campaign.remitter_id)
                self._pause(item.campaign, NO_FUNDS_NOTE, None)
                self.batch.released.append(item.enrollment.id)
                continue
            self.batch.messages.append(item.message)
            self.batch.entries.append(
                _entry(item.campaign, item.enrollment, item.send, item.message, self.now)
            )
            self._progress(item.enrollment.id, item.turn)

    def _pause(self, campaign: OutreachCampaign, note: str, until: datetime | None) -> None:
        campaign_status.paused_by_sending(campaign, note, until, self.now)

    def _progress(self, id: uuid.UUID, turn: Turn) -> None:
        self._record(id, turn.state, turn.step_index, turn.due_at, turn.error_code)

    def _stop(self, id: uuid.UUID, state: str, step: int, error: str | None) -> None:
        self._record(id, state, step, None, error)

    def _record(
        self, id: uuid.UUID, state: str, step: int, due: datetime | None, error: str | None
    ) -> None:
        self.batch.progress.append(
            {"b_id": id, "b_state": state, "b_step": step, "b_due": due, "b_error": error}
        )

    def flush(self) -> None:
        self.bill()
        self.session.flush()  # campaign pauses first: completion afterwards reads them
        for row in self.batch.messages:  # one shape for the bulk insert, whatever the channel
            row.setdefault("address", None)
            row.setdefault("payload", None)
        messages.insert_messages(self.session, self.batch.messages)
        whatsapp.reject_closed(self.session, self.clock, self.batch.messages)
        repository.insert_entries(self.session, self.batch.entries)
        repository.record_progress(self.session, self.batch.progress, self.now)
        repository.release(self.session, self.batch.released)
        self.quota.save()
        self.email.quota.save()


def _entry(
    campaign: OutreachCampaign,
    enrollment: Enrollment,
    send: Send,
    message: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "organization_id": campaign.organization_id,
        "lead_id": enrollment.lead_id,
        "direction": Direction.OUTBOUND,
        "campaign_id": campaign.id,
        "enrollment_id": enrollment.id,
        "step_index": send.step_index,
        "message_id": message["id"],
        "inbound_message_id": None,
        "language": send.language,
        # WhatsApp: a template's body as the lead read it, when the template went.
        "content": message["content"] if send.channel == whatsapp.CHANNEL else send.text,
        "created_at": now,
    }
