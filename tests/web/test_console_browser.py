"""The dashboard in a real browser (Debian's Chromium driven by Playwright; nothing is
downloaded): sign in, a running campaign's funnel updating over Server-Sent Events without
a reload, a campaign started from a CSV, pause and resume, a voice campaign's live calls,
an outreach funnel, and a key without read scopes seeing nothing. SQLite only: the
service-level tests cover both databases."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client_kit import served
from outreach_kit import THREE_STEPS, open_desk
from support import HeraldFactory, RunningHerald
from voice_kit import ANSWERS, Voice, number

CHROMIUM = os.environ.get("HERALD_CHROMIUM", "/usr/bin/chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's chromium"),
]
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--headless=new"]
        )
        yield launched
        launched.close()


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite only (overrides the two-database fixture of conftest.py)."""
    template: Path = request.getfixturevalue("sqlite_template")
    target = tmp_path / "herald.sqlite"
    shutil.copy(template, target)
    return f"sqlite:///{target}"


def signed_in(browser: Any, url: str, api_key: str) -> Any:
    page = browser.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{url}/dashboard")
    page.fill("input[name=api_key]", api_key)
    page.click("button[type=submit]")
    page.wait_for_selector("button:text('Sign out')")
    return page


def test_a_running_campaign_updates_without_a_reload_and_pauses_and_resumes(
    make_herald: HeraldFactory, browser: Any
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    herald.batch(tenant, ["+244923000001", "+244923000002"])
    with served(herald) as url:
        page = signed_in(browser, url, tenant.api_key)
        assert page.is_visible("text=Black Friday Promo - Luanda")
        page.click("text=Black Friday Promo - Luanda")
        page.evaluate("window.notReloaded = true")
        assert page.inner_text("[data-status=PENDING]") == "0"
        herald.expand()  # the worker's first turn, run by the test: two messages appear
        page.wait_for_function(
            "document.querySelector('[data-status=PENDING]').textContent === '2'"
        )
        page.click("button:text('Pause')")
        page.wait_for_selector("#campaign-status:text('PAUSED')")
        assert not page.is_visible("button:text('Pause')")
        page.click("button:text('Resume')")
        page.wait_for_selector("button:text('Pause')")
        page.evaluate("window.notReloaded = true")
        herald.dispatch()
        page.wait_for_function(
            "document.querySelector('[data-status=PENDING]').textContent === '0'"
        )
        assert page.evaluate("window.notReloaded") is True  # pushed, not reloaded
        assert page.locator("svg.chart").count() == 1


def test_a_campaign_starts_from_a_csv(
    make_herald: HeraldFactory, browser: Any, tmp_path: Path
) -> None:
    herald = make_herald()
    tenant = herald.tenant()
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("phone,name\n+244923000001,Ana\n+244923000002,Rui\n+244923000003,Eva\n")
    with served(herald) as url:
        page = signed_in(browser, url, tenant.api_key)
        page.click("text=New campaign from a CSV")
        page.fill("input[name=name]", "Spring sale")
        page.fill("textarea[name=content]", "Spring sale: 20% off this week.")
        page.set_input_files("input[name=file]", str(numbers))
        page.click("text=Show the estimate")
        assert "USD" in page.inner_text("#estimate")
        page.click("text=Confirm and send")
        page.wait_for_selector("#campaign-status:text('COMPLETED')")
        assert page.inner_text("h1") == "Spring sale"


def test_a_voice_campaigns_live_calls(make_herald: HeraldFactory, browser: Any) -> None:
    herald = make_herald(voice_sim_time_scale=0.05)  # a call lasts a few seconds
    tenant = herald.tenant()
    voice = Voice(herald, tenant)
    leads = [number(i, ANSWERS) for i in range(4)]
    campaign_id = voice.campaign(leads, max_concurrent_calls=2)
    with served(herald) as url:
        page = signed_in(browser, url, tenant.api_key)
        page.click("nav >> text=Voice")
        page.click("text=Q2 Lead Re-engagement")
        page.wait_for_selector("#voice-in-flight:text('2 / 2')")
        page.wait_for_selector("#voice-status:text('completed')", timeout=60_000)
        assert page.inner_text("#voice-completed") == "4"
        assert page.locator("text=human").count() >= 1
    assert voice.show(campaign_id)["completed_calls"] == 4


def test_an_outreach_funnel(make_herald: HeraldFactory, browser: Any) -> None:
    herald: RunningHerald = make_herald(workers=False)
    desk = open_desk(herald)
    leads = desk.import_leads({"phone": "+244923000001"}, {"phone": "+244923000002"})
    desk.start_with(THREE_STEPS, leads)
    with served(herald) as url:
        page = signed_in(browser, url, desk.tenant.api_key)
        page.click("nav >> text=Outreach")
        page.click("text=Q1 outreach")
        first_step = page.locator("tr[data-step='0'] td").all_inner_texts()
        assert first_step[:3] == ["#1 send", "2", "0"]  # two leads waiting, none sent yet
        assert page.locator("tr[data-step]").count() == 3


def test_a_key_without_read_scopes_sees_nothing(make_herald: HeraldFactory, browser: Any) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant()
    herald.batch(tenant, ["+244923000001", "+244923000002"])
    with served(herald) as url:
        page = signed_in(browser, url, herald.key(tenant, ("apikey:messages:send",)))
        text = page.inner_text("body")
        assert "Black Friday" not in text
        assert "This key lacks the apikey:campaign:read scope." in text
        assert "This key lacks the apikey:messages:read scope." in text
        assert page.locator("nav >> text=Messages").count() == 0
        page.goto(f"{url}/dashboard/messages")
        assert "This key lacks the apikey:messages:read scope." in page.inner_text("body")
