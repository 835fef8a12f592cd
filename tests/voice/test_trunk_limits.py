"""A trunk's channels and calls per second hold at every instant, counted in the database by
every dialer (so across worker processes), together with the campaign's own limit."""

from __future__ import annotations

import uuid

from herald.kit.clock import ManualClock
from herald.providers.voice_sim import VoiceSimulator
from herald.voice import agents, dialer, trunks
from support import HeraldFactory
from voice_kit import ANSWERS, Voice, number, start

CALLER = "+351211234999"


def test_a_trunk_starts_at_most_cps_calls_a_second_and_holds_at_most_max_channels(
    make_herald: HeraldFactory,
) -> None:
    clock = ManualClock()
    # No workers: the trunk's stand-in is never started, so its calls stay on the line.
    herald = start(make_herald, clock=clock, workers=False)
    tenant = herald.tenant(balance="100")
    app = herald.container
    assert app.voice is not None
    with app.db.transaction() as session:
        trunks.add_trunk(
            session, clock, trunks.TrunkSpec("carrier-1", "127.0.0.1", max_channels=3, cps=2)
        )
        org = uuid.UUID(tenant.organization_id)
        agents.add_number(session, clock, org, CALLER, provider_name="carrier-1")
    app.voice.providers.providers["carrier-1"] = VoiceSimulator(clock, name="carrier-1")
    voice = Voice(herald, tenant)
    voice.campaign([number(i, ANSWERS) for i in range(6)], from_phone_number=CALLER)

    def dial(node: str) -> int:
        return dialer.dial_due(app.db, clock, app.voice.providers, node)  # type: ignore[union-attr]

    assert dial("node-a") == 2  # cps
    assert dial("node-b") == 0  # another process, the same second
    clock.advance(seconds=1)
    assert dial("node-b") == 1  # three channels in use
    clock.advance(seconds=1)
    assert dial("node-a") == 0
