"""What goes wrong on real carrier links, against the test SMSC over TCP: the link drops
mid-campaign, receipts overtake their submit_sm_resp, a response never comes, ids are
written in another base, a connection is down and its route fails over."""

from __future__ import annotations

from herald.kit import metrics
from herald.providers.smpp.smsc import SmscBehaviour, SmscThread
from smpp_harness import add_connection, add_route, numbers, rig, smsc_peer
from support import HeraldFactory, wait_until

__all__ = ["smsc_peer"]  # the fixture


def test_a_link_dropped_mid_campaign_loses_nothing_and_sends_nothing_twice(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    # The SMSC closes the connection when the 150th and the 400th submit_sm arrive, before
    # taking them: whatever was in flight then must be sent again after the rebind.
    smsc_peer.behaviour.drop_at = frozenset({150, 400})
    smpp = rig(make_herald, db_url, smsc_peer)
    campaign_id = smpp.herald.batch(smpp.tenant, numbers(600)).json()["campaign_id"]

    tallies = smpp.wait_settled(campaign_id, 600)

    assert tallies["DELIVERED"] == 600
    assert smpp.smsc.binds["bind_transceiver"] >= 3  # bound again after each drop
    destinations = [a.destination for a in smpp.smsc.accepted]
    assert len(destinations) == len(set(destinations)) == 600


def test_receipts_that_arrive_before_the_submit_response_are_kept_and_applied(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    smsc_peer.behaviour.receipt_before_response = True
    smpp = rig(make_herald, db_url, smsc_peer)
    single = smpp.herald.batch(smpp.tenant, numbers(200)).json()["campaign_id"]
    multi = smpp.herald.batch(smpp.tenant, numbers(20, 500), content="z" * 400).json()[
        "campaign_id"
    ]

    assert smpp.wait_settled(single, 200)["DELIVERED"] == 200
    assert smpp.wait_settled(multi, 20)["DELIVERED"] == 20


def test_an_unanswered_submit_is_sent_again_and_counted_as_a_resend(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    # The SMSC takes the 5th submit_sm but never answers it: its outcome is unknown to
    # Herald, which sends it again (at least once) and makes the duplicate visible.
    smsc_peer.behaviour.swallow_at = frozenset({5})
    smpp = rig(make_herald, db_url, smsc_peer)
    counter = metrics.smpp_parts_resent.labels("carrier-a")
    before = counter._value.get()
    campaign_id = smpp.herald.batch(smpp.tenant, numbers(20)).json()["campaign_id"]

    tallies = smpp.wait_settled(campaign_id, 20)

    assert tallies["DELIVERED"] == 20
    swallowed = smpp.smsc.accepted[4].destination
    assert len(smpp.smsc.accepted_to(swallowed)) == 2  # the rare duplicate, on purpose
    assert counter._value.get() - before == 1
    assert smpp.resent_parts() == 1
    # ...and shows it: in the message's parts and on the dashboard.
    [message] = smpp.herald.messages(smpp.tenant, e164_format="+" + swallowed)
    parts = smpp.herald.client.get(
        f"/c/v1/messages/{message['id']}/parts", headers=smpp.tenant.headers
    ).json()["data"]
    assert [(p["resends"], p["status"]) for p in parts] == [(1, "DELIVERED")]
    smpp.herald.sign_in(smpp.tenant.api_key)
    page = smpp.herald.client.get(f"/dashboard/campaigns/{campaign_id}").text
    assert page.count("resent ×1") == 1


def test_receipt_ids_written_in_decimal_match_ids_answered_in_hex(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    smsc_peer.behaviour.receipt_id_format = "decimal"
    smsc_peer.behaviour.receipt_tlv = False  # only the "id:… stat:…" text to go by
    smpp = rig(make_herald, db_url, smsc_peer)
    campaign_id = smpp.herald.batch(smpp.tenant, [*numbers(10), "+244990000998"]).json()[
        "campaign_id"
    ]

    tallies = smpp.wait_settled(campaign_id, 11)

    assert tallies["DELIVERED"] == 10
    assert tallies["EXPIRED"] == 1


def test_a_transmitter_and_receiver_pair_carries_submits_and_receipts(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    smpp = rig(make_herald, db_url, smsc_peer, connection={"bind_mode": "transmitter+receiver"})
    campaign_id = smpp.herald.batch(smpp.tenant, numbers(50)).json()["campaign_id"]

    assert smpp.wait_settled(campaign_id, 50)["DELIVERED"] == 50
    assert smpp.smsc.binds["bind_transmitter"] == 1
    assert smpp.smsc.binds["bind_receiver"] == 1


def test_a_route_whose_connection_is_down_fails_over_to_the_next_priority(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    down = SmscThread(SmscBehaviour(system_id="someone-else"))  # refuses our bind
    down.start()
    try:
        add_connection(db_url, "primary", down.port)
        add_connection(db_url, "backup", smsc_peer.port)
        add_route(db_url, "primary", country="AO", priority=10)
        add_route(db_url, "backup", country="AO", priority=5)
        herald = make_herald(smpp_response_timeout_seconds=1.0)
        tenant = herald.tenant()
        wait_until(lambda: herald.container.router.providers["backup"].is_available())  # type: ignore[attr-defined]

        campaign_id = herald.batch(tenant, numbers(5)).json()["campaign_id"]
        wait_until(
            lambda: herald.campaign(tenant, campaign_id)["data"]["messages"]["DELIVERED"] == 5,
            interval=0.3,
        )
        assert {m["provider_name"] for m in herald.messages(tenant, campaign_id=campaign_id)} == {
            "backup"
        }
    finally:
        down.stop()


def test_a_message_no_route_matches_is_rejected_and_refunded(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    add_connection(db_url, "angola", smsc_peer.port)
    add_route(db_url, "angola", country="AO")
    herald = make_herald()
    tenant = herald.tenant()
    response = herald.batch(tenant, ["+351912345678", "+351912345679"], country_alpha2="PT")
    campaign_id = response.json()["campaign_id"]

    wait_until(
        lambda: herald.campaign(tenant, campaign_id)["data"]["messages"]["REJECTED"] == 2,
        interval=0.3,
    )
    rejected = herald.messages(tenant, campaign_id=campaign_id)
    assert {(m["error_code"], m["is_refunded"]) for m in rejected} == {("NO_ROUTE", True)}
