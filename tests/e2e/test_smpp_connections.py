"""Carrier connections change on a running Herald: one added is opened within seconds and
carries the messages routed to it; one removed is unbound."""

from __future__ import annotations

from herald.providers.smpp.smsc import SmscThread
from herald.routing import service as routing
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
