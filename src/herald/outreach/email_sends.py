"""EMAIL steps of outreach: which mailbox sends each lead's email (campaign mailboxes in
turn, a follow-up from the mailbox of its thread), under each mailbox's daily cap and
sending hours, and what the message carries for the email provider (its `payload`)."""

from __future__ import annotations

import html
import random
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from herald.billing.service import PriceList
from herald.errors import ValidationFailed
from herald.inbound import service as inbound
from herald.kit.clock import isoformat
from herald.messaging.accept import message_row
from herald.messaging.plan import PricedDestination
from herald.outreach import hours, repository
from herald.outreach.models import EnrollmentState, Lead, OutreachCampaign
from herald.outreach.pacing import next_utc_midnight
from herald.outreach.sequence import Send
from herald.outreach.workflow import SendingHours
from herald.providers.email.mailbox import Mailbox
from herald.routing import service as routing
from herald.routing.numbers import Destination

ANY = "*"


def check_mailboxes(session: Session, names: list[str]) -> None:
    known = routing.mailboxes(session)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValidationFailed({"mailboxes": f"No email connection named {', '.join(unknown)}."})


class MailboxQuota:
    """Today's count of each mailbox in this transaction, locked in one order."""

    def __init__(self, session: Session, now: datetime) -> None:
        self._session = session
        self.day: date = now.astimezone(UTC).date()
        self.resets_at = next_utc_midnight(now)
        self._used: dict[str, int] = {}
        self._start: dict[str, int] = {}

    def lock(self, names: list[str]) -> None:
        for name in sorted(set(names) - set(self._used)):
            self._used[name] = self._start[name] = repository.lock_mailbox_day(
                self._session, name, self.day
            )

    def room(self, mailbox: Mailbox) -> bool:
        return mailbox.daily_cap is None or self._used[mailbox.name] < mailbox.daily_cap

    def used(self, name: str) -> int:
        return self._used[name]

    def take(self, name: str) -> None:
        self._used[name] += 1

    def give_back(self, name: str) -> None:
        self._used[name] -= 1

    def save(self) -> None:
        for name, used in self._used.items():
            if used != self._start[name]:
                repository.set_mailbox_day(self._session, name, self.day, used)


@dataclass(frozen=True, slots=True)
class Refused:
    """The step cannot be sent: stop the lead (`state`, `error_code`), or pause the campaign
    until `until` when every mailbox reached its cap."""

    state: str | None = None
    error_code: str | None = None
    pause_note: str | None = None
    until: datetime | None = None


