"""The console's guard rails and pages: the session cookie, CSRF on every form, actions
only where the campaign's state allows, messages filtered, paged and exported, and the
live stream of a campaign."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from support import HeraldFactory, RunningHerald, wait_until

NUMBERS = ["+244923000001", "+244923000002"]


def test_the_session_cookie_is_httponly_samesite_and_expires(make_herald: HeraldFactory) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    signed = herald.sign_in(tenant.api_key)
    cookies = [h for k, h in signed.history[0].headers.multi_items() if k == "set-cookie"]
    key_cookie = next(c for c in cookies if c.startswith("herald_key="))
    assert "HttpOnly" in key_cookie and "SameSite=lax" in key_cookie
    assert "Max-Age=28800" in key_cookie and "Path=/dashboard" in key_cookie
    assert "Secure" not in key_cookie  # plain http here; https (or X-Forwarded-Proto) adds it
    https = herald.client.post(
        "/dashboard/login",
        data={"api_key": tenant.api_key, "csrf_token": herald.client.cookies["herald_csrf"]},
        headers={"X-Forwarded-Proto": "https"},
        follow_redirects=False,
    )
    assert "Secure" in https.headers["set-cookie"]


def test_a_post_without_the_csrf_token_is_refused(make_herald: HeraldFactory) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    campaign_id = herald.batch(tenant, NUMBERS).json()["campaign_id"]
    assert (
        herald.client.post("/dashboard/login", data={"api_key": tenant.api_key}).status_code == 403
    )
    herald.sign_in(tenant.api_key)
    for path in (f"/dashboard/campaigns/{campaign_id}/cancel", "/dashboard/logout"):
        assert herald.client.post(path).status_code == 403
        assert herald.client.post(path, data={"csrf_token": "forged"}).status_code == 403
    assert herald.campaign(tenant, campaign_id)["status"] != "CANCELLED"
    assert "Sign out" in herald.client.get("/dashboard").text  # still signed in


def test_a_campaign_offers_only_the_actions_its_state_allows(make_herald: HeraldFactory) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    campaign_id = herald.batch(tenant, NUMBERS).json()["campaign_id"]
    herald.sign_in(tenant.api_key)
    path = f"/dashboard/campaigns/{campaign_id}"

    def buttons() -> set[str]:
        page = herald.client.get(path).text
        return {b for b in ("Pause", "Resume", "Cancel") if f"<button>{b}</button>" in page}

    assert buttons() == {"Pause", "Cancel"}
    herald.dashboard_post(f"{path}/pause")
    assert buttons() == {"Resume", "Cancel"}
    herald.dashboard_post(f"{path}/resume")
    assert buttons() == {"Pause", "Cancel"}
    herald.dashboard_post(f"{path}/cancel")
    assert buttons() == set()
    assert "No action: the campaign is cancelled." in herald.client.get(path).text


def test_every_page_has_the_navigation_its_scopes_allow(make_herald: HeraldFactory) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    herald.sign_in(tenant.api_key)
    for path in ("/dashboard", "/dashboard/messages", "/dashboard/wallet"):
        page = herald.client.get(path).text
        assert 'href="/dashboard/messages"' in page and 'href="/dashboard/wallet"' in page
        assert 'href="/dashboard/carriers"' not in page
    herald.sign_in(herald.key(tenant, ("apikey:messages:read",)))
    page = herald.client.get("/dashboard/messages").text
    assert 'href="/dashboard/wallet"' not in page and 'href="/dashboard/voice"' not in page
    assert herald.client.get("/dashboard/wallet").status_code == 403
    assert herald.client.get("/dashboard/voice").status_code == 403


def test_messages_are_filtered_paged_and_exported(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    numbers = [f"+2449230000{i:02d}" for i in range(1, 61)] + ["+244923000999"]
    campaign_id = herald.batch(tenant, numbers).json()["campaign_id"]
    wait_until(lambda: herald.campaign(tenant, campaign_id)["status"] == "COMPLETED")
    herald.sign_in(tenant.api_key)
    first = herald.client.get("/dashboard/messages").text
    assert first.count('href="/dashboard/messages/') == 50 and 'rel="next"' in first
    older = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = herald.client.get(older).text
    assert second.count('href="/dashboard/messages/') == 11 and 'rel="next"' not in second
    failed = herald.client.get("/dashboard/messages?status=UNDELIVERED").text
    assert "+244923000999" in failed and "+244923000001" not in failed
    one = herald.client.get("/dashboard/messages?number=%2B244923000007").text
    assert one.count('href="/dashboard/messages/') == 1
    assert herald.client.get("/dashboard/messages?to=2000-01-01").text.count("/messages/") == 0
    exported = herald.client.get(f"/dashboard/messages.csv?campaign={campaign_id}")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert exported.headers["content-type"].startswith("text/csv") and len(rows) == 61
    refunded = [r for r in rows if r["refunded"] == "yes"]
    assert [r["to"] for r in refunded] == ["+244923000999"]
    message_id = refunded[0]["id"]
    detail = herald.client.get(f"/dashboard/messages/{message_id}").text
    assert "UNDELIVERED" in detail and "Refunded</th><td>yes" in detail


def test_the_live_stream_pushes_a_campaigns_funnel_and_ends_when_it_is_final(
    herald: RunningHerald,
) -> None:
    tenant = herald.tenant()
    campaign_id = herald.batch(tenant, NUMBERS).json()["campaign_id"]
    wait_until(lambda: herald.campaign(tenant, campaign_id)["status"] == "COMPLETED")
    herald.sign_in(tenant.api_key)
    page = herald.client.get(f"/dashboard/campaigns/{campaign_id}").text
    assert f'data-live="/dashboard/campaigns/{campaign_id}/events"' in page
    assert "<svg" in page and "series-delivered" in page
    stream = herald.client.get(f"/dashboard/campaigns/{campaign_id}/events")
    assert stream.headers["content-type"].startswith("text/event-stream")
    data = [line[6:] for line in stream.text.splitlines() if line.startswith('data: {"')]
    fragments = json.loads(data[0])
    assert "COMPLETED" in fragments["campaign-state"]
    assert 'data-status="DELIVERED">2<' in fragments["campaign-funnel"]
    assert "event: end" in stream.text


def test_the_script_is_served_from_the_package(make_herald: HeraldFactory) -> None:
    herald = make_herald(workers=False)
    script = herald.client.get("/dashboard/static/live.js")
    assert script.status_code == 200 and "EventSource" in script.text
    assert herald.client.get("/dashboard/static/nope.js").status_code == 404


def _upload(herald: RunningHerald, remitter_id: str, csv_text: str) -> Any:
    token = herald.client.cookies.get("herald_csrf", path="/dashboard")
    fields = {"name": "Spring sale", "content": "Hello!", "remitter_id": remitter_id}
    return herald.client.post(
        "/dashboard/campaigns/new",
        data={**fields, "csrf_token": token or ""},
        files={"file": ("numbers.csv", csv_text.encode(), "text/csv")},
    )


def test_a_campaign_starts_from_a_csv_after_its_estimate_is_confirmed(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    herald.sign_in(tenant.api_key)
    assert "Sender ID" in herald.client.get("/dashboard/campaigns/new").text
    shown = _upload(
        herald, tenant.remitter_id, "phone,name\n+244923000001,Ana\n+244923000002,Rui\n"
    )
    assert shown.status_code == 200 and "Estimated cost" in shown.text
    assert herald.client.get("/dashboard").text.count("/dashboard/campaigns/0") == 0  # not yet
    form = shown.text.split('action="/dashboard/campaigns/confirm"')[1]
    numbers = form.split('<textarea name="numbers" hidden>')[1].split("</textarea>")[0]
    confirmed = herald.dashboard_post(
        "/dashboard/campaigns/confirm",
        name="Spring sale",
        content="Hello!",
        remitter_id=tenant.remitter_id,
        country="",
        numbers=numbers,
    )
    assert confirmed.status_code == 200 and "Spring sale" in confirmed.text
    assert herald.campaign_count(tenant) == 1


def test_a_large_csv_is_split_in_batches_of_1000_and_a_huge_one_refused(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant(balance="100000")
    herald.sign_in(tenant.api_key)
    numbers = "\n".join(f"+24492{i:07d}" for i in range(2500))
    shown = _upload(herald, tenant.remitter_id, numbers)
    assert "Spring sale (1/3)" in shown.text and "Spring sale (3/3)" in shown.text
    huge = _upload(herald, tenant.remitter_id, "\n".join(f"+24492{i:07d}" for i in range(10_001)))
    assert huge.status_code == 422 and "at most 10,000 at once" in huge.text
    bad = _upload(herald, tenant.remitter_id, "+244923000001\nhello\n")
    assert bad.status_code == 422 and "Not a phone number: &#39;hello&#39;" in bad.text


def test_the_campaign_list_opens_a_live_stream_only_for_a_campaign_reader(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    herald.sign_in(tenant.api_key)
    assert 'data-live="/dashboard/events"' in herald.client.get("/dashboard").text
    herald.sign_in(herald.key(tenant, ("apikey:messages:read",)))
    assert "data-live" not in herald.client.get("/dashboard").text
    assert herald.client.get("/dashboard/events").status_code == 403
