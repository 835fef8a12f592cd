"""The dashboard shows a key what the API would show it, page by page: campaigns need
apikey:campaign:read, messages apikey:messages:read, pause/resume/cancel
apikey:campaign:send, the balance a key that spends the wallet (apikey:campaign:send or
apikey:messages:send), carriers operator:carriers:read; anything else is a plain "this key
lacks the scope X" message."""

from __future__ import annotations

from support import HeraldFactory, RunningHerald, Tenant

NUMBERS = ["+244923000001", "+244923000002"]
CAMPAIGN = "Black Friday Promo - Luanda"


def signed_in(make_herald: HeraldFactory, *scopes: str) -> tuple[RunningHerald, Tenant, str]:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    campaign_id = herald.batch(tenant, NUMBERS).json()["campaign_id"]
    herald.sign_in(herald.key(tenant, scopes))
    return herald, tenant, campaign_id


def test_an_operator_key_sees_no_campaign_message_or_balance(make_herald: HeraldFactory) -> None:
    herald, _, campaign_id = signed_in(make_herald, "operator:carriers:read")
    page = herald.client.get("/dashboard").text
    assert CAMPAIGN not in page and "100.000000" not in page
    assert "This key lacks the apikey:campaign:read scope." in page
    assert "This key lacks the apikey:messages:read scope." in page
    assert "lacks the apikey:campaign:send or apikey:messages:send scope" in page
    assert herald.client.get("/dashboard/carriers").status_code == 200
    detail = herald.client.get(f"/dashboard/campaigns/{campaign_id}")
    assert detail.status_code == 403 and CAMPAIGN not in detail.text
    assert "This key lacks the apikey:campaign:read scope." in detail.text


def test_a_campaign_reader_sees_campaigns_but_not_messages_and_cannot_act(
    make_herald: HeraldFactory,
) -> None:
    herald, tenant, campaign_id = signed_in(make_herald, "apikey:campaign:read")
    page = herald.client.get("/dashboard").text
    assert CAMPAIGN in page and "100.000000" not in page
    assert "This key lacks the apikey:messages:read scope." in page
    detail = herald.client.get(f"/dashboard/campaigns/{campaign_id}")
    assert detail.status_code == 200 and CAMPAIGN in detail.text
    assert "This key lacks the apikey:messages:read scope." in detail.text
    assert "<button>Cancel</button>" not in detail.text
    refused = herald.dashboard_post(f"/dashboard/campaigns/{campaign_id}/cancel")
    assert refused.status_code == 403
    assert "This key lacks the apikey:campaign:send scope." in refused.text
    assert herald.campaign(tenant, campaign_id)["status"] != "CANCELLED"
    assert herald.client.get("/dashboard/carriers").status_code == 403


def test_a_message_reader_sees_messages_but_not_campaigns(make_herald: HeraldFactory) -> None:
    herald, _, campaign_id = signed_in(make_herald, "apikey:messages:read")
    page = herald.client.get("/dashboard").text
    assert "This key lacks the apikey:campaign:read scope." in page
    assert "This key lacks the apikey:messages:read scope." not in page
    assert herald.client.get(f"/dashboard/campaigns/{campaign_id}").status_code == 403


def test_a_sending_key_sees_the_balance_and_may_act(make_herald: HeraldFactory) -> None:
    herald, tenant, campaign_id = signed_in(
        make_herald, "apikey:campaign:send", "apikey:campaign:read"
    )
    assert "100.000000 USD" in herald.client.get("/dashboard").text
    detail = herald.client.get(f"/dashboard/campaigns/{campaign_id}")
    assert "<button>Cancel</button>" in detail.text
    herald.dashboard_post(f"/dashboard/campaigns/{campaign_id}/cancel")
    assert herald.campaign(tenant, campaign_id)["status"] == "CANCELLED"
