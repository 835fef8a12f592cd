"""API keys and webhooks in the dashboard: a key with apikey:keys:manage creates keys (the
secret shown once, no scope beyond its own) and revokes them; a key with
apikey:webhooks:manage sees each endpoint's deliveries and replays one."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from support import HeraldFactory, wait_until
from webhook_receiver import LOOPBACK, Receiver, register


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def test_a_key_manager_creates_a_key_shown_once_and_revokes_it(make_herald: HeraldFactory) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    manager = herald.key(tenant, ("apikey:keys:manage", "apikey:campaign:read"))
    herald.sign_in(tenant.api_key)  # the tenant's first key has every default scope but this
    assert 'href="/dashboard/keys"' not in herald.client.get("/dashboard").text
    assert herald.client.get("/dashboard/keys").status_code == 403
    herald.sign_in(manager)
    created = herald.dashboard_post("/dashboard/keys", name="reader", scopes="apikey:campaign:read")
    secret = re.search(r'<code id="new-key">([^<]+)</code>', created.text)
    assert secret is not None
    assert secret.group(1) not in herald.client.get("/dashboard/keys").text  # shown once
    beyond = herald.dashboard_post("/dashboard/keys", name="x", scopes="apikey:messages:send")
    assert (
        beyond.status_code == 422 and "Scopes this key lacks: apikey:messages:send" in beyond.text
    )
    listed = herald.client.get("/dashboard/keys").text
    row = re.search(r"<td>reader</td>.*?/dashboard/keys/([0-9a-f-]+)/revoke", listed, re.S)
    assert row is not None
    assert herald.client.get("/c/v1/campaigns", headers={"X-API-KEY": secret.group(1)}).is_success
    herald.dashboard_post(f"/dashboard/keys/{row.group(1)}/revoke")
    revoked = herald.client.get("/c/v1/campaigns", headers={"X-API-KEY": secret.group(1)})
    assert revoked.status_code == 401


def test_webhook_deliveries_are_listed_and_replayed(
    make_herald: HeraldFactory, receiver: Receiver
) -> None:
    herald = make_herald(webhook_allow_networks=LOOPBACK)
    tenant = herald.tenant()
    register(herald, tenant, receiver.url, "campaign.status_changed")
    herald.batch(tenant, ["+244990000001", "+244990000002"])
    wait_until(lambda: len(receiver.received) == 2)
    herald.sign_in(tenant.api_key)
    page = wait_until(
        lambda: (
            (text := herald.client.get("/dashboard/webhooks").text).count("SUCCEEDED") == 2 and text
        )
    )
    assert "campaign.status_changed" in page and receiver.url in page
    replay = re.search(r'action="(/dashboard/webhooks/[^"]+/replay)"', page)
    assert replay is not None
    herald.dashboard_post(replay.group(1))
    wait_until(lambda: len(receiver.received) == 3)
    assert herald.client.get("/dashboard/webhooks").status_code == 200
