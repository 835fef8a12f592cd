"""A worker killed with SIGKILL while its calls are on the trunk: the restarted process ends
them from its journal. The answered call gets our BYE and ends answered (its lead is never
called again); the ringing one gets a CANCEL and ends unanswered."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from herald.kit.clock import SystemClock
from herald.providers.sip.config import TrunkConfig
from herald.providers.sip.provider import SipTrunkProvider
from herald.providers.voice_base import CallEventKind, CallRef, EndReason, FateKind
from sipp_harness import Sipp, needs_sipp

pytestmark = [needs_sipp, pytest.mark.timeout(90)]
CHILD = Path(__file__).parent.parent / "sip_crash_child.py"


def crash_after(kind: str, callee: Sipp, data_dir: Path, *call_ids: uuid.UUID) -> None:
    """Run a worker with these calls until each reported `kind`, then SIGKILL it."""
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(callee.port), str(data_dir), *map(str, call_ids)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        seen = 0
        for line in child.stdout:
            seen += line.strip() == kind
            if seen == len(call_ids):
                break
        else:
            pytest.fail(f"the worker ended before {kind}")
    finally:
        child.kill()
        child.wait(timeout=10)


def restart(callee: Sipp, data_dir: Path) -> SipTrunkProvider:
    config = TrunkConfig("carrier-1", "127.0.0.1", callee.port, data_dir=data_dir, max_channels=50)
    provider = SipTrunkProvider(config, SystemClock())
    provider.start(lambda events: None)
    return provider


def ref(call_id: uuid.UUID) -> CallRef:
    return CallRef(call_id, "any", "+351211234567", "+351211000000", SystemClock().now())


@pytest.mark.parametrize(
    ("scenario", "crash_at", "reason"),
    [
        ("answer_wait", "ANSWERED", EndReason.COMPLETED),
        ("no_answer", "RINGING", EndReason.NO_ANSWER),
    ],
)
def test_a_restarted_worker_ends_the_calls_it_left_on_the_line(
    tmp_path: Path, scenario: str, crash_at: str, reason: EndReason
) -> None:
    call_id, unknown = uuid.uuid4(), uuid.uuid4()
    with Sipp(scenario, tmp_path) as callee:
        crash_after(crash_at, callee, tmp_path, call_id)
        provider = restart(callee, tmp_path)
        try:
            fate, other = provider.recover([ref(call_id), ref(unknown)])
        finally:
            provider.stop()
        assert callee.finished() == 0  # it got our BYE (or CANCEL, and our ACK of its 487)
    assert (fate.call_id, fate.kind) == (call_id, FateKind.ENDED)
    ended = fate.events[-1]
    assert (ended.kind, ended.end_reason) == (CallEventKind.ENDED, reason)
    if reason is EndReason.COMPLETED:
        assert [e.kind for e in fate.events] == [CallEventKind.ANSWERED, CallEventKind.ENDED]
    assert other.kind is FateKind.UNKNOWN
    assert not list((tmp_path / "sip").rglob("*.json")), "the journal is emptied"


def test_a_worker_killed_with_20_answered_calls_up_ends_each_answered_with_our_bye(
    tmp_path: Path,
) -> None:
    """The issue's proof at its stated size: no answered lead is called again (every call
    ends answered, so its lead is finished) and the callee hears our BYE on each."""
    call_ids = [uuid.uuid4() for _ in range(20)]
    with Sipp("answer_wait", tmp_path, calls=len(call_ids)) as callee:
        crash_after("ANSWERED", callee, tmp_path, *call_ids)
        provider = restart(callee, tmp_path)
        try:
            fates = provider.recover([ref(c) for c in call_ids])
        finally:
            provider.stop()
        assert callee.finished() == 0  # all 20 got our BYE
    assert [f.call_id for f in fates] == call_ids
    assert {f.kind for f in fates} == {FateKind.ENDED}
    assert {f.events[-1].end_reason for f in fates} == {EndReason.COMPLETED}
    assert not list((tmp_path / "sip").rglob("*.json")), "the journal is emptied"
