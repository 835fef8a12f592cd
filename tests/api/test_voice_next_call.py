"""A campaign that places no call says when it will dial next and why (`next_call_at`,
`waiting_reason`), in the API and the CLI."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from herald.cli.main import app as cli
from herald.kit.clock import ManualClock
from herald.providers.voice_base import CallEvent, CallEventKind, EndReason
from herald.voice import dialer, settle
from herald.voice.models import Call
from support import HeraldFactory, RunningHerald
from voice_kit import ANSWERS, BUSY, Voice, number, start

MONDAY_EVENING = datetime(2026, 1, 5, 20, 0, tzinfo=UTC)  # Lisbon is on UTC in January
WEEKDAYS_9_TO_6 = {
    "start": "09:00",
    "end": "18:00",
    "days": ["mon", "tue", "wed", "thu", "fri"],
}


def voice_at(make_herald: HeraldFactory, now: datetime) -> tuple[Voice, ManualClock]:
    clock = ManualClock(now)
    herald = start(make_herald, clock=clock, workers=False)
    return Voice(herald, herald.tenant(balance="10")), clock


def dial(herald: RunningHerald, clock: ManualClock) -> int:
    app = herald.container
    assert app.voice is not None
    return dialer.dial_due(app.db, clock, app.voice.providers, "test-node")


def waits(shown: dict[str, object]) -> tuple[object, object, object]:
    return shown["status"], shown["next_call_at"], shown["waiting_reason"]


def test_a_campaign_outside_its_calling_hours_says_when_it_calls_next(
    make_herald: HeraldFactory,
) -> None:
    voice, clock = voice_at(make_herald, MONDAY_EVENING)
    lead = {"phone_number": number(1, ANSWERS), "timezone": "Europe/Lisbon"}
    campaign = voice.campaign([lead], calling_hours=WEEKDAYS_9_TO_6)
    tomorrow_9 = ("active", "2026-01-06T09:00:00.000Z", "outside_calling_hours")
    assert waits(voice.show(campaign)) == tomorrow_9
    assert dial(voice.herald, clock) == 0  # the dialer agrees, and postpones the lead
    assert waits(voice.show(campaign)) == tomorrow_9
    listed = voice.get("/v1/campaigns").json()["data"][0]
    assert waits(listed) == tomorrow_9

    clock.advance(hours=13)  # Tuesday 09:00
    assert waits(voice.show(campaign)) == ("active", "2026-01-06T09:00:00.000Z", None)
    assert dial(voice.herald, clock) == 1
    shown = voice.show(campaign)
    assert waits(shown) == ("running", None, None)  # the only lead is on the line


def test_a_scheduled_campaign_waits_for_its_start_and_a_ready_one_calls_now(
    make_herald: HeraldFactory,
) -> None:
    voice, _ = voice_at(make_herald, MONDAY_EVENING)
    later = voice.campaign([number(1, ANSWERS)], schedule={"start_at": "2026-01-07T10:30:00+01:00"})
    assert waits(voice.show(later)) == ("active", "2026-01-07T09:30:00.000Z", "scheduled")
    now = voice.campaign([number(2, ANSWERS)])
    assert waits(voice.show(now)) == ("active", "2026-01-05T20:00:00.000Z", None)
    draft = voice.campaign([number(3, ANSWERS)], status="draft")
    assert waits(voice.show(draft)) == ("draft", None, None)


def test_leads_waiting_for_a_retry_and_a_paused_campaign_say_so(
    make_herald: HeraldFactory,
) -> None:
    voice, clock = voice_at(make_herald, MONDAY_EVENING)
    retry = {"max_retries": 1, "retry_interval_minutes": 30}
    campaign = voice.campaign([number(1, BUSY)], retry=retry)
    assert dial(voice.herald, clock) == 1
    app = voice.herald.container
    with app.db.reading() as session:
        call_id: uuid.UUID = session.scalars(select(Call.id)).one()
    busy = CallEvent(
        "VOICE_SIM", call_id, "x", CallEventKind.ENDED, clock.now(), end_reason=EndReason.BUSY
    )
    settle.record_events(app.db, clock, [busy])
    assert waits(voice.show(campaign)) == ("running", "2026-01-05T20:30:00.000Z", "retry_interval")

    assert voice.patch(f"/v1/campaigns/{campaign}", {"status": "paused"}).status_code == 200
    assert waits(voice.show(campaign)) == ("paused", None, "paused_by_user")


def test_herald_voice_campaigns_shows_when_each_campaign_dials_next(
    make_herald: HeraldFactory, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    herald = start(make_herald, workers=False)
    voice = Voice(herald, herald.tenant(balance="10"))
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    only_tomorrow = {
        "start": "00:00",
        "end": "23:59",
        "days": [tomorrow.strftime("%a").lower()],
        "timezone": "UTC",
    }
    lead = {"phone_number": number(1, ANSWERS), "timezone": "UTC"}
    voice.campaign([lead], calling_hours=only_tomorrow)
    monkeypatch.setenv("HERALD_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "250")
    org = voice.tenant.organization_id
    runner = CliRunner()
    listed = runner.invoke(cli, ["voice", "campaigns", "--org", org, "--json"])
    assert listed.exit_code == 0, listed.output
    shown = json.loads(listed.output)[0]
    assert shown["next_call_at"] == f"{tomorrow.isoformat()}T00:00:00.000Z"
    assert shown["waiting_reason"] == "outside_calling_hours"
    table = runner.invoke(cli, ["voice", "campaigns", "--org", org])
    assert table.exit_code == 0, table.output
    assert "next_call_at" in table.output and "outside_calling_hours" in table.output
