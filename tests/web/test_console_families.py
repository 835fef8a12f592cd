"""Outreach and voice in the dashboard follow the API's access rules: outreach needs
campaigns:read and a grant to the account group, voice needs voice:campaigns:read; the
outreach funnel counts leads per workflow step."""

from __future__ import annotations

from outreach_kit import THREE_STEPS, add_group, open_desk
from support import HeraldFactory


def test_outreach_shows_only_granted_account_groups_with_a_funnel_per_step(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    desk = open_desk(herald)
    leads = desk.import_leads({"phone": "+244923000001"}, {"phone": "+244923000002"})
    campaign_id = desk.start_with(THREE_STEPS, leads)
    herald.sign_in(desk.tenant.api_key)
    listed = herald.client.get("/dashboard/outreach").text
    assert "Sales" in listed and "Q1 outreach" in listed
    page = herald.client.get(f"/dashboard/outreach/{desk.group_id}/{campaign_id}").text
    assert '<tr data-step="0"><td>#1 send</td><td>2</td><td>0</td>' in page
    assert page.count("<tr data-step=") == 3  # the three send steps, not the waits

    # Another key of the same tenant, with the scope but no grant to the group.
    ungranted = herald.key(desk.tenant, ("campaigns:read",))
    add_group(herald, desk.tenant, "Support", grant=False)
    herald.sign_in(ungranted)
    assert (
        "This key has been granted no account group."
        in herald.client.get("/dashboard/outreach").text
    )
    refused = herald.client.get(f"/dashboard/outreach/{desk.group_id}/{campaign_id}")
    assert refused.status_code == 403 and "Q1 outreach" not in refused.text
    herald.sign_in(herald.key(desk.tenant, ("apikey:campaign:read",)))
    assert herald.client.get("/dashboard/outreach").status_code == 403
    assert herald.client.get("/dashboard/voice").status_code == 403
