"""HERALD_WORKER_LOOPS: a process may run only some of the work, e.g. expansion beside the API
and dispatch (with the carrier links) on other machines; together they finish a campaign."""

from __future__ import annotations

import pydantic
import pytest

from herald.settings import Settings
from support import HeraldFactory, wait_until

NUMBERS = ["+244923000001", "+244923000002", "+244923000999"]


def test_two_processes_with_different_work_finish_a_campaign_together(
    make_herald: HeraldFactory,
) -> None:
    front = make_herald(worker_loops="expand,webhooks,outreach,voice,housekeeping")
    assert "expand" in {loop.name for loop in front.container.loops}
    assert not any(loop.name.startswith("dispatch") for loop in front.container.loops)
    assert not front.container.runs_links
    tenant = front.tenant()
    campaign_id = front.batch(tenant, NUMBERS).json()["campaign_id"]
    wait_until(lambda: front.campaign(tenant, campaign_id)["data"]["messages"]["total"] == 3)
    assert front.campaign(tenant, campaign_id)["data"]["messages"]["PENDING"] == 3  # no dispatch

    carrier = make_herald(worker_loops="dispatch")
    assert {loop.name for loop in carrier.container.loops} == {
        "connections",
        "mailboxes",
        "dispatch-1",
    }
    assert carrier.container.runs_links

    def settled() -> bool:
        tallies = front.campaign(tenant, campaign_id)["data"]["messages"]
        return (tallies["DELIVERED"], tallies["UNDELIVERED"]) == (2, 1)

    wait_until(settled, timeout=30)
    assert front.campaign(tenant, campaign_id)["status"] == "COMPLETED"


def test_an_unknown_worker_group_is_refused_at_start() -> None:
    with pytest.raises(pydantic.ValidationError, match="unknown worker loops"):
        Settings(worker_loops="expand,dispach")
    assert Settings(worker_loops="all").worker_groups >= {"expand", "dispatch"}
