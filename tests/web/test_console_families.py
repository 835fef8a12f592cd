"""Outreach and voice in the dashboard follow the API's access rules: outreach needs
campaigns:read and a grant to the account group, voice needs voice:campaigns:read; the
outreach funnel counts leads per workflow step."""

from __future__ import annotations

import uuid

from sqlalchemy import update

from herald.providers.voice_base import recording_path
from herald.tenancy import service as tenancy
from herald.voice.models import Call
from outreach_kit import THREE_STEPS, add_group, grant, open_desk
from support import HeraldFactory, RunningHerald
from voice_kit import ANSWERS, Voice, engine_id, number, start


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


def _buttons(herald: RunningHerald, path: str) -> set[str]:
    page = herald.client.get(path).text
    names = ("Start", "Launch", "Pause", "Resume", "Cancel")
    return {b for b in names if f"<button>{b}</button>" in page}


def test_an_outreach_campaign_offers_the_actions_its_state_allows_and_they_work(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    desk = open_desk(herald)
    leads = desk.import_leads({"phone": "+244923000001"})
    campaign_id = desk.start_with(THREE_STEPS, leads)
    herald.sign_in(desk.tenant.api_key)
    path = f"/dashboard/outreach/{desk.group_id}/{campaign_id}"
    assert _buttons(herald, path) == {"Pause", "Cancel"}
    herald.dashboard_post(f"{path}/pause")
    assert desk.get_campaign(campaign_id)["status"] == "paused"
    assert _buttons(herald, path) == {"Resume", "Cancel"}
    herald.dashboard_post(f"{path}/resume")
    assert desk.get_campaign(campaign_id)["status"] == "active"
    herald.dashboard_post(f"{path}/cancel")
    assert desk.get_campaign(campaign_id)["status"] == "cancelled"
    assert _buttons(herald, path) == set()
    assert "No action: the campaign is cancelled." in herald.client.get(path).text

    # A reader granted the group but without campaigns:write sees no button, cannot post one.
    reader = herald.key(desk.tenant, ("campaigns:read",))
    with herald.container.db.reading() as session:
        grant(herald, desk.group_id, str(tenancy.authenticate(session, reader).key_id))
    herald.sign_in(reader)
    assert "Start, pause, resume, cancel: this key lacks" in herald.client.get(path).text
    assert herald.dashboard_post(f"{path}/pause").status_code == 403


def test_a_voice_campaign_is_launched_paused_resumed_and_cancelled_from_its_page(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    tenant = herald.tenant(balance="10")
    voice = Voice(herald, tenant)
    campaign_id = voice.campaign([number(1), number(2)], status="draft")
    herald.sign_in(tenant.api_key)
    path = f"/dashboard/voice/{campaign_id}"
    assert _buttons(herald, path) == {"Launch", "Cancel"}
    herald.dashboard_post(f"{path}/launch")
    assert voice.show(campaign_id)["status"] == "active"
    assert _buttons(herald, path) == {"Pause", "Cancel"}
    herald.dashboard_post(f"{path}/pause")
    assert voice.show(campaign_id)["status"] == "paused"
    assert _buttons(herald, path) == {"Resume", "Cancel"}
    herald.dashboard_post(f"{path}/resume")
    assert voice.show(campaign_id)["status"] == "active"
    herald.dashboard_post(f"{path}/cancel")
    assert voice.show(campaign_id)["status"] == "cancelled"
    assert _buttons(herald, path) == set()

    herald.sign_in(herald.key(tenant, ("voice:campaigns:read",)))
    assert "this key lacks the voice:campaigns:write scope" in herald.client.get(path).text
    assert herald.dashboard_post(f"{path}/cancel").status_code == 403


def test_the_outreach_and_voice_lists_are_pushed_live_to_their_readers_only(
    make_herald: HeraldFactory,
) -> None:
    herald = make_herald(workers=False)
    desk = open_desk(herald)
    herald.sign_in(desk.tenant.api_key)
    assert 'data-live="/dashboard/outreach/events"' in herald.client.get("/dashboard/outreach").text
    assert 'data-live="/dashboard/voice/events"' in herald.client.get("/dashboard/voice").text
    herald.sign_in(herald.key(desk.tenant, ("apikey:campaign:read",)))
    assert herald.client.get("/dashboard/outreach/events").status_code == 403
    assert herald.client.get("/dashboard/voice/events").status_code == 403


def test_a_recorded_call_is_linked_from_the_voice_call_log_for_a_call_log_reader(
    make_herald: HeraldFactory,
) -> None:
    herald = start(make_herald, voice_sim_time_scale=0.05)
    tenant = herald.tenant(balance="10")
    voice = Voice(herald, tenant)
    campaign_id = voice.campaign([number(1, ANSWERS)])
    voice.wait_status(campaign_id, "completed")
    [call] = voice.calls(campaign_id)
    # What a recording provider (the SIP trunk) leaves behind: the file and its length.
    container = herald.container
    wav = recording_path(container.settings.data_dir, engine_id(call["id"]))
    wav.parent.mkdir(parents=True, exist_ok=True)
    wav.write_bytes(b"RIFF....WAVE")
    with container.db.transaction() as session:
        session.execute(
            update(Call)
            .where(Call.id == uuid.UUID(engine_id(call["id"])))
            .values(recording_seconds=7)
        )
    herald.sign_in(tenant.api_key)
    page = herald.client.get(f"/dashboard/voice/{campaign_id}").text
    link = f"/dashboard/voice/calls/{call['id']}/recording"
    assert f'<a href="{link}">recording</a> (7 s)' in page
    download = herald.client.get(link)
    assert download.status_code == 200 and download.content == b"RIFF....WAVE"
    assert download.headers["content-type"] == "audio/wav"

    herald.sign_in(herald.key(tenant, ("voice:campaigns:read",)))
    assert herald.client.get(link).status_code == 403
