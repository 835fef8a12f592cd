"""A voice campaign whose caller number is carried by a SIP trunk places a real call: SIPp
answers and presses 1, and the call log shows the answer and its outcome."""

from __future__ import annotations

import uuid

import pytest

from herald.voice import agents, trunks
from sipp_harness import Sipp, needs_sipp
from support import HeraldFactory, wait_until
from voice_kit import Voice, start

pytestmark = [needs_sipp, pytest.mark.timeout(120)]
CALLER = "+351211234999"


def test_a_campaign_calls_over_its_numbers_trunk_and_logs_the_callees_answer(
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
        campaign_id = voice.campaign(["+351912345678"], agent_id=agent, from_phone_number=CALLER)
        call = wait_until(
            lambda: (c := voice.calls(campaign_id)) and c[0]["status"] == "completed" and c[0],
            timeout=60,
        )
        assert callee.finished() == 0
    assert call["answers"] == {"renew": "1"} and call["outcome"] == "renew"
    assert call["answered_by"] == "human"
    assert voice.wait_status(campaign_id, "completed")
