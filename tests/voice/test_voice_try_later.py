"""A carrier that takes a call (100 Trying, 180 Ringing) and then refuses it for now (503)
said "try later", as one that refuses at once: no attempt, nothing billed, the call leaves
the log and its lead is called again after the carrier's Retry-After."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from herald.kit.clock import ManualClock
from herald.providers.voice_base import CallEvent, CallEventKind, EndReason
from herald.providers.voice_sim import VoiceSimulator
from herald.voice import dialer, settle
from herald.voice.dialer import VoiceProviders
from herald.voice.models import Call, Lead, LeadStatus
from support import HeraldFactory
from voice_kit import ANSWERS, Voice, engine_id, number, start

SIM = "VOICE_SIM"


def test_a_503_after_ringing_is_no_attempt_and_the_lead_is_called_after_retry_after(
    make_herald: HeraldFactory,
) -> None:
    clock = ManualClock()
    herald = start(make_herald, clock=clock, workers=False)
    voice = Voice(herald, herald.tenant(balance="10"))
    db = herald.container.db
    start_micros = herald.balance(voice.tenant)
    campaign = voice.campaign([number(1, ANSWERS)], retry={"max_retries": 0})
    providers = VoiceProviders({SIM: VoiceSimulator(clock)}, SIM)  # type: ignore[dict-item]
    assert dialer.dial_due(db, clock, providers, "node-a") == 1
    with db.reading() as session:
        call_id = session.scalars(
            select(Call.id).where(Call.campaign_id == uuid.UUID(engine_id(campaign)))
        ).one()
    now = clock.now()
    settle.record_events(
        db,
        clock,
        [
            CallEvent(SIM, call_id, "sip-1", CallEventKind.RINGING, now),
            CallEvent(
                SIM,
                call_id,
                "sip-1",
                CallEventKind.ENDED,
                now,
                end_reason=EndReason.FAILED,
                error_code="SIP_503",
                retry_after_seconds=9,
            ),
        ],
    )
    with db.reading() as session:
        assert session.scalars(select(Call.id).where(Call.id == call_id)).all() == []
        lead = session.scalars(
            select(Lead).where(Lead.campaign_id == uuid.UUID(engine_id(campaign)))
        ).one()
        assert (lead.status, lead.attempts) == (LeadStatus.QUEUED, 0)  # max_retries 0: still due
        assert lead.due_at == now + timedelta(seconds=9)
    assert herald.balance(voice.tenant) == start_micros
