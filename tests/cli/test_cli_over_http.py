"""The command line over HTTP: `herald campaign send --watch` against a served Herald, as a
separate process with only HERALD_URL and HERALD_API_KEY, and the list/show/control
commands of the three campaign families with --json and their one-line errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from client_kit import account_group, served
from herald.cli.main import app
from herald.client import Herald
from support import HeraldFactory, RunningHerald, Tenant, wait_until

FINAL = ("DELIVERED", "FAILED", "UNDELIVERED", "EXPIRED", "REJECTED", "CANCELLED")


def numbers_file(path: Path, count: int) -> Path:
    """A CSV of `count` distinct Angolan numbers (a few end in the simulator's failing
    suffixes), with a header and one repeated line."""
    rows = [f"+24499{i:07d}" for i in range(count)]
    path.write_text("phone,name\n" + "\n".join(f"{n},x" for n in rows + rows[:1]) + "\n")
    return path


@pytest.mark.slow
def test_campaign_send_watch_sends_5000_numbers_in_batches_until_every_message_is_final(
    make_herald: HeraldFactory, tmp_path: Path
) -> None:
    # Four batches in three seconds: the fifth is refused with 429 and sent after Retry-After.
    herald = make_herald(batch_rate_limit="4 per 3 seconds", read_rate_limit="100000/minute")
    tenant = herald.tenant(balance="1000")
    numbers = numbers_file(tmp_path / "numbers.csv", 5000)
    with served(herald) as url:
        env = {**os.environ, "HERALD_URL": url, "HERALD_API_KEY": tenant.api_key}
        command = [sys.executable, "-m", "herald.cli.main", "campaign", "send"]
        command += ["--file", str(numbers), "--content", "Flash sale!", "--country", "AO"]
        command += ["--remitter-id", tenant.remitter_id, "--name", "Promo", "--watch"]
        command += ["--interval", "0.5"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stderr
        accepted = re.findall(r"^accepted ([0-9a-f-]{36}): ", done.stdout, re.MULTILINE)
        campaigns = [Herald(url, tenant.api_key).messaging.get_campaign(id) for id in accepted]
    assert [c.name for c in campaigns] == [f"Promo ({i}/5)" for i in range(1, 6)]
    assert [c.total_estimated_recipients for c in campaigns] == [1000] * 5
    tallies = [c.data["messages"] for c in campaigns]
    assert sum(t["total"] for t in tallies) == 5000
    assert sum(t[status] for t in tallies for status in FINAL) == 5000
    bars = {line.split()[0]: line for line in done.stdout.splitlines() if "%" in line}
    assert set(bars) == {"accepted", "sent", "final"}
    assert all("100%" in line and "5000/5000" in line for line in bars.values()), bars
    assert "5000 of 5000 messages final" in done.stdout


def run(env: dict[str, str], *args: str) -> Any:
    result = CliRunner().invoke(app, list(args), env=env)
    return result


def test_campaign_commands_print_json_and_control_a_campaign(herald: RunningHerald) -> None:
    tenant = herald.tenant()
    later = "2099-01-01T00:00:00+00:00"
    accepted = herald.batch(tenant, ["+244990000001", "+244990000002"], scheduled_at=later)
    campaign_id = accepted.json()["campaign_id"]
    with served(herald) as url:
        env = {"HERALD_URL": url, "HERALD_API_KEY": tenant.api_key}
        listed = run(env, "campaign", "list", "--json")
        assert listed.exit_code == 0, listed.output
        assert [c["id"] for c in json.loads(listed.stdout)] == [campaign_id]
        shown = json.loads(run(env, "campaign", "show", campaign_id, "--json").stdout)
        assert shown["status"] == "SCHEDULED" and shown["data"]["cost"]["estimated"]
        assert (
            json.loads(run(env, "campaign", "pause", campaign_id, "--json").stdout)["status"]
            == "PAUSED"
        )
        assert run(env, "campaign", "resume", campaign_id).stdout.strip() == (
            f"{campaign_id}: SCHEDULED"
        )
        assert "CANCELLED" in run(env, "campaign", "cancel", campaign_id).stdout
        messages = json.loads(
            run(env, "messages", "list", "--campaign-id", campaign_id, "--json").stdout
        )
        assert {m["status"] for m in messages} <= {"CANCELLED"}
        table = run(env, "messages", "list", "--status", "CANCELLED")
        assert table.exit_code == 0 and "Messages" in table.stdout


def test_an_api_error_is_one_line_on_stderr_with_the_trace_id_and_exit_1(
    herald: RunningHerald,
) -> None:
    tenant = herald.tenant()
    missing = "01a2344d-19c9-731a-9b7b-7b5b975f5902"
    with served(herald) as url:
        env = {"HERALD_URL": url, "HERALD_API_KEY": tenant.api_key}
        result = run(env, "campaign", "show", missing, "--json")
        no_key = run({"HERALD_URL": url, "HERALD_API_KEY": ""}, "campaign", "list")
    assert result.exit_code == 1 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: 404 NOT_FOUND:") and "trace_id" in result.stderr
    assert no_key.exit_code == 1 and "HERALD_API_KEY" in no_key.stderr


def test_voice_campaign_commands_list_show_and_control_over_http(
    herald: RunningHerald,
) -> None:
    tenant = herald.tenant()
    with served(herald) as url:
        client = Herald(url, tenant.api_key)
        client.voice.add_phone_number("+351211234567")
        agent = client.voice.create_agent(name="A", greeting="Hi.", message="Renew?")
        campaign = client.voice.create_campaign(
            name="Q2", agent_id=agent.id, from_phone_number="+351211234567",
            status="draft", leads=[{"phone_number": "+351910000902"}],
        )  # fmt: skip
        env = {"HERALD_URL": url, "HERALD_API_KEY": tenant.api_key}
        listed = json.loads(run(env, "voice-campaign", "list", "--json").stdout)
        assert [c["id"] for c in listed] == [campaign.id]
        assert (
            json.loads(run(env, "voice-campaign", "show", campaign.id, "--json").stdout)[
                "total_leads"
            ]
            == 1
        )
        assert "active" in run(env, "voice-campaign", "resume", campaign.id).stdout
        assert "paused" in run(env, "voice-campaign", "pause", campaign.id).stdout
        cancelled = run(env, "voice-campaign", "cancel", campaign.id, "--json")
        assert json.loads(cancelled.stdout)["status"] == "cancelled"
        watched = json.loads(run(env, "voice-campaign", "watch", campaign.id, "--json").stdout)
        assert watched["status"] == "cancelled"
        assert run(env, "voice-campaign", "calls", campaign.id, "--json").exit_code == 0
        again = run(env, "voice-campaign", "pause", campaign.id)
    assert again.exit_code == 1 and again.stderr.startswith("error: 409 conflict:")


def test_outreach_campaign_commands_find_the_key_s_account_group(herald: RunningHerald) -> None:
    tenant: Tenant = herald.tenant()
    group_id = account_group(herald, tenant)
    with served(herald) as url:
        group = Herald(url, tenant.api_key).outreach.group(group_id)
        lead_ids = group.import_leads([{"phone": "+244990000101"}]).lead_ids
        steps = [{"type": "send", "templates": {"en": "Hi"}}, {"type": "wait", "duration": "P1D"},
                 {"type": "send", "templates": {"en": "Still there?"}}]  # fmt: skip
        campaign = group.create_campaign(
            name="Fair", sender_id=tenant.remitter_id, workflow={"steps": steps}
        )
        group.select_leads(campaign.id, lead_ids)
        env = {"HERALD_URL": url, "HERALD_API_KEY": tenant.api_key}
        listed = json.loads(run(env, "outreach-campaign", "list", "--json").stdout)
        assert [c["id"] for c in listed] == [campaign.id]
        assert "active" in run(env, "outreach-campaign", "start", campaign.id).stdout
        paused = run(env, "outreach-campaign", "pause", campaign.id, "--account-group", group_id)
        assert paused.stdout.strip() == f"{campaign.id}: paused"
        assert "active" in run(env, "outreach-campaign", "resume", campaign.id).stdout
        shown = json.loads(run(env, "outreach-campaign", "show", campaign.id, "--json").stdout)
        assert shown["selectedLeadCount"] == 1
        assert "cancelled" in run(env, "outreach-campaign", "cancel", campaign.id).stdout
        watched = run(env, "outreach-campaign", "watch", campaign.id, "--json")
    assert json.loads(watched.stdout)["campaign"]["status"] == "cancelled"


def test_a_file_is_cut_in_batches_of_at_most_1000_none_below_the_api_s_least_of_2() -> None:
    from herald.cli.campaigns import batches

    numbers = [str(n) for n in range(2001)]
    assert [len(b) for b in batches(numbers, 1000)] == [1000, 999, 2]
    assert [len(b) for b in batches(numbers[:2000], 1000)] == [1000, 1000]
    assert [n for chunk in batches(numbers, 1000) for n in chunk] == numbers


def test_numbers_are_read_from_a_plain_list_or_a_csv_s_phone_column(tmp_path: Path) -> None:
    from herald.cli.campaigns import read_numbers

    plain = tmp_path / "plain.txt"
    plain.write_text("+244990000001\n\n990000002\n+244990000001\n")
    table = tmp_path / "table.csv"
    table.write_text("name,Phone_Number\nAna,+244990000003\nRui,990000004\n")
    assert read_numbers(plain) == ["+244990000001", "990000002"]
    assert read_numbers(table) == ["+244990000003", "990000004"]


def test_campaign_send_says_it_waits_out_the_batch_rate_limit_and_sends_every_batch(
    make_herald: HeraldFactory, tmp_path: Path
) -> None:
    herald = make_herald(batch_rate_limit="1 per 2 seconds")
    tenant = herald.tenant()
    numbers = tmp_path / "four.txt"
    numbers.write_text("+244990000001\n+244990000002\n+244990000003\n+244990000004\n")
    with served(herald) as url:
        env = {"HERALD_URL": url, "HERALD_API_KEY": tenant.api_key}
        args = ["campaign", "send", "--file", str(numbers), "--content", "Hi", "--json"]
        sent = run(env, *args, "--remitter-id", tenant.remitter_id, "--batch-size", "2")
    assert sent.exit_code == 0, sent.output
    assert "rate limited: waiting" in sent.stderr
    result = json.loads(sent.stdout)
    assert len(result["campaign_ids"]) == 2 and result["numbers"] == 4
    wait_until(lambda: len(herald.messages(tenant)) == 4)
