"""Replies over SMPP: a person's message (deliver_sm from the SMSC) is stored for the tenant
that owns the number they wrote to and listed in the API; STOP suppresses the number for
that tenant's campaigns (skipped, counted, never charged) and START lifts it."""

from __future__ import annotations

import uuid
from typing import Any

from herald.inbound import listeners
from herald.providers.smpp.smsc import SmscThread
from herald.tenancy import service as tenancy
from smpp_harness import FAST, SmppRig, numbers, rig, smsc_peer
from support import HeraldFactory, wait_until

__all__ = ["smsc_peer"]  # the fixture

SHORT_CODE = "55123"


def _inbound(smpp: SmppRig, **params: Any) -> list[dict[str, Any]]:
    response = smpp.herald.client.get(
        "/c/v1/inbound-messages", params=params, headers=smpp.tenant.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["data"]
    return items


def _wait_inbound(smpp: SmppRig, count: int) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]] | None:
        items = _inbound(smpp)
        return items if len(items) >= count else None

    found: list[dict[str, Any]] = wait_until(enough, interval=0.2)
    return found


def _with_short_code(make_herald: HeraldFactory, db_url: str, peer: SmscThread) -> SmppRig:
    """A rig whose tenant also owns the short code people reply to."""
    smpp = rig(make_herald, db_url, peer)
    organization_id = uuid.UUID(smpp.tenant.organization_id)
    with smpp.herald.container.db.transaction() as session:
        tenancy.create_remitter(session, smpp.herald.container.clock, organization_id, SHORT_CODE)
    return smpp


def test_a_reply_is_stored_for_the_tenant_that_owns_the_number_and_listed(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    smpp = _with_short_code(make_herald, db_url, smsc_peer)
    heard: list[listeners.InboundEvent] = []

    def listener(_session: object, _clock: object, event: listeners.InboundEvent) -> None:
        heard.append(event)

    listeners.register(listener)  # type: ignore[arg-type]
    try:
        smsc_peer.send_mo("244990000123", SHORT_CODE, "Yes, count me in! 👍")
        smsc_peer.send_mo("244990000124", SHORT_CODE, "Olá " + "ç" * 150)  # two UCS-2 parts
        items = _wait_inbound(smpp, 2)
    finally:
        listeners._listeners.remove(listener)  # type: ignore[arg-type]
    by_sender = {i["from_number"]: i for i in items}
    assert by_sender["+244990000123"]["content"] == "Yes, count me in! 👍"
    assert by_sender["+244990000123"]["to_number"] == SHORT_CODE
    assert by_sender["+244990000123"]["action"] is None
    assert by_sender["+244990000124"]["content"] == "Olá " + "ç" * 150
    assert [i["from_number"] for i in _inbound(smpp, from_number="+244990000124")] == [
        "+244990000124"
    ]
    assert {e.from_number for e in heard} >= {"+244990000123", "+244990000124"}


def test_stop_suppresses_the_number_and_start_lifts_it(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    smpp = _with_short_code(make_herald, db_url, smsc_peer)
    person, other = numbers(2)
    smsc_peer.send_mo(person.removeprefix("+"), SHORT_CODE, "  Stop ")
    items = _wait_inbound(smpp, 1)
    assert items[0]["action"] == "OPT_OUT"

    before = smpp.herald.balance(smpp.tenant)
    campaign_id = smpp.herald.batch(smpp.tenant, [person, other]).json()["campaign_id"]
    smpp.wait_settled(campaign_id, 1)
    campaign = smpp.herald.campaign(smpp.tenant, campaign_id)
    assert campaign["status_note"] == "1 of 2 recipients accepted; dropped 1 opted out."
    assert campaign["data"]["recipients"]["suppressed"] == 1
    assert before - smpp.herald.balance(smpp.tenant) == 50_000  # one message charged
    assert smpp.smsc.accepted_to(person.removeprefix("+")) == []

    single = smpp.herald.client.post(
        "/c/v1/messages",
        json={
            "remitter_id": smpp.tenant.remitter_id,
            "content": "Hello again",
            "channel_type": "SMS",
            "recipient": person,
        },
        headers=smpp.tenant.headers,
    )
    assert single.status_code == 422
    assert "recipient" in single.json()["fields"]

    smsc_peer.send_mo(person.removeprefix("+"), SHORT_CODE, "START")
    assert _wait_inbound(smpp, 2)[0]["action"] == "OPT_IN"
    again = smpp.herald.batch(smpp.tenant, [person, other]).json()["campaign_id"]
    assert smpp.wait_settled(again, 2)["DELIVERED"] == 2


def test_portuguese_keywords_opt_out_numbers_of_portuguese_speaking_markets(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    smpp = _with_short_code(make_herald, db_url, smsc_peer)
    smsc_peer.send_mo("244990000777", SHORT_CODE, "Sair")
    smsc_peer.send_mo("447911123456", SHORT_CODE, "Sair")  # a UK number: just a reply

    items = _wait_inbound(smpp, 2)

    actions = {i["from_number"]: i["action"] for i in items}
    assert actions == {"+244990000777": "OPT_OUT", "+447911123456": None}


def test_the_parts_of_a_long_reply_survive_a_restart_and_a_repeated_part_counts_once(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    smpp = _with_short_code(make_herald, db_url, smsc_peer)
    text = "Please call me back about the offer, " * 6  # two GSM-7 parts
    person = "244990000125"
    smsc_peer.send_mo(person, SHORT_CODE, text, parts=[1], reference=77)
    smsc_peer.send_mo(person, SHORT_CODE, text, parts=[1], reference=77)  # sent again
    wait_until(lambda: smsc_peer.smsc is not None and smsc_peer.smsc.receipts_acknowledged == 2)
    assert _inbound(smpp) == []

    smpp.herald.close()  # part 1 was acknowledged: from now on it is Herald's to keep
    restarted = make_herald(**FAST)
    wait_until(lambda: restarted.container.router.providers["carrier-a"].is_available())  # type: ignore[attr-defined]
    smsc_peer.send_mo(person, SHORT_CODE, text, parts=[2], reference=77)
    smpp.herald = restarted

    [reply] = _wait_inbound(smpp, 1)
    assert reply["content"] == text
    assert reply["from_number"] == "+" + person