class EmailSends:
    """The email side of one sequencer transaction."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session, self.now = session, now
        self.quota = MailboxQuota(session, now)
        self._mailboxes: dict[str, Mailbox] | None = None
        self._suppressed: dict[uuid.UUID, dict[str, str]] = {}
        self._threads: dict[uuid.UUID, dict[str, Any]] | None = None
        self._price: int | None = None

    def prepare(
        self, enrollment_ids: list[uuid.UUID], campaigns: Iterable[OutreachCampaign]
    ) -> None:
        """Read the threads of the leads of this batch that have sent email before, and lock
        today's count of every mailbox this batch may use, all at once and in one order (so
        that two workers never wait on each other in a circle)."""
        self._threads = repository.email_threads(self.session, enrollment_ids)
        names = {thread["mailbox"] for thread in self._threads.values()}
        names.update(name for campaign in campaigns for name in campaign.mailboxes or [])
        if names:
            self.quota.lock(sorted(names & set(self.mailboxes())))

    def mailboxes(self) -> dict[str, Mailbox]:
        if self._mailboxes is None:
            self._mailboxes = routing.mailboxes(self.session)
        return self._mailboxes

    def message(
        self, campaign: OutreachCampaign, enrollment_id: uuid.UUID, lead: Lead, send: Send
    ) -> dict[str, Any] | Refused:
        """The PENDING message of this send (its mailbox's count taken), or why not."""
        if not lead.email:
            return Refused(EnrollmentState.FAILED, "NO_EMAIL_ADDRESS")
        reason = self._suppressed_reason(campaign.organization_id, lead.email)
        if reason == inbound.BOUNCED:
            return Refused(EnrollmentState.BOUNCED, "EMAIL_BOUNCED")
        if reason is not None:
            return Refused(EnrollmentState.OPTED_OUT, None)
        thread = (self._threads or {}).get(enrollment_id)
        mailbox = self._pick(campaign, thread)
        if isinstance(mailbox, Refused):
            return mailbox
        self.quota.take(mailbox.name)
        return self._row(campaign, lead, send, mailbox, thread)

    def _suppressed_reason(self, organization_id: uuid.UUID, address: str) -> str | None:
        if organization_id not in self._suppressed:
            self._suppressed[organization_id] = inbound.suppressed_addresses(
                self.session, organization_id
            )
        return self._suppressed[organization_id].get(address.lower())

    def _pick(self, campaign: OutreachCampaign, thread: dict[str, Any] | None) -> Mailbox | Refused:
        """A follow-up goes from its thread's mailbox; a first email from the campaign's
        mailbox that sent the fewest today (so that they take turns)."""
        known = self.mailboxes()
        names = [thread["mailbox"]] if thread else list(campaign.mailboxes or [])
        usable = [known[name] for name in names if name in known]
        if not usable:
            return Refused(EnrollmentState.FAILED, "NO_MAILBOX")
        self.quota.lock([m.name for m in usable])
        open_ = [m for m in usable if self.quota.room(m)]
        if not open_:
            until = self.quota.resets_at
            note = (
                f"Daily cap reached on mailbox(es) {', '.join(m.name for m in usable)}; "
                f"resumes at {isoformat(until)}."
            )
            return Refused(pause_note=note, until=until)
        return min(open_, key=lambda m: (self.quota.used(m.name), names.index(m.name)))

    def _row(
        self,
        campaign: OutreachCampaign,
        lead: Lead,
        send: Send,
        mailbox: Mailbox,
        thread: dict[str, Any] | None,
    ) -> dict[str, Any]:
        assert lead.email is not None
        destination = Destination(lead.phone, None, mailbox.name)
        row = message_row(
            campaign.organization_id,
            campaign.billing_account_id,
            None,
            campaign.remitter_id,
            "EMAIL",
            send.text,
            "UTF-8",
            1,
            PricedDestination(destination, self._unit_price()),
            trigger_source="OUTREACH",
            priority=5,
            now=self.now,
            due_at=_due(self.now, mailbox),
            external_id=f"outreach:{campaign.id}",
            contact_id=lead.id,
        )
        row["address"] = lead.email
        row["payload"] = payload(row["id"], send, mailbox, lead.email, thread)
        return row

    def _unit_price(self) -> int:
        if self._price is None:
            self._price = PriceList.load(self.session, "EMAIL").unit_price(None, ANY)
        return self._price


def payload(
    message_id: uuid.UUID,
    send: Send,
    mailbox: Mailbox,
    to: str,
    thread: dict[str, Any] | None,
) -> dict[str, Any]:
    """What the email provider needs: our Message-ID, the thread's headers, the subject,
    the HTML alternative, the mailbox and the one-click unsubscribe token."""
    own_id = f"<{message_id}@{mailbox.domain}>"
    references: list[str] = []
    subject = send.subject or ""
    if thread:
        references = [*thread.get("references", []), thread["message_id_header"]]
        first = thread.get("subject", "")
        subject = first if first.lower().startswith("re:") else f"Re: {first}"
    return {
        "mailbox": mailbox.name,
        "from": mailbox.from_address,
        "to": to,
        "subject": subject,
        "html": to_html(send.text),
        "message_id_header": own_id,
        "in_reply_to": references[-1] if references else None,
        "references": references[-20:],
        "unsubscribe_token": secrets.token_urlsafe(18),
    }


def to_html(text: str) -> str:
    """The plain-text body as HTML: escaped, paragraphs and line breaks kept."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return f"<!DOCTYPE html><html><body>{body}</body></html>"


def _due(now: datetime, mailbox: Mailbox) -> datetime:
    """Within the mailbox's sending hours, a little later than due (not on the second)."""
    window = mailbox.window()
    hours_ = SendingHours(start=window[0], end=window[1]) if window else None
    at = hours.within(now, hours_, mailbox.time_zone)
    return at + timedelta(seconds=random.uniform(0, mailbox.jitter_seconds))
