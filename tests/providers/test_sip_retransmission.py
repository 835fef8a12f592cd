"""Over UDP a lost datagram does not lose the call (RFC 3261 17.1.1.2, 17.1.2.2): Herald
retransmits its INVITE, BYE and CANCEL until the trunk answers. A relay between Herald and
SIPp loses the first of each."""

from __future__ import annotations

import contextlib
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_sip_trunk import Recorder

from herald.kit.clock import SystemClock
from herald.providers.sip.config import TrunkConfig
from herald.providers.sip.provider import SipTrunkProvider
from herald.providers.voice_base import CallRequest, CallScript, EndReason, PlaceOutcome
from lossy_udp import LossyRelay
from sipp_harness import Sipp, needs_sipp

pytestmark = [needs_sipp, pytest.mark.timeout(90)]

SCRIPT = CallScript(greeting="Hi.", message="This is Herald.", questions=())


def through(
    relay: LossyRelay, recorder: Recorder, tmp_path: Path, **settings: object
) -> Iterator[SipTrunkProvider]:
    config = TrunkConfig(
        name="lossy",
        host="127.0.0.1",
        port=relay.port,
        data_dir=tmp_path,
        **settings,  # type: ignore[arg-type]
    )
    provider = SipTrunkProvider(config, SystemClock())
    provider.start(recorder)
    try:
        yield provider
    finally:
        provider.stop()


def call(provider: SipTrunkProvider, max_duration: int = 30) -> PlaceOutcome:
    request = CallRequest(uuid.uuid4(), "+351211234567", "+351211000000", SCRIPT, max_duration)
    [result] = provider.place([request])
    return result.outcome


def test_a_lost_invite_is_sent_again_and_the_call_goes_through(tmp_path: Path) -> None:
    recorder = Recorder()
    with Sipp("callee_hangs_up", tmp_path) as callee:
        with LossyRelay(("127.0.0.1", callee.port), drop={"INVITE"}) as relay:
            for provider in through(relay, recorder, tmp_path):
                started = time.monotonic()
                assert call(provider) is PlaceOutcome.ACCEPTED
                ended = recorder.ended()
            assert relay.dropped == ["INVITE"]
            assert [line.split()[0] for line in relay.seen].count("INVITE") == 2
        assert callee.finished() == 0
    assert ended.end_reason is EndReason.COMPLETED
    assert time.monotonic() - started >= 0.5  # Timer A: T1 after the first


def test_a_lost_bye_is_sent_again_until_the_callee_answers_it(tmp_path: Path) -> None:
    recorder = Recorder()
    callee = Sipp("answer_dtmf", tmp_path)
    with callee, LossyRelay(("127.0.0.1", callee.port), drop={"BYE"}) as relay:
        for provider in through(relay, recorder, tmp_path):
            assert call(provider, max_duration=1) is PlaceOutcome.ACCEPTED
            recorder.ended()
            assert callee.finished() == 0  # it got the second BYE and answered 200
        assert relay.dropped == ["BYE"]


def test_a_lost_cancel_is_sent_again(tmp_path: Path) -> None:
    recorder = Recorder()
    callee = Sipp("no_answer", tmp_path)
    with callee, LossyRelay(("127.0.0.1", callee.port), drop={"CANCEL"}) as relay:
        for provider in through(relay, recorder, tmp_path, ring_timeout=1.0):
            assert call(provider) is PlaceOutcome.ACCEPTED
            ended = recorder.ended()
            assert callee.finished() == 0
        assert relay.dropped == ["CANCEL"]
    assert ended.end_reason is EndReason.NO_ANSWER


def test_an_invite_never_answered_is_given_up_at_timer_b_as_a_408(tmp_path: Path) -> None:
    """A trunk that answers nothing: the INVITE goes out at 0, T1, 3*T1, 7*T1 ... until
    64*T1 (here T1 = 20 ms), then the call ends unanswered with SIP_408."""
    recorder = Recorder()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.settimeout(0.1)
        config = TrunkConfig(
            name="silent",
            host="127.0.0.1",
            port=silent.getsockname()[1],
            data_dir=tmp_path,
            t1=0.02,
            first_answer_timeout=0.2,
        )
        provider = SipTrunkProvider(config, SystemClock())
        provider.start(recorder)
        try:
            assert call(provider) is PlaceOutcome.ACCEPTED
            ended = recorder.ended(timeout=10)
            invites = 0
            with contextlib.suppress(TimeoutError):
                while True:
                    invites += silent.recv(65535).startswith(b"INVITE ")
        finally:
            provider.stop()
    assert (ended.end_reason, ended.error_code) == (EndReason.NO_ANSWER, "SIP_408")
    assert invites == 7  # the first and 6 retransmissions within 64*T1 = 1.28 s
