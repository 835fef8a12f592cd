"""POST /c/v1/campaigns/batch, as seed 003 specifies it."""

from __future__ import annotations

from support import RunningHerald, wait_until

NUMBERS = ["+244990000001", "+244990000002", "990000003"]


def test_seed_example_is_accepted_and_completes(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    response = herald.batch(tenant, NUMBERS)
    assert response.status_code == 202
    body = response.json()
    assert body["message"] == "Campaign accepted and is pending processing."
    campaign_id = body["campaign_id"]
    done = wait_until(lambda: herald.campaign(tenant, campaign_id)["status"] == "COMPLETED")
    assert done
    campaign = herald.campaign(tenant, campaign_id)
    assert campaign["total_estimated_recipients"] == 3
    assert campaign["sms_remitter"] == {"id": tenant.remitter_id, "name": "Herald"}
    wait_until(lambda: herald.campaign(tenant, campaign_id)["data"]["messages"]["DELIVERED"] == 3)
    numbers = sorted(m["e164_format"] for m in herald.messages(tenant, campaign_id=campaign_id))
    assert numbers == ["+244990000001", "+244990000002", "+244990000003"]
