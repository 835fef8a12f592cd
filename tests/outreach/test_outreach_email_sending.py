"""Sending outreach emails over SMTP to a local server (aiosmtpd): mailboxes take turns,
each under its daily cap (reaching it sets rateLimitedUntil), a permanent refusal fails
the email with the SMTP code, and the inputs an email campaign needs are checked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from herald.kit.clock import ManualClock
from mail_servers import DkimKey, SmtpReceiver
from outreach.email_kit import add_mailbox
from outreach_kit import MONDAY_8AM, Desk, open_desk
from support import HeraldFactory, RunningHerald

ONE_EMAIL: dict[str, Any] = {
    "steps": [
        {
            "type": "send",
            "channel": "EMAIL",
            "subjects": {"en": "Hello {{ lead.firstName }}"},
            "templates": {"en": "Hi {{ lead.firstName }} <b>&</b> team"},
        }
    ]
}


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY_8AM)


@pytest.fixture
def still(make_herald: HeraldFactory, clock: ManualClock) -> Iterator[RunningHerald]:
    yield make_herald(workers=False, clock=clock)


def _leads(desk: Desk, count: int) -> list[str]:
    return desk.import_leads(
        *[
            {"phone": f"+24499000{n:04d}", "email": f"lead{n}@example.com", "firstName": f"L{n}"}
            for n in range(count)
        ]
    )


def test_mailboxes_take_turns_and_a_full_one_pauses_the_campaign_until_midnight(
    still: RunningHerald, smtp: SmtpReceiver, clock: ManualClock
) -> None:
    add_mailbox(still, smtp, None, None, name="box-a", daily_cap=2, address="a@herald.test")
    add_mailbox(still, smtp, None, None, name="box-b", daily_cap=2, address="b@herald.test")
    desk = open_desk(still)
    campaign_id = desk.start_with(ONE_EMAIL, _leads(desk, 5), mailboxes=["box-a", "box-b"])
    desk.run()

    senders = sorted(r.mail_from for r in smtp.received)
    assert senders == ["a@herald.test"] * 2 + ["b@herald.test"] * 2
    campaign = desk.get_campaign(campaign_id)
    assert campaign["status"] == "paused"
    assert campaign["rateLimitedUntil"] == "2026-01-06T00:00:00.000000+00:00"

    clock.advance(days=1)
    desk.run()
    assert len(smtp.received) == 5
    assert desk.get_campaign(campaign_id)["status"] == "completed"


def test_an_email_carries_text_and_html_with_the_lead_fields_escaped_in_html(
    still: RunningHerald, smtp: SmtpReceiver
) -> None:
    smtp.key = DkimKey.generate()
    add_mailbox(still, smtp, None, smtp.key)
    desk = open_desk(still)
    desk.start_with(ONE_EMAIL, _leads(desk, 1), mailboxes=["sales-1"])
    desk.run()

    (email,) = smtp.received
    message = email.message
    assert message["Subject"] == "Hello L0"
    assert message["From"] == "Ana from Acme <sales@herald.test>"
    assert str(message["Message-ID"]).endswith("@herald.test>")
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().strip() == "Hi L0 <b>&</b> team"
    assert "Hi L0 &lt;b&gt;&amp;&lt;/b&gt; team" in html.get_content()
    assert email.dkim_valid


def test_a_permanent_smtp_refusal_fails_the_email_with_its_code_and_refunds_it(
    still: RunningHerald, smtp: SmtpReceiver
) -> None:
    smtp.refuse["lead0@example.com"] = (550, "5.1.1 No such user")
    add_mailbox(still, smtp, None, None)
    desk = open_desk(still)
    desk.start_with(ONE_EMAIL, _leads(desk, 2), mailboxes=["sales-1"])
    desk.run()

    by_status = sorted((m["status"], m["error_code"]) for m in desk.sent())
    assert by_status == [("REJECTED", "SMTP_550"), ("SENT", None)]


def test_an_email_campaign_needs_mailboxes_subjects_and_leads_with_an_address(
    still: RunningHerald, smtp: SmtpReceiver
) -> None:
    desk = open_desk(still)
    no_subject = {"steps": [{"type": "send", "channel": "EMAIL", "templates": {"en": "Hi"}}]}
    answer = desk.call("POST", "/campaigns", json=_body(desk, no_subject))
    assert answer.status_code == 400
    fax = {"steps": [{"type": "send", "channel": "FAX", "templates": {"en": "Hi"}}]}
    assert desk.call("POST", "/campaigns", json=_body(desk, fax)).status_code == 400
    unknown = desk.call("POST", "/campaigns", json=_body(desk, ONE_EMAIL, mailboxes=["nope"]))
    assert unknown.status_code == 400

    lead_ids = _leads(desk, 1)
    campaign_id = desk.campaign(ONE_EMAIL)
    desk.data("POST", f"/campaigns/{campaign_id}/leads", json={"leadIds": lead_ids})
    assert desk.call("POST", f"/campaigns/{campaign_id}/start").status_code == 400

    bad = desk.call("POST", "/leads", json={"leads": [{"phone": "+244990000001", "email": "x@"}]})
    assert bad.json()["data"]["rejected"][0]["reason"].startswith("Not a valid email address")


def test_a_lead_without_an_email_address_fails_the_step(
    still: RunningHerald, smtp: SmtpReceiver
) -> None:
    add_mailbox(still, smtp, None, None)
    desk = open_desk(still)
    lead_ids = desk.import_leads({"phone": "+244990000001"})
    campaign_id = desk.start_with(ONE_EMAIL, lead_ids, mailboxes=["sales-1"])
    desk.run()
    (progress,) = desk.progress(campaign_id)
    assert (progress["state"], progress["errorCode"]) == ("failed", "NO_EMAIL_ADDRESS")
    assert smtp.received == []


def _body(desk: Desk, workflow: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": "x", "senderId": desk.tenant.remitter_id, "workflow": workflow, **fields}


def test_a_mailbox_sends_within_its_sending_hours_a_little_after_they_open(
    still: RunningHerald, smtp: SmtpReceiver, clock: ManualClock
) -> None:
    add_mailbox(still, smtp, None, None, sending_hours="09:00-17:00", time_zone="Europe/Lisbon")
    add_mailbox(
        still, smtp, None, None, name="jittery", jitter_seconds=120, address="j@herald.test"
    )
    desk = open_desk(still)
    desk.start_with(ONE_EMAIL, _leads(desk, 1), mailboxes=["sales-1"])
    desk.run()
    assert smtp.received == []  # 08:00 in Lisbon (UTC in January): not yet

    clock.advance(minutes=59)
    desk.run()
    assert smtp.received == []
    clock.advance(minutes=1)
    desk.run()
    assert len(smtp.received) == 1

    desk.start_with(ONE_EMAIL, _leads(desk, 1), mailboxes=["jittery"])
    desk.run()
    clock.advance(seconds=120)
    desk.run()
    assert len(smtp.received) == 2  # due within the jitter, never later


def test_the_unsubscribe_link_needs_its_token_and_a_get_only_shows_the_button(
    still: RunningHerald, smtp: SmtpReceiver
) -> None:
    add_mailbox(still, smtp, None, None)
    desk = open_desk(still)
    campaign_id = desk.start_with(ONE_EMAIL, _leads(desk, 1), mailboxes=["sales-1"])
    desk.run()
    link = smtp.received[0].header("List-Unsubscribe").strip("<>")
    path = "/" + link.split("/", 3)[3]

    page = still.client.get(path)
    assert page.status_code == 200 and '<form method="post">' in page.text
    forged = path.rsplit("/", 1)[0] + "/not-the-token"
    assert still.client.post(forged).status_code == 404
    assert still.client.post("/email/unsubscribe/not-an-id/x").status_code == 404
    assert desk.progress(campaign_id)[0]["state"] == "completed"  # nothing changed

    assert still.client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert still.client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    again = desk.start_with(ONE_EMAIL, _leads(desk, 1), mailboxes=["sales-1"])
    desk.run()
    assert desk.progress(again)[0]["state"] == "opted_out"
    assert len(smtp.received) == 1
