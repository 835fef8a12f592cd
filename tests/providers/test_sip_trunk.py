"""A SIP trunk carries real calls: each outcome of the issue against SIPp as the callee, over
127.0.0.1 (UDP unless said otherwise). What the dialer would record arrives as CallEvents."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from herald.kit.clock import SystemClock
from herald.providers.sip.config import TrunkConfig
from herald.providers.sip.provider import SipTrunkProvider
from herald.providers.voice_base import (
    AnsweredBy,
    CallEvent,
    CallEventKind,
    CallRequest,
    CallScript,
    EndReason,
    PlaceOutcome,
    PlaceResult,
    Question,
)
from sipp_harness import Sipp, needs_sipp

pytestmark = [needs_sipp, pytest.mark.timeout(90)]

SCRIPT = CallScript(
    greeting="Hi.",
    message="This is Herald.",
    questions=(Question("rating", "Press one.", "dtmf", {"1": "interested", "2": "no"}),),
    outcome_labels=("interested", "no"),
)


class Recorder:
    def __init__(self) -> None:
        self.events: list[CallEvent] = []
        self._changed = threading.Condition()

    def __call__(self, events: Sequence[CallEvent]) -> None:
        with self._changed:
            self.events.extend(events)
            self._changed.notify_all()

    def ended(self, timeout: float = 30) -> CallEvent:
        with self._changed:
            self._changed.wait_for(lambda: self.kinds()[-1:] == [CallEventKind.ENDED], timeout)
        assert self.kinds()[-1:] == [CallEventKind.ENDED], self.events
        return self.events[-1]

    def kinds(self) -> list[CallEventKind]:
        return [e.kind for e in self.events]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def trunk(
    callee: Sipp, recorder: Recorder, tmp_path: Path, **settings: object
) -> Iterator[SipTrunkProvider]:
    config = TrunkConfig(
        name="carrier-1",
        host="127.0.0.1",
        port=callee.port,
        transport=callee.transport,
        data_dir=tmp_path,
        **settings,  # type: ignore[arg-type]
    )
    provider = SipTrunkProvider(config, SystemClock())
    provider.start(recorder)
    try:
        yield provider
    finally:
        provider.stop()


def call(provider: SipTrunkProvider, max_duration: int = 30) -> PlaceResult:
    request = CallRequest(uuid.uuid4(), "+351211234567", "+351211000000", SCRIPT, max_duration)
    [result] = provider.place([request])
    return result


def test_an_answered_call_speaks_takes_the_callees_key_and_ends_with_our_bye(
    tmp_path: Path, recorder: Recorder
) -> None:
    with Sipp("answer_dtmf", tmp_path) as callee:
        for provider in trunk(callee, recorder, tmp_path):
            assert call(provider).outcome is PlaceOutcome.ACCEPTED
            ended = recorder.ended()
        assert callee.finished() == 0  # it saw our ACK and our BYE
    assert recorder.kinds() == [CallEventKind.RINGING, CallEventKind.ANSWERED, CallEventKind.ENDED]
    assert ended.end_reason is EndReason.COMPLETED
    assert ended.answers == {"rating": "1"} and ended.outcome == "interested"
    assert ended.talk_seconds >= 1
    assert list((tmp_path / "tts").glob("*.pcm")), "the prompts are cached"


def test_a_busy_line_ends_busy_with_the_sip_code(tmp_path: Path, recorder: Recorder) -> None:
    with Sipp("busy", tmp_path) as callee:
        for provider in trunk(callee, recorder, tmp_path):
            assert call(provider).outcome is PlaceOutcome.ACCEPTED
            ended = recorder.ended()
        assert callee.finished() == 0  # our ACK of the 486
    assert (ended.end_reason, ended.error_code) == (EndReason.BUSY, "SIP_486")


def test_nobody_answers_within_the_ring_timeout_so_we_cancel(
    tmp_path: Path, recorder: Recorder
) -> None:
    with Sipp("no_answer", tmp_path) as callee:
        for provider in trunk(callee, recorder, tmp_path, ring_timeout=1.5):
            started = time.monotonic()
            assert call(provider).outcome is PlaceOutcome.ACCEPTED
            ended = recorder.ended()
            assert time.monotonic() - started >= 1.5
        assert callee.finished() == 0  # CANCEL, then our ACK of its 487
    assert recorder.kinds() == [CallEventKind.RINGING, CallEventKind.ENDED]
    assert ended.end_reason is EndReason.NO_ANSWER


def test_an_overloaded_trunk_means_try_later_not_an_attempt_and_slows_the_trunk(
    tmp_path: Path, recorder: Recorder
) -> None:
    with Sipp("unavailable", tmp_path) as callee:
        for provider in trunk(callee, recorder, tmp_path):
            result = call(provider)
            assert result.outcome is PlaceOutcome.RETRY
            assert (result.error_code, result.retry_after_seconds) == ("SIP_503", 7.0)
            again = call(provider)  # no INVITE goes out while the trunk recovers
            assert again.outcome is PlaceOutcome.RETRY and again.retry_after_seconds
        assert callee.finished() == 0
    assert recorder.events == []


def test_another_refusal_fails_the_call_with_the_sip_code(
    tmp_path: Path, recorder: Recorder
) -> None:
    with Sipp("not_found", tmp_path) as callee:
        for provider in trunk(callee, recorder, tmp_path):
            result = call(provider)
        assert callee.finished() == 0
    assert (result.outcome, result.error_code) == (PlaceOutcome.REJECTED, "SIP_404")


def test_the_callee_hangs_up(tmp_path: Path, recorder: Recorder) -> None:
    with Sipp("callee_hangs_up", tmp_path) as callee:
        for provider in trunk(callee, recorder, tmp_path):
            assert call(provider).outcome is PlaceOutcome.ACCEPTED
            ended = recorder.ended()
        assert callee.finished() == 0  # its BYE got our 200
    assert ended.end_reason is EndReason.COMPLETED and ended.talk_seconds <= 3


def test_max_duration_ends_the_call_with_our_bye(tmp_path: Path, recorder: Recorder) -> None:
    with Sipp("answer_dtmf", tmp_path) as callee:
        for provider in trunk(callee, recorder, tmp_path):
            call(provider, max_duration=1)
            ended = recorder.ended()
        assert callee.finished() == 0
    assert ended.end_reason is EndReason.COMPLETED and ended.talk_seconds == 1


def test_a_digest_challenge_is_answered_with_the_trunk_credentials(
    tmp_path: Path, recorder: Recorder
) -> None:
    with Sipp("digest", tmp_path) as callee:
        for provider in trunk(callee, recorder, tmp_path, username="herald", password="s3cret"):
            assert call(provider, max_duration=1).outcome is PlaceOutcome.ACCEPTED
            ended = recorder.ended()
        assert callee.finished() == 0
    assert ended.end_reason is EndReason.COMPLETED, ended


def test_the_trunk_over_tcp(tmp_path: Path, recorder: Recorder) -> None:
    with Sipp("callee_hangs_up", tmp_path, transport="tcp") as callee:
        for provider in trunk(callee, recorder, tmp_path):
            assert call(provider).outcome is PlaceOutcome.ACCEPTED
            ended = recorder.ended()
        assert callee.finished() == 0
    assert ended.end_reason is EndReason.COMPLETED


def test_hang_up_ends_a_ringing_call_with_cancel(tmp_path: Path, recorder: Recorder) -> None:
    with Sipp("no_answer", tmp_path) as callee:
        for provider in trunk(callee, recorder, tmp_path):
            result = call(provider)
            provider.hang_up([result.call_id])
            ended = recorder.ended(timeout=5)
        assert callee.finished() == 0
    assert ended.end_reason is EndReason.NO_ANSWER


def test_a_websocket_agent_answers_the_callees_key_and_ends_the_call_with_an_outcome(
    tmp_path: Path, recorder: Recorder
) -> None:
    from dataclasses import replace

    from ws_agent import AgentServer

    with AgentServer() as agent, Sipp("answer_dtmf", tmp_path) as callee:
        script = replace(SCRIPT, bridge_url=agent.url, outcome_labels=("renew",))
        for provider in trunk(callee, recorder, tmp_path):
            request = CallRequest(uuid.uuid4(), "+351211234567", "+351211000000", script, 30)
            [result] = provider.place([request])
            assert result.outcome is PlaceOutcome.ACCEPTED
            ended = recorder.ended()
        assert callee.finished() == 0
    assert (ended.outcome, ended.answers) == ("renew", {"renew": "1"})
    kinds = agent.kinds()
    assert kinds[0] == "start" and "dtmf" in kinds and "mark" in kinds
    assert kinds[-1] == "stop"
    assert agent.events[0]["start"]["mediaFormat"]["encoding"] == "audio/x-mulaw"


def test_an_answering_machine_is_recognised_and_hung_up_on(
    tmp_path: Path, recorder: Recorder
) -> None:
    with Sipp("machine", tmp_path) as callee:
        for provider in trunk(callee, recorder, tmp_path):
            assert call(provider).outcome is PlaceOutcome.ACCEPTED
            ended = recorder.ended()
        assert callee.finished() == 0
    assert (ended.end_reason, ended.answered_by) == (EndReason.COMPLETED, AnsweredBy.MACHINE)
    assert ended.answers == {}


def test_an_overloaded_trunk_after_ringing_still_means_try_later_not_an_attempt(
    tmp_path: Path, recorder: Recorder
) -> None:
    with Sipp("unavailable_after_ringing", tmp_path) as callee:
        for provider in trunk(callee, recorder, tmp_path):
            assert call(provider).outcome is PlaceOutcome.ACCEPTED  # 180 came, 503 later
            ended = recorder.ended()
            again = call(provider)  # no INVITE goes out while the trunk recovers
            assert again.outcome is PlaceOutcome.RETRY and again.retry_after_seconds
        assert callee.finished() == 0
    assert (ended.end_reason, ended.error_code) == (EndReason.FAILED, "SIP_503")
    assert ended.retry_after_seconds == 9.0
