"""A trunk added, changed or removed with `herald voice trunk` while Herald runs takes effect
in the running workers within seconds (their voice-trunks loop), as carrier connections do:
added, it carries calls; changed, new calls use its new settings while a call on the line
finishes with the old ones; removed, it is closed."""

from __future__ import annotations

import time
import uuid

import pytest

from herald.providers.sip.provider import SipTrunkProvider
from herald.providers.voice_base import CallRequest, CallScript, PlaceOutcome
from herald.voice import trunks
from herald.voice.tasks import VoiceRuntime
from sipp_harness import Sipp, needs_sipp
from support import HeraldFactory, RunningHerald
from voice_kit import start

pytestmark = [needs_sipp, pytest.mark.timeout(90)]


def trunk_provider(runtime: VoiceRuntime, name: str) -> SipTrunkProvider | None:
    provider = runtime.providers.providers.get(name)
    assert provider is None or isinstance(provider, SipTrunkProvider)
    return provider


def change(herald: RunningHerald, action: str, **fields: object) -> None:
    app = herald.container
    with app.db.transaction() as session:
        if action == "add":
            trunks.add_trunk(session, app.clock, trunks.TrunkSpec(**fields))  # type: ignore[arg-type]
        elif action == "update":
            name = str(fields.pop("name"))
            trunks.update_trunk(session, app.clock, name, **fields)  # type: ignore[arg-type]
        else:
            trunks.remove_trunk(session, str(fields["name"]))


def test_a_trunk_added_changed_and_removed_while_running_takes_effect_in_the_workers(
    make_herald: HeraldFactory, tmp_path: object
) -> None:
    herald = start(make_herald, workers=False)
    app = herald.container
    runtime = app.voice
    assert runtime is not None
    loops = runtime.worker_loops(app)
    assert "voice-trunks" in [loop.name for loop in loops]
    try:
        with Sipp("no_answer", tmp_path) as callee:  # type: ignore[arg-type]
            change(herald, "add", name="carrier-9", host="127.0.0.1", port=callee.port)
            runtime.sync_trunks(app)
            first = trunk_provider(runtime, "carrier-9")
            assert first is not None and first.config.port == callee.port

            # A call rings on it when the operator changes the trunk.
            script = CallScript(greeting="Hi.", message="Herald.", questions=())
            ringing = CallRequest(uuid.uuid4(), "+351211234567", "+351211000000", script, 30)
            [placed] = first.place([ringing])
            assert placed.outcome is PlaceOutcome.ACCEPTED
            change(herald, "update", name="carrier-9", cps=3)
            runtime.sync_trunks(app)
            second = trunk_provider(runtime, "carrier-9")
            assert second is not None and second is not first and second.config.cps == 3
            assert first.in_flight() == 1  # the ringing call is not cut off

            second.hang_up([ringing.call_id])  # a cancel reaches the call on the old one
            deadline = time.monotonic() + 10
            while first.in_flight() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert first.in_flight() == 0
            assert callee.finished() == 0  # it got our CANCEL and our ACK of its 487
            runtime.sync_trunks(app)
            assert first._thread is not None and not first._thread.is_alive()  # retired

            change(herald, "remove", name="carrier-9")
            runtime.sync_trunks(app)
            assert trunk_provider(runtime, "carrier-9") is None
            assert second._thread is not None and not second._thread.is_alive()
    finally:
        runtime.stop()
