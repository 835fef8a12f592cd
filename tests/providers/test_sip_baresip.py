"""A real RTP exchange with a SIP implementation that is not ours: baresip answers, and its
recording of what it heard holds the agent's speech (not silence), as long as the call."""

from __future__ import annotations

import threading
import time
import uuid
import wave
from array import array
from collections.abc import Sequence
from pathlib import Path

import pytest

from baresip_harness import Baresip, needs_baresip
from herald.kit.clock import SystemClock
from herald.providers.sip.config import TrunkConfig
from herald.providers.sip.provider import SipTrunkProvider
from herald.providers.voice_base import CallEvent, CallEventKind, CallRequest, CallScript

pytestmark = [needs_baresip, pytest.mark.timeout(90)]
SCRIPT = CallScript(greeting="Hello there.", message="This is Herald, speaking to baresip.")


def test_baresip_hears_the_agents_speech_for_the_length_of_the_call(tmp_path: Path) -> None:
    ended: list[CallEvent] = []
    done = threading.Event()

    def sink(events: Sequence[CallEvent]) -> None:
        ended.extend(e for e in events if e.kind is CallEventKind.ENDED)
        if ended:
            done.set()

    with Baresip(tmp_path) as callee:
        config = TrunkConfig("carrier-1", "127.0.0.1", callee.port, data_dir=tmp_path)
        provider = SipTrunkProvider(config, SystemClock())
        provider.start(sink)
        try:
            request = CallRequest(uuid.uuid4(), "callee", "+351211000000", SCRIPT, 30)
            provider.place([request])
            assert done.wait(40)
        finally:
            provider.stop()
        time.sleep(0.5)  # baresip closes its recording as the call ends
        with wave.open(str(callee.heard())) as heard:
            rate = heard.getframerate()
            samples = array("h", heard.readframes(heard.getnframes()))
    [end] = ended
    assert end.talk_seconds >= 5
    seconds = len(samples) / rate
    assert abs(seconds - end.talk_seconds) <= 1.5, (seconds, end.talk_seconds)
    # 20 ms frames with speech in them: the two prompts take about three seconds.
    frame = rate // 50
    loud = sum(
        1
        for i in range(0, len(samples) - frame, frame)
        if sum(abs(s) for s in samples[i : i + frame]) / frame > 300
    )
    assert loud * 0.02 >= 1.5, f"only {loud * 0.02:.1f} s of speech heard"
