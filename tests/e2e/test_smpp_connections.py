"""Carrier connections change on a running Herald: one added is opened within seconds and
carries the messages routed to it; one removed is unbound."""

from __future__ import annotations

from herald.providers.smpp.smsc import SmscThread
from herald.routing import service as routing
from herald.tenancy import service as tenancy
from smpp_harness import FAST, add_connection, add_route, numbers, smsc_peer
from support import HeraldFactory, wait_until

__all__ = ["smsc_peer"]  # the fixture


def test_a_connection_added_while_running_carries_messages_and_one_removed_is_unbound(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    herald = make_herald(**FAST, connection_refresh_seconds=0.2)
    router = herald.container.router
    tenant = herald.tenant(balance="100")
    assert "carrier-a" not in router.providers

    add_connection(db_url, "carrier-a", smsc_peer.port)
    add_route(db_url, "carrier-a")
    campaign_id = herald.batch(tenant, numbers(3)).json()["campaign_id"]

    def delivered() -> bool:
        messages = herald.messages(tenant, campaign_id=campaign_id)
        return {m["status"] for m in messages} == {"DELIVERED"}

    wait_until(delivered, timeout=30)
    assert {m["provider_name"] for m in herald.messages(tenant)} == {"carrier-a"}
    assert len(smsc_peer.smsc.accepted) == 3  # type: ignore[union-attr]

    opened = router.providers["carrier-a"]
    with herald.container.db.transaction() as session:
        for route in routing.list_routes(session):
            routing.remove_route(session, route.id)
        routing.remove_connection(session, "carrier-a")
    wait_until(lambda: "carrier-a" not in router.providers)
    wait_until(lambda: not opened.is_available())  # type: ignore[attr-defined]  # unbound


def test_an_operator_key_sees_connections_with_their_link_state_and_routes_in_order(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    add_connection(db_url, "carrier-a", smsc_peer.port, tps=200)
    add_route(db_url, "carrier-a")
    add_route(db_url, "carrier-a", country="AO", priority=5)
    herald = make_herald(**FAST)
    wait_until(lambda: herald.container.router.providers["carrier-a"].is_available())  # type: ignore[attr-defined]
    tenant = herald.tenant()
    operator = {"X-API-KEY": herald.key(tenant, (tenancy.OPERATOR_CARRIERS_READ,))}

    assert herald.client.get("/c/v1/connections", headers=tenant.headers).status_code == 403
    [connection] = herald.client.get("/c/v1/connections", headers=operator).json()["data"]
    assert (connection["name"], connection["tps"], connection["bound"]) == ("carrier-a", 200, True)
    assert "password" not in connection
    routes = herald.client.get("/c/v1/routes", headers=operator).json()["data"]
    assert [(r["country_alpha2"], r["priority"]) for r in routes] == [("AO", 5), (None, 0)]

    herald.sign_in(tenant.api_key)
    assert herald.client.get("/dashboard/carriers").status_code == 403
    herald.sign_in(operator["X-API-KEY"])
    page = herald.client.get("/dashboard/carriers")
    assert page.status_code == 200
    assert "carrier-a" in page.text and 'class="status">bound<' in page.text
    assert "secret" not in page.text  # the connection's password


def test_a_connection_changed_while_a_batch_is_on_the_wire_sends_nothing_twice(
    make_herald: HeraldFactory, db_url: str, smsc_peer: SmscThread
) -> None:
    add_connection(db_url, "carrier-a", smsc_peer.port, tps=20)  # 40 messages: two seconds
    add_route(db_url, "carrier-a")
    herald = make_herald(**FAST, connection_refresh_seconds=0.2)
    wait_until(lambda: herald.container.router.providers["carrier-a"].is_available())  # type: ignore[attr-defined]
    tenant = herald.tenant()
    campaign_id = herald.batch(tenant, numbers(40)).json()["campaign_id"]
    smsc = smsc_peer.smsc
    assert smsc is not None
    wait_until(lambda: len(smsc.accepted) >= 5)

    with herald.container.db.transaction() as session:  # `herald connection update --tps 200`
        routing.update_connection(session, herald.container.clock, "carrier-a", tps=200)

    def delivered() -> bool:
        messages = herald.messages(tenant, campaign_id=campaign_id, limit=100)
        return len(messages) == 40 and {m["status"] for m in messages} == {"DELIVERED"}

    wait_until(delivered, timeout=30, interval=0.25)
    assert len(smsc.accepted) == 40  # the batch on the wire was recorded, not sent again
    assert sum(smsc.binds.values()) == 2  # and the connection was re-bound with the new cap
