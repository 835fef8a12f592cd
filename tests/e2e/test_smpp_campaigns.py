"""Campaigns over a real SMPP 3.4 link: Herald's ESME against the test SMSC over TCP on
127.0.0.1. The SMSC reads and writes its PDUs with smpp.pdu3, Herald with smpplib, so the
two sides cannot share a codec bug."""

from __future__ import annotations

from herald.providers.smpp.smsc import SmscThread
from smpp_harness import FAST, numbers, rig, smsc_peer
from support import HeraldFactory, wait_until

__all__ = ["smsc_peer"]  # the fixture


def test_a_campaign_of_1000_messages_is_all_delivered_over_smpp(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    smpp = rig(make_herald, db_url, smsc_peer)
    recipients = numbers(1000)
    response = smpp.herald.batch(smpp.tenant, recipients)
    assert response.status_code == 202
    campaign_id = response.json()["campaign_id"]

    tallies = smpp.wait_settled(campaign_id, 1000)

    assert tallies["DELIVERED"] == 1000
    assert len(smpp.smsc.accepted) == 1000  # each message went out exactly once
    assert sorted(a.destination for a in smpp.smsc.accepted) == sorted(
        n.removeprefix("+") for n in recipients
    )
    listed = smpp.herald.messages(smpp.tenant, campaign_id=campaign_id, limit=5)
    assert {m["provider_name"] for m in listed} == {"carrier-a"}
    assert smpp.herald.ledger_balances(smpp.tenant)


def test_long_messages_go_out_as_concatenated_parts_and_settle_from_every_part(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    smpp = rig(make_herald, db_url, smsc_peer)
    gsm_text = "Promo {curly} [square] ~tilde~ €uro " * 12  # escape pairs across boundaries
    ucs2_text = "Promoção válida até domingo 🎉 — " * 6
    gsm = smpp.herald.batch(smpp.tenant, numbers(2), content=gsm_text).json()["campaign_id"]
    ucs2 = smpp.herald.batch(smpp.tenant, numbers(2, 10), content=ucs2_text).json()["campaign_id"]

    assert smpp.wait_settled(gsm, 2)["DELIVERED"] == 2
    assert smpp.wait_settled(ucs2, 2)["DELIVERED"] == 2

    texts = smpp.smsc.texts()
    for number in numbers(2):
        assert texts[number.removeprefix("+")] == [gsm_text]
    for number in numbers(2, 10):
        assert texts[number.removeprefix("+")] == [ucs2_text]
    gsm_parts = smpp.smsc.accepted_to(numbers(1)[0].removeprefix("+"))
    assert {(p.data_coding, p.esm_class) for p in gsm_parts} == {(0, 0x40)}
    ucs2_parts = smpp.smsc.accepted_to(numbers(1, 10)[0].removeprefix("+"))
    assert {(p.data_coding, p.esm_class) for p in ucs2_parts} == {(8, 0x40)}

    message = smpp.herald.messages(smpp.tenant, campaign_id=gsm)[0]
    parts = smpp.parts(message["id"])
    assert [p.part_number for p in parts] == list(range(1, len(gsm_parts) + 1))
    assert len({p.provider_message_id for p in parts}) == len(parts)  # one carrier id per part
    listed = smpp.herald.client.get(
        f"/c/v1/messages/{message['id']}/parts", headers=smpp.tenant.headers
    ).json()["data"]
    assert [(p["part_number"], p["parts_total"], p["status"]) for p in listed] == [
        (n, len(parts), "DELIVERED") for n in range(1, len(parts) + 1)
    ]
    assert [p["carrier_message_id"] for p in listed] == [p.provider_message_id for p in parts]
    assert {p.status for p in parts} == {"DELIVERED"}


def test_a_message_is_delivered_only_when_every_part_is(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    smpp = rig(make_herald, db_url, smsc_peer)
    # The simulator's receipt depends on the destination: every part of a message to ...0999
    # comes back UNDELIVERED, so the message does, and it is refunded.
    long_text = "x" * 400
    campaign_id = smpp.herald.batch(
        smpp.tenant, ["+244990000999", "+244990010999", *numbers(1)], content=long_text
    ).json()["campaign_id"]

    tallies = smpp.wait_settled(campaign_id, 3)

    assert tallies["UNDELIVERED"] == 2
    assert tallies["DELIVERED"] == 1
    failed = smpp.herald.messages(smpp.tenant, campaign_id=campaign_id, status="UNDELIVERED")
    assert all(m["is_refunded"] for m in failed)
    assert {m["error_code"] for m in failed} == {"UNDELIV:001"}
    assert smpp.herald.ledger_balances(smpp.tenant)


def test_a_permanent_refusal_rejects_the_message_with_its_smpp_status_and_refunds_it(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    smpp = rig(make_herald, db_url, smsc_peer)
    before = smpp.herald.balance(smpp.tenant)
    campaign_id = smpp.herald.batch(smpp.tenant, ["+244990000666", *numbers(1)]).json()[
        "campaign_id"
    ]

    tallies = smpp.wait_settled(campaign_id, 2)

    assert tallies["REJECTED"] == 1
    rejected = smpp.herald.messages(smpp.tenant, campaign_id=campaign_id, status="REJECTED")[0]
    assert rejected["error_code"] == "ESME_RINVDSTADR"
    assert rejected["is_refunded"] is True
    assert before - smpp.herald.balance(smpp.tenant) == 50_000  # only the delivered one paid


def test_throttling_answers_slow_the_connection_down_and_nothing_is_lost_or_doubled(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    smsc_peer.behaviour.throttle_every = 7  # every 7th submit_sm: ESME_RTHROTTLED
    smpp = rig(make_herald, db_url, smsc_peer)
    text = "y" * 300  # two parts: a throttled second part must not resend the first
    campaign_id = smpp.herald.batch(smpp.tenant, numbers(120), content=text).json()["campaign_id"]

    tallies = smpp.wait_settled(campaign_id, 120)

    assert tallies["DELIVERED"] == 120
    assert smpp.smsc.submits > 240  # some were refused and sent again
    assert len(smpp.smsc.accepted) == 240  # but every part was accepted exactly once
    assert all(len(texts) == 1 for texts in smpp.smsc.texts().values())


def test_receipts_reaching_another_workers_bind_settle_without_waiting_for_reconcile(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    # Two Herald workers on one database, each with its own bind of the same connection. The
    # SMSC hands each receipt to whichever receiver is least busy, as SMSCs do, so a part
    # submitted by one worker often has its receipt read by the other. Both must settle it
    # at once, not at the next reconcile (every 30 s).
    smpp = rig(make_herald, db_url, smsc_peer)
    other = make_herald(**FAST)
    wait_until(lambda: other.container.router.providers["carrier-a"].is_available())  # type: ignore[attr-defined]
    assert sum(smpp.smsc.binds.values()) == 2
    campaign_id = smpp.herald.batch(smpp.tenant, numbers(1000)).json()["campaign_id"]

    tallies = smpp.wait_settled(campaign_id, 1000, timeout=20)

    assert tallies["DELIVERED"] == 1000
    assert len(smpp.smsc.accepted) == 1000
