"""The dashboard: sign in with a key, see campaigns progress and control them."""

from __future__ import annotations

from support import HeraldFactory, RunningHerald, wait_until


def test_signing_in_shows_the_wallet_and_campaigns(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    campaign_id = herald.batch(tenant, ["+244923000001", "+244923000999"]).json()["campaign_id"]
    wait_until(lambda: herald.balance(tenant) == 99_950_000)  # one delivered, one refunded
    assert "Sign in" in herald.client.get("/dashboard").text
    refused = herald.sign_in("wrong")
    assert refused.status_code == 401
    page = herald.sign_in(tenant.api_key)
    assert page.status_code == 200
    assert "Black Friday Promo - Luanda" in page.text
    assert "99.950000 USD" in page.text
    detail = herald.client.get(f"/dashboard/campaigns/{campaign_id}")
    assert "+244923000999" in detail.text and "COMPLETED" in detail.text


def test_a_campaign_can_be_cancelled_from_the_dashboard(make_herald: HeraldFactory) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    campaign_id = herald.batch(tenant, ["+244923000001", "+244923000002"]).json()["campaign_id"]
    herald.sign_in(tenant.api_key)
    page = herald.dashboard_post(f"/dashboard/campaigns/{campaign_id}/cancel")
    assert "CANCELLED" in page.text
    assert herald.campaign(tenant, campaign_id)["status"] == "CANCELLED"


def test_another_tenants_campaign_is_not_shown(herald: RunningHerald) -> None:
    owner, stranger = herald.tenant(), herald.tenant(name="Stranger")
    campaign_id = herald.batch(owner, ["+244923000001", "+244923000002"]).json()["campaign_id"]
    herald.sign_in(stranger.api_key)
    page = herald.client.get(f"/dashboard/campaigns/{campaign_id}")
    assert page.status_code == 404
    assert "Black Friday" not in page.text
