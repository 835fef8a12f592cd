"""Rules the dialer keeps below the API: the database refuses a second call in flight to
one lead, and a call nobody reports on is presumed lost when its lease runs out."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from herald.kit.clock import ManualClock
from herald.voice import dialer, repository, settle
from herald.voice.models import Call
from support import HeraldFactory
from voice_kit import ANSWERS, Voice, number, start


def test_a_lead_cannot_have_two_calls_in_flight_and_a_silent_call_is_presumed_lost(
    make_herald: HeraldFactory,
) -> None:
    clock = ManualClock()
    # No workers: the simulator is never started, so it accepts calls and never reports,
    # like a provider that lost them.
    herald = start(make_herald, clock=clock, workers=False)
    tenant = herald.tenant(balance="10")
    voice = Voice(herald, tenant)
    campaign_id = voice.campaign([number(1, ANSWERS)])
    app = herald.container
    assert app.voice is not None
    assert dialer.dial_due(app.db, clock, app.voice.providers, "test-node") == 1
    assert voice.show(campaign_id)["in_progress_calls"] == 1
    held = herald.balance(tenant)
    assert held == 10_000_000 - 5 * 50_000  # five minutes held at 0.05

    with app.db.reading() as session:
        call = session.scalars(select(Call)).one()
        row = {c.name: getattr(call, c.name) for c in Call.__table__.columns}
    with pytest.raises(IntegrityError), app.db.transaction() as session:
        repository.insert_calls(session, [{**row, "id": uuid.uuid4()}])
    # The lead is on a call.
    assert dialer.dial_due(app.db, clock, app.voice.providers, "test-node") == 0

    clock.advance(seconds=299)
    assert settle.sweep_lost(app.db, clock) == 0
    clock.advance(minutes=4)
    assert settle.sweep_lost(app.db, clock) == 1
    lost = voice.calls(campaign_id)[0]
    assert (lost["status"], lost["error_code"], lost["cost"]) == ("failed", "CALL_LOST", "0.000000")
    assert herald.balance(tenant) == 10_000_000  # the hold came back in full
    done = voice.show(campaign_id)
    assert (done["status"], done["failed_leads"], done["in_progress_calls"]) == ("completed", 1, 0)
    assert herald.ledger_balances(tenant)
