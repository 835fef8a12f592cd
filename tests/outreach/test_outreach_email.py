"""Email outreach against real mail servers on 127.0.0.1: an SMTP server (aiosmtpd) that
checks each DKIM signature, and Debian's Dovecot holding the mailbox that replies and
bounces come back to."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from typing import Any
from urllib.parse import urlsplit

import dkim
import pytest

from herald.kit.clock import ManualClock
from mail_servers import DkimKey, Dovecot, Postfix, SmtpReceiver
from outreach.email_kit import (
    MAILBOX,
    USER,
    add_mailbox,
    delivery_failure,
    read_mailboxes,
    reply_to,
)
from outreach_kit import MONDAY_8AM, Desk, open_desk
from support import HeraldFactory, RunningHerald, wait_until

pytestmark = pytest.mark.skipif(not Dovecot.available(), reason="needs Debian's dovecot-imapd")

LEADS = {
    "replies": ("+244990000001", "reply@example.com"),
    "away": ("+244990000002", "away@example.com"),
    "bounces": ("+244990000003", "nobody@example.com"),
    "unsubscribes": ("+244990000004", "leave@example.com"),
}

THREE_EMAILS: dict[str, Any] = {
    "steps": [
        {
            "type": "send",
            "channel": "EMAIL",
            "subjects": {"en": "A question for {{ lead.company }}"},
            "templates": {"en": "Hi {{ lead.firstName }},\n\nCould we talk?"},
        },
        {"type": "wait", "duration": "P1D"},
        {"type": "send", "channel": "EMAIL", "templates": {"en": "Hi again {{ lead.firstName }}."}},
        {"type": "wait", "duration": "P1D"},
        {
            "type": "send",
            "channel": "EMAIL",
            "templates": {"en": "Last note, {{ lead.firstName }}."},
        },
    ]
}


@pytest.fixture(scope="module")
def key() -> DkimKey:
    return DkimKey.generate()


@pytest.fixture
def smtp(key: DkimKey) -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver(key=key).start()
    yield receiver
    receiver.stop()


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    with Dovecot.running("sales@herald.test", "secret") as server:
        yield server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY_8AM)


@pytest.fixture
def still(make_herald: HeraldFactory, clock: ManualClock) -> Iterator[RunningHerald]:
    yield make_herald(workers=False, clock=clock, public_url="https://herald.example.com")


def _leads(desk: Desk) -> dict[str, str]:
    ids = desk.import_leads(
        *[
            {"phone": phone, "email": email, "firstName": name.title(), "company": "Acme"}
            for name, (phone, email) in LEADS.items()
        ]
    )
    return dict(zip(LEADS, ids, strict=True))


def _states(desk: Desk, campaign_id: str) -> dict[str, str]:
    return {p["leadId"]: p["state"] for p in desk.progress(campaign_id)}


def test_three_emails_stop_on_a_reply_a_bounce_and_an_unsubscribe_but_not_an_out_of_office(
    still: RunningHerald,
    smtp: SmtpReceiver,
    dovecot: Dovecot,
    key: DkimKey,
    clock: ManualClock,
) -> None:
    add_mailbox(still, smtp, dovecot, key)
    desk = open_desk(still)
    leads = _leads(desk)
    campaign_id = desk.start_with(THREE_EMAILS, list(leads.values()), mailboxes=[MAILBOX])
    desk.run()

    first = {name: smtp.to(email) for name, (_, email) in LEADS.items()}
    assert all(len(mails) == 1 for mails in first.values()), first
    assert all(r.dkim_valid for r in smtp.received)
    opening = first["replies"][0]
    assert opening.header("Subject") == "A question for Acme"
    assert opening.message.get_body(("html",)) is not None
    assert opening.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"

    dovecot.deliver(reply_to(first["replies"][0].message, "reply@example.com", "Yes, call me."))
    dovecot.deliver(
        reply_to(
            first["away"][0].message,
            "away@example.com",
            "I am out of the office until Monday.",
            Auto_Submitted="auto-replied",
            Subject="Automatic reply: out of office",
        )
    )
    dovecot.deliver(
        delivery_failure(
            first["bounces"][0].data, "nobody@example.com", "5.1.1", "550 5.1.1 No such user"
        )
    )
    link = first["unsubscribes"][0].header("List-Unsubscribe").strip("<>")
    assert link.startswith("https://herald.example.com/email/unsubscribe/")
    answer = still.client.post(urlsplit(link).path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200, answer.text

    assert read_mailboxes(still) == 3
    assert read_mailboxes(still) == 0  # nothing is read twice
    for _ in range(2):
        clock.advance(days=1, minutes=1)
        desk.run()

    counts = {name: len(smtp.to(email)) for name, (_, email) in LEADS.items()}
    assert counts == {"replies": 1, "away": 3, "bounces": 1, "unsubscribes": 1}
    states = _states(desk, campaign_id)
    assert states[leads["replies"]] == "replied"
    assert states[leads["away"]] == "completed"
    assert states[leads["bounces"]] == "bounced"
    assert states[leads["unsubscribes"]] == "opted_out"

    followups = smtp.to("away@example.com")
    assert [m.header("Subject") for m in followups] == ["A question for Acme"] + [
        "Re: A question for Acme"
    ] * 2
    assert followups[1].header("In-Reply-To") == followups[0].header("Message-ID")
    assert followups[2].header("References").split() == [
        followups[0].header("Message-ID"),
        followups[1].header("Message-ID"),
    ]
    assert all(r.dkim_valid for r in smtp.received)

    conversation = desk.conversation(leads["replies"])
    assert [c["direction"] for c in conversation] == ["outbound", "inbound"]
    assert conversation[1]["content"] == "Yes, call me."
    bounced = [m for m in desk.sent() if m.get("id") and _address(still, m) == "nobody@example.com"]
    assert [(m["status"], m["error_code"]) for m in bounced] == [("FAILED", "5.1.1")]


def _address(herald: RunningHerald, message: dict[str, Any]) -> str | None:
    from herald.messaging.models import Message

    with herald.container.db.reading() as session:
        row = session.get(Message, uuid.UUID(message["id"]))
        return row.address if row else None


@pytest.mark.skipif(not Postfix.available(), reason="needs Debian's postfix (and root)")
def test_through_postfix_and_dovecot_a_real_bounce_stops_the_lead_and_dkim_verifies_at_the_inbox(
    still: RunningHerald, key: DkimKey, clock: ManualClock
) -> None:
    people = [email for name, (_, email) in LEADS.items() if name != "bounces"]
    with (
        Dovecot.running("sales@herald.test", "secret", people) as dovecot,
        Postfix.running(dovecot.lmtp_port) as postfix,
    ):
        add_mailbox(still, postfix, dovecot, key)
        desk = open_desk(still)
        leads = _leads(desk)
        campaign_id = desk.start_with(THREE_EMAILS, list(leads.values()), mailboxes=[MAILBOX])
        desk.run()

        first = {
            email: wait_until(lambda e=email: dovecot.inbox(e), timeout=60) for email in people
        }
        assert all(len(mails) == 1 for mails in first.values())
        assert all(dkim.verify(mails[0], dnsfunc=key.dns) for mails in first.values())
        # Postfix could not deliver to nobody@example.com: its own DSN reaches our mailbox.
        wait_until(lambda: b"report-type=delivery-status" in b"".join(dovecot.inbox(USER)), 60)

        reply = message_from_bytes(first["reply@example.com"][0], policy=default)
        dovecot.deliver(reply_to(reply, "reply@example.com", "Yes, call me."))
        unsubscribe = message_from_bytes(first["leave@example.com"][0], policy=default)
        link = str(unsubscribe["List-Unsubscribe"]).strip("<>")
        assert still.client.post(urlsplit(link).path).status_code == 200
        assert read_mailboxes(still) == 2  # the DSN and the reply
        for _ in range(2):
            clock.advance(days=1, minutes=1)
            desk.run()

        wait_until(lambda: len(dovecot.inbox("away@example.com")) == 3, timeout=60)
        states = _states(desk, campaign_id)
        assert states[leads["replies"]] == "replied"
        assert states[leads["away"]] == "completed"
        assert states[leads["bounces"]] == "bounced"
        assert states[leads["unsubscribes"]] == "opted_out"
        for email in ("reply@example.com", "leave@example.com"):
            assert len(dovecot.inbox(email)) == 1
        bounced = [m for m in desk.sent() if _address(still, m) == "nobody@example.com"]
        assert [(m["status"], m["error_code"]) for m in bounced] == [("FAILED", "5.1.1")]
