"""Each lead of a campaign goes through the workflow on its own, driven by the database
queue and a hand-moved clock; a reply stops a lead's sequence."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from herald.billing import service as billing
from herald.inbound import service as inbound
from herald.kit.clock import ManualClock
from herald.kit.money import to_micros
from outreach_kit import MONDAY_8AM, THREE_STEPS, Desk, open_desk
from support import HeraldFactory, RunningHerald

ANA, BRUNO = "+244990000001", "+244990000002"
# The simulator's receipts arrive on their own time: a handed-over message is either.
HANDED_OVER = {"SENT", "DELIVERED"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY_8AM)


@pytest.fixture
def still(make_herald: HeraldFactory, clock: ManualClock) -> Iterator[RunningHerald]:
    """Herald without worker threads: the test runs the queue turn by turn."""
    yield make_herald(workers=False, clock=clock)


def _two_leads(desk: Desk) -> list[str]:
    return desk.import_leads(
        {"phone": ANA, "firstName": "Ana"}, {"phone": BRUNO, "firstName": "Bruno"}
    )


def _finish(desk: Desk, clock: ManualClock) -> None:
    """Let THREE_STEPS run to its end (each wait counts from the step before it)."""
    for days in (1, 2):
        clock.advance(days=days)
        desk.run()


def _texts(desk: Desk, phone: str | None = None) -> list[str]:
    return [m["content"] for m in desk.sent() if phone is None or m["e164_format"] == phone]


def test_a_three_step_sequence_advances_with_the_clock(
    still: RunningHerald, clock: ManualClock
) -> None:
    desk = open_desk(still)
    leads = _two_leads(desk)
    campaign_id = desk.start_with(THREE_STEPS, leads)
    desk.run()
    assert sorted(_texts(desk)) == ["Hi Ana, step one.", "Hi Bruno, step one."]
    clock.advance(hours=23, minutes=59)
    desk.run()
    assert len(_texts(desk)) == 2  # the wait is not over
    clock.advance(minutes=1)
    desk.run()
    assert _texts(desk, ANA) == ["Hi Ana, step one.", "Hi Ana, step two."]
    clock.advance(days=2)
    desk.run()
    assert _texts(desk, ANA) == ["Hi Ana, step one.", "Hi Ana, step two.", "Hi Ana, last step."]
    assert len(_texts(desk)) == 6
    assert desk.get_campaign(campaign_id)["status"] == "completed"
    assert {(p["state"], p["nextStep"]) for p in desk.progress(campaign_id)} == {("completed", 5)}
    # Each step is an ordinary message: priced, billed to the wallet, handed to the carrier.
    messages = desk.sent()
    assert {(m["trigger_source"], m["cost"]) for m in messages} == {("OUTREACH", "0.050000")}
    assert {m["status"] for m in messages} <= HANDED_OVER
    assert still.balance(desk.tenant) == to_micros("99.70")
    conversation = desk.conversation(leads[0])
    assert [(c["direction"], c["stepIndex"]) for c in conversation] == [
        ("outbound", 0),
        ("outbound", 2),
        ("outbound", 4),
    ]
    assert {c["messageId"] for c in conversation} == {
        m["id"] for m in messages if m["e164_format"] == ANA
    }


def test_a_reply_cancels_the_rest_of_that_leads_sequence(
    still: RunningHerald, clock: ManualClock
) -> None:
    desk = open_desk(still)
    leads = _two_leads(desk)
    campaign_id = desk.start_with(THREE_STEPS, leads)
    desk.run()
    clock.advance(hours=2)
    desk.reply(ANA, "Not interested, thanks")
    _finish(desk, clock)
    assert _texts(desk, ANA) == ["Hi Ana, step one."]
    assert len(_texts(desk, BRUNO)) == 3
    states = {p["leadId"]: p["state"] for p in desk.progress(campaign_id)}
    assert states == {leads[0]: "replied", leads[1]: "completed"}
    assert desk.get_campaign(campaign_id)["status"] == "completed"
    conversation = desk.conversation(leads[0])
    assert [(c["direction"], c["content"]) for c in conversation] == [
        ("outbound", "Hi Ana, step one."),
        ("inbound", "Not interested, thanks"),
    ]
    assert conversation[0]["status"] in HANDED_OVER
    assert conversation[1]["status"] == "RECEIVED"


def test_a_reply_cancels_a_queued_step_but_never_recalls_one_handed_to_the_carrier(
    still: RunningHerald, clock: ManualClock
) -> None:
    desk = open_desk(still)
    leads = _two_leads(desk)
    desk.start_with(THREE_STEPS, leads)
    desk.run(dispatching=False)  # both first steps wait in the queue
    desk.reply("244990000001", "Stop please")  # carriers may drop the '+'
    desk.run()
    _finish(desk, clock)
    ana = [m for m in desk.sent() if m["e164_format"] == ANA]
    assert [(m["status"], m["error_code"], m["is_refunded"]) for m in ana] == [
        ("CANCELLED", "LEAD_REPLIED", True)
    ]
    assert still.balance(desk.tenant) == to_micros("99.85")  # Bruno's three steps only
    assert still.ledger_balances(desk.tenant)
    desk.reply(BRUNO, "Thanks!")  # after all of Bruno's steps went out
    bruno = [m for m in desk.sent() if m["e164_format"] == BRUNO]
    assert len(bruno) == 3 and {m["status"] for m in bruno} <= HANDED_OVER


def test_a_reply_after_the_last_step_joins_the_conversation_and_changes_nothing(
    still: RunningHerald, clock: ManualClock
) -> None:
    desk = open_desk(still)
    leads = _two_leads(desk)
    campaign_id = desk.start_with(THREE_STEPS, leads)
    desk.run()
    _finish(desk, clock)
    before = desk.get_campaign(campaign_id)
    clock.advance(hours=1)
    desk.reply(ANA, "Sorry for the late answer")
    desk.run()
    assert desk.get_campaign(campaign_id) == before
    assert {p["state"] for p in desk.progress(campaign_id)} == {"completed"}
    conversation = desk.conversation(leads[0])
    assert [c["direction"] for c in conversation] == ["outbound"] * 3 + ["inbound"]
    assert conversation[-1]["createdAt"] == "2026-01-08T09:00:00.000000+00:00"
    assert len(_texts(desk)) == 6


def test_without_auto_cancel_a_reply_is_recorded_and_the_sequence_goes_on(
    still: RunningHerald, clock: ManualClock
) -> None:
    desk = open_desk(still)
    leads = _two_leads(desk)
    desk.start_with(THREE_STEPS, leads, autoCancelOnMessageReceived=False)
    desk.run()
    desk.reply(ANA, "Tell me more")
    _finish(desk, clock)
    assert len(_texts(desk, ANA)) == 3
    assert [c["direction"] for c in desk.conversation(leads[0])] == [
        "outbound",
        "inbound",
        "outbound",
        "outbound",
    ]


def test_the_template_language_follows_the_lead_then_the_campaign_default(
    still: RunningHerald,
) -> None:
    desk = open_desk(still)
    people: list[dict[str, Any]] = [
        {"phone": "+244990000001", "firstName": "Ana", "language": "pt-BR"},
        {"phone": "+244990000002", "firstName": "Bruno", "language": "pt"},
        {"phone": "+244990000003", "firstName": "Chloé", "language": "fr"},
        {"phone": "+244990000004", "firstName": "Dan"},
    ]
    leads = desk.import_leads(*people)
    workflow = {
        "steps": [
            {
                "type": "send",
                "templates": {"en": "Hello {{ lead.firstName }}", "pt": "Olá {{ lead.firstName }}"},
            }
        ]
    }
    desk.start_with(workflow, leads, outreachLanguage="en")
    desk.run()
    by_lead = {lead: desk.conversation(lead)[0] for lead in leads}
    assert [(by_lead[lead]["content"], by_lead[lead]["language"]) for lead in leads] == [
        ("Olá Ana", "pt"),
        ("Olá Bruno", "pt"),
        ("Hello Chloé", "en"),
        ("Hello Dan", "en"),
    ]
    # A campaign whose default is Portuguese speaks it to leads without a language.
    other = desk.import_leads({"phone": "+244990000005", "firstName": "Eva"})
    desk.start_with(workflow, other, outreachLanguage="pt")
    desk.run()
    assert desk.conversation(other[0])[0]["content"] == "Olá Eva"


def test_a_wait_can_end_within_sending_hours_in_the_leads_time_zone(
    still: RunningHerald, clock: ManualClock
) -> None:
    desk = open_desk(still)
    leads = desk.import_leads(
        {"phone": ANA, "timeZone": "America/New_York"},  # 03:00 there when we start
        {"phone": BRUNO},  # Africa/Luanda from the number: 09:00 there
    )
    workflow = {
        "steps": [
            {"type": "send", "templates": {"en": "First"}},
            {
                "type": "wait",
                "duration": "PT1H",
                "sendingHours": {"start": "09:00", "end": "17:00", "days": [1, 2, 3, 4, 5]},
            },
            {"type": "send", "templates": {"en": "Second"}},
        ]
    }
    campaign_id = desk.start_with(workflow, leads)
    desk.run()
    due = {p["leadId"]: p["nextStepAt"] for p in desk.progress(campaign_id)}
    assert due == {
        leads[0]: "2026-01-05T14:00:00.000000+00:00",  # 09:00 in New York
        leads[1]: "2026-01-05T09:00:00.000000+00:00",  # 10:00 in Luanda, inside the window
    }
    clock.advance(hours=5, minutes=59)
    desk.run()
    assert _texts(desk, ANA) == ["First"]
    assert _texts(desk, BRUNO) == ["First", "Second"]
    clock.advance(minutes=1)
    desk.run()
    assert _texts(desk, ANA) == ["First", "Second"]


def test_templates_can_quote_the_conversation_so_far(
    still: RunningHerald, clock: ManualClock
) -> None:
    desk = open_desk(still)
    leads = desk.import_leads({"phone": ANA, "firstName": "Ana"})
    workflow = {
        "steps": [
            {"type": "send", "templates": {"en": "Hi {{ lead.firstName }}, shall we talk?"}},
            {"type": "wait", "duration": "P1D"},
            {
                "type": "send",
                "templates": {
                    "en": "{% for m in conversation if m.direction == 'inbound' %}"
                    "You said: {{ m.content }}{% endfor %}"
                },
            },
        ]
    }
    desk.start_with(
        workflow, leads, includeConversationHistory=True, autoCancelOnMessageReceived=False
    )
    desk.run()
    desk.reply(ANA, "Maybe next week")
    clock.advance(days=1)
    desk.run()
    assert _texts(desk) == ["Hi Ana, shall we talk?", "You said: Maybe next week"]


def test_a_template_cannot_reach_outside_its_sandbox(still: RunningHerald) -> None:
    desk = open_desk(still)
    leads = desk.import_leads({"phone": ANA})
    workflow = {"steps": [{"type": "send", "templates": {"en": "{{ lead.__class__.__mro__ }}x"}}]}
    campaign_id = desk.start_with(workflow, leads)
    desk.run()
    assert _texts(desk) == ["x"]
    unsafe = {
        "steps": [
            {"type": "send", "templates": {"en": "{{ ''.__class__.__base__.__subclasses__() }}"}}
        ]
    }
    other = desk.import_leads({"phone": BRUNO})
    second = desk.start_with(unsafe, other)
    desk.run()
    [progress] = desk.progress(second)
    assert (progress["state"], progress["errorCode"]) in {
        ("failed", "TEMPLATE_ERROR"),
        ("failed", "TEMPLATE_EMPTY"),
    }
    assert desk.get_campaign(campaign_id)["status"] == "completed"


def test_cancelling_stops_every_lead_and_refunds_what_was_not_handed_over(
    still: RunningHerald, clock: ManualClock
) -> None:
    desk = open_desk(still)
    leads = _two_leads(desk)
    campaign_id = desk.start_with(THREE_STEPS, leads)
    desk.run(dispatching=False)
    cancelled = desk.data("POST", f"/campaigns/{campaign_id}/cancel")
    assert cancelled["status"] == "cancelled"
    clock.advance(days=5)
    desk.run()
    assert {(m["status"], m["is_refunded"]) for m in desk.sent()} == {("CANCELLED", True)}
    assert still.balance(desk.tenant) == to_micros("100")
    assert {p["state"] for p in desk.progress(campaign_id)} == {"cancelled"}


def test_pausing_holds_the_next_steps_and_resuming_runs_what_fell_due(
    still: RunningHerald, clock: ManualClock
) -> None:
    desk = open_desk(still)
    leads = _two_leads(desk)
    campaign_id = desk.start_with(THREE_STEPS, leads)
    desk.run()
    paused = desk.data("POST", f"/campaigns/{campaign_id}/pause")
    assert (paused["status"], paused["rateLimitedUntil"]) == ("paused", None)
    clock.advance(days=2)
    desk.run()
    assert len(_texts(desk)) == 2
    assert desk.data("POST", f"/campaigns/{campaign_id}/resume")["status"] == "active"
    desk.run()
    assert len(_texts(desk)) == 4
    conflict = desk.call("POST", f"/campaigns/{campaign_id}/resume")
    assert conflict.status_code == 409


def test_an_empty_wallet_pauses_the_campaign_until_it_is_topped_up(
    still: RunningHerald,
) -> None:
    desk = open_desk(still, balance="0.05")  # one message
    leads = _two_leads(desk)
    campaign_id = desk.start_with({"steps": [THREE_STEPS["steps"][0]]}, leads)
    desk.run()
    assert len(_texts(desk)) == 1
    campaign = desk.get_campaign(campaign_id)
    assert (campaign["status"], campaign["rateLimitedUntil"]) == ("paused", None)
    with still.container.db.transaction() as session:
        billing.top_up(
            session,
            still.container.clock,
            uuid.UUID(desk.tenant.billing_account_id),
            to_micros("1"),
            "top-up",
        )
    desk.data("POST", f"/campaigns/{campaign_id}/resume")
    desk.run()
    assert len(_texts(desk)) == 2
    assert desk.get_campaign(campaign_id)["status"] == "completed"


def test_a_number_that_opted_out_gets_no_further_step(
    still: RunningHerald, clock: ManualClock
) -> None:
    desk = open_desk(still)
    leads = _two_leads(desk)
    with still.container.db.transaction() as session:  # an operator suppressed Bruno
        inbound.suppress(session, clock, uuid.UUID(desk.tenant.organization_id), BRUNO, "OPERATOR")
    campaign_id = desk.start_with(THREE_STEPS, leads, autoCancelOnMessageReceived=False)
    desk.run()
    assert _texts(desk) == ["Hi Ana, step one."]
    desk.reply(ANA, "STOP")  # even where replies do not stop a sequence, STOP does
    _finish(desk, clock)
    assert _texts(desk) == ["Hi Ana, step one."]
    states = {p["leadId"]: (p["state"], p["nextStep"]) for p in desk.progress(campaign_id)}
    assert states == {leads[0]: ("opted_out", 2), leads[1]: ("opted_out", 0)}
    assert desk.get_campaign(campaign_id)["status"] == "completed"
    assert still.balance(desk.tenant) == to_micros("99.95")
