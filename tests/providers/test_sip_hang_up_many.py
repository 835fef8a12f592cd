"""The issue's proof at its stated size: cancelling while 20 calls are up on a SIP trunk
hangs every one of them up within a second (our BYE, answered by SIPp)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest

from herald.kit.clock import SystemClock
from herald.providers.sip.config import TrunkConfig
from herald.providers.sip.provider import SipTrunkProvider
from herald.providers.voice_base import (
    CallEvent,
    CallEventKind,
    CallRequest,
    CallScript,
    EndReason,
    PlaceOutcome,
)
from sipp_harness import Sipp, needs_sipp

pytestmark = [needs_sipp, pytest.mark.timeout(120)]

CALLS = 20


class Ends:
    """When each call answered and ended, by call id (monotonic seconds)."""

    def __init__(self) -> None:
        self.answered: dict[uuid.UUID, float] = {}
        self.ended: dict[uuid.UUID, tuple[float, CallEvent]] = {}
        self._changed = threading.Condition()

    def __call__(self, events: Sequence[CallEvent]) -> None:
        now = time.monotonic()
        with self._changed:
            for e in events:
                if e.kind is CallEventKind.ANSWERED:
                    self.answered[e.call_id] = now
                elif e.kind is CallEventKind.ENDED:
                    self.ended[e.call_id] = (now, e)
            self._changed.notify_all()

    def wait(self, what: str, count: int, timeout: float) -> None:
        with self._changed:
            self._changed.wait_for(lambda: len(getattr(self, what)) >= count, timeout)
        assert len(getattr(self, what)) >= count, (what, len(getattr(self, what)))


def test_hanging_up_20_live_calls_ends_every_one_with_our_bye_within_a_second(
    tmp_path: Path,
) -> None:
    ends = Ends()
    script = CallScript(greeting="Hi.", message="This is Herald. " * 20, questions=())
    with Sipp("answer_wait", tmp_path, calls=CALLS) as callee:
        config = TrunkConfig(
            "carrier-1", "127.0.0.1", callee.port, data_dir=tmp_path, max_channels=CALLS
        )
        provider = SipTrunkProvider(config, SystemClock())
        provider.start(ends)
        try:
            requests = [
                CallRequest(uuid.uuid4(), "+351211234567", f"+3512110000{i:02d}", script, 60)
                for i in range(CALLS)
            ]
            results = provider.place(requests)
            assert {r.outcome for r in results} == {PlaceOutcome.ACCEPTED}
            ends.wait("answered", CALLS, timeout=30)
            assert ends.ended == {}  # all 20 are up
            asked = time.monotonic()
            provider.hang_up([r.call_id for r in requests])
            ends.wait("ended", CALLS, timeout=10)
            slowest = max(at for at, _ in ends.ended.values()) - asked
            assert slowest < 1.0, slowest
            assert {e.end_reason for _, e in ends.ended.values()} == {EndReason.COMPLETED}
            assert callee.finished() == 0  # each of the 20 got our BYE and answered it
        finally:
            provider.stop()
