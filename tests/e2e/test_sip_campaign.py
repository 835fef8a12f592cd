"""A voice campaign whose caller number is carried by a SIP trunk places a real call: SIPp
answers and presses 1, and the call log shows the answer, its outcome and the recording."""

from __future__ import annotations

import io
import uuid
import wave
from array import array

import pytest

from herald.voice import agents, trunks
from sipp_harness import Sipp, needs_sipp
from support import HeraldFactory, wait_until
from voice_kit import Voice, start

pytestmark = [needs_sipp, pytest.mark.timeout(120)]
CALLER = "+351211234999"


def test_a_campaign_calls_over_its_numbers_trunk_and_logs_the_answer_and_recording(
    make_herald: HeraldFactory,
) -> None:
    setup = start(make_herald, workers=False)
    tenant = setup.tenant(balance="100")
    with Sipp("answer_dtmf", setup.container.settings.data_dir.parent) as callee:
        with setup.container.db.transaction() as session:
            clock = setup.container.clock
            spec = trunks.TrunkSpec("carrier-1", "127.0.0.1", port=callee.port)
            trunks.add_trunk(session, clock, spec)
            org = uuid.UUID(tenant.organization_id)
            agents.add_number(session, clock, org, CALLER, provider_name="carrier-1")
        herald = start(make_herald)  # its workers load the trunk
        voice = Voice(herald, tenant)
        agent = voice.agent(outcome_labels=["renew", "callback"])
        campaign_id = voice.campaign(
            ["+351912345678"], agent_id=agent, from_phone_number=CALLER, record_calls=True
        )
        call = wait_until(
            lambda: (c := voice.calls(campaign_id)) and c[0]["status"] == "completed" and c[0],
            timeout=60,
        )
        assert callee.finished() == 0
    assert call["answers"] == {"renew": "1"} and call["outcome"] == "renew"
    assert call["answered_by"] == "human"
    assert voice.wait_status(campaign_id, "completed")

    recording = voice.get(call["recording_url"])
    assert recording.status_code == 200 and recording.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(recording.content)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 8000, 2)
        seconds = wav.getnframes() / 8000
        samples = array("h", wav.readframes(wav.getnframes()))
    assert abs(seconds - call["recording_seconds"]) <= 1
    agent_side = samples[1::2]
    assert max(abs(s) for s in agent_side) > 1000, "the agent's speech is in the recording"
