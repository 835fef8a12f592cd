"""Screenshots of the dashboard for the README: a throw-away Herald on a temporary SQLite
database, some campaigns of each family, and Debian's Chromium (nothing downloaded).

    uv run python docs/screenshots.py        # writes docs/dashboard-*.png
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

DOCS = Path(__file__).parent
sys.path.insert(0, str(DOCS.parent / "tests"))  # the tests' helpers build the demo state

from client_kit import served  # noqa: E402
from outreach_kit import THREE_STEPS, open_desk  # noqa: E402
from support import RunningHerald, start_herald, wait_until  # noqa: E402
from voice_kit import ANSWERS, MACHINE, Voice, number  # noqa: E402

from herald.kit import migrate  # noqa: E402
from herald.kit.db import create_engine_for  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.sqlite"
        engine = create_engine_for(f"sqlite:///{db}")
        migrate.upgrade(engine)
        engine.dispose()
        settings = {"voice_sim_time_scale": 0.05}
        herald = start_herald(f"sqlite:///{db}", Path(tmp) / "data", True, None, settings)
        try:
            shoot(herald)
        finally:
            herald.close()


def shoot(herald: RunningHerald) -> None:
    desk = open_desk(herald)
    tenant = desk.tenant
    campaign_id = ""
    for i, size in enumerate((60, 25)):
        numbers = [f"+2449230{i}{n:04d}" for n in range(size)] + ["+244923000999"]
        campaign_id = herald.batch(tenant, numbers).json()["campaign_id"]
    wait_until(lambda: herald.campaign(tenant, campaign_id)["status"] == "COMPLETED")
    leads = desk.import_leads(*({"phone": f"+24492300{n:04d}"} for n in range(1, 6)))
    outreach_id = desk.start_with(THREE_STEPS, leads)
    voice = Voice(herald, tenant)
    voice_id = voice.campaign(
        [number(i, ANSWERS if i % 3 else MACHINE) for i in range(8)], max_concurrent_calls=3
    )
    with served(herald) as url, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--headless=new"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/dashboard")
        page.fill("input[name=api_key]", tenant.api_key)
        page.click("button[type=submit]")
        page.wait_for_selector("button:text('Sign out')")
        page.screenshot(path=DOCS / "dashboard-campaigns.png", full_page=True)
        page.goto(f"{url}/dashboard/campaigns/{campaign_id}")
        page.screenshot(path=DOCS / "dashboard-campaign.png", full_page=True)
        page.goto(f"{url}/dashboard/voice/{voice_id}")
        page.wait_for_selector("#voice-in-flight:text('3 / 3')")
        time.sleep(1)
        page.screenshot(path=DOCS / "dashboard-voice.png", full_page=True)
        page.goto(f"{url}/dashboard/outreach/{desk.group_id}/{outreach_id}")
        page.screenshot(path=DOCS / "dashboard-outreach.png", full_page=True)
        page.goto(f"{url}/dashboard/messages?status=UNDELIVERED")
        page.screenshot(path=DOCS / "dashboard-messages.png", full_page=True)
        page.goto(f"{url}/dashboard/campaigns/new")
        page.screenshot(path=DOCS / "dashboard-new-campaign.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
