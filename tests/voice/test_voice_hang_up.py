"""Cancelling a campaign ends its live calls at once (the provider hangs them up); pausing
only stops new calls."""

from __future__ import annotations

import time

from support import HeraldFactory, wait_until
from voice_kit import ANSWERS, Voice, engine_id, number, simulator, start

# Calls ring for about a second and talk for 15 s on average at this speed: long enough that
# they are still on the line when the campaign is cancelled.
SLOW = {"voice_sim_time_scale": 0.2}


def test_cancelling_a_campaign_hangs_up_its_20_live_calls_within_a_second(
    make_herald: HeraldFactory,
) -> None:
    herald = start(make_herald, **SLOW)
    voice = Voice(herald, herald.tenant(balance="100"))
    campaign_id = voice.campaign([number(i, ANSWERS) for i in range(20)], max_concurrent_calls=20)
    wait_until(lambda: voice.show(campaign_id)["in_progress_calls"] == 20, timeout=30)
    response = voice.patch(f"/v1/campaigns/{campaign_id}", {"status": "cancelled"})
    assert response.status_code == 200, response.text
    cancelled_at = time.monotonic()

    wait_until(lambda: voice.show(campaign_id)["in_progress_calls"] == 0, timeout=10)
    ended_within = time.monotonic() - cancelled_at
    assert ended_within < 3.0  # 1 s of hang-up, plus a loaded machine's slack
    assert simulator(herald).in_flight(engine_id(campaign_id)) == 0


def test_pausing_stops_new_calls_but_lets_live_ones_finish(make_herald: HeraldFactory) -> None:
    herald = start(make_herald, **SLOW)
    voice = Voice(herald, herald.tenant(balance="100"))
    campaign_id = voice.campaign([number(i, ANSWERS) for i in range(6)], max_concurrent_calls=2)
    wait_until(lambda: voice.show(campaign_id)["in_progress_calls"] == 2, timeout=30)
    assert voice.patch(f"/v1/campaigns/{campaign_id}", {"status": "paused"}).status_code == 200
    placed = len(voice.calls(campaign_id))
    time.sleep(1.0)
    assert len(voice.calls(campaign_id)) == placed  # nothing new dialed
    # ...and the live calls were not hung up: each ends after its own conversation.
    assert all(c["status"] != "no_answer" for c in voice.calls(campaign_id))
