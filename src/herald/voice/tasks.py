"""The voice channel's work, run by worker loops: dialing due leads, applying what the
providers report (which frees slots and wakes the dialer at once), and sweeping calls
whose lease ran out without an end. Before its first dial round, a process settles the
calls its node had on the line when it last stopped (recovery.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import structlog

from herald.kit import node
from herald.kit.clock import Clock
from herald.providers.sip.config import TrunkConfig
from herald.providers.voice_base import CallEvent, CallEventSink
from herald.providers.voice_sim import VoiceSimulator
from herald.queue.worker import WorkerLoop
from herald.settings import Settings
from herald.voice import dialer, hangups, recovery, settle
from herald.voice.dialer import VoiceProviders

log = structlog.get_logger(__name__)

if TYPE_CHECKING:
    from herald.bootstrap import Container

SWEEP_IDLE_SECONDS = 5.0
# A cancelled campaign's calls are hung up within this (plus one BYE's round trip).
HANG_UP_POLL_SECONDS = 0.25


class VoiceRuntime:
    """The voice providers of a running Herald and the loops that drive them."""

    def __init__(self, providers: VoiceProviders) -> None:
        self.providers = providers
        self.node: node.NodeId | None = None
        self._started = False
        self._recovered = False
        self._asked = hangups.Asked()
        self._trunks: set[str] = set()  # the providers that are SIP trunks, by name
        self._on_events: CallEventSink | None = None  # once started

    def worker_loops(self, container: Container) -> list[WorkerLoop]:
        db, clock, settings = container.db, container.clock, container.settings
        self.sync_trunks(container)  # opened below with the other providers
        self.node = node.claim(settings.data_dir, settings.node_id)
        node_id = self.node.value
        batch = settings.voice_dial_batch_size

        def dial_round() -> int:
            if not self._recovered:  # until it succeeds, nothing is dialed
                recovery.recover_node(db, clock, self.providers, node_id)
                self._recovered = True
            return dialer.dial_due(db, clock, self.providers, node_id, batch)

        dial = WorkerLoop("voice-dial", dial_round, settings.idle_poll_seconds)
        sweep = WorkerLoop("voice-sweep", lambda: settle.sweep_lost(db, clock), SWEEP_IDLE_SECONDS)
        hang_up = WorkerLoop(
            "voice-hang-up",
            lambda: hangups.hang_up_cancelled(db, self.providers, node_id, self._asked),
            HANG_UP_POLL_SECONDS,
        )

        def on_events(events: Sequence[CallEvent]) -> None:
            settle.record_events(db, clock, events)
            dial.wake()  # a call that ended freed a slot: refill it now

        def trunk_round() -> int:
            self.sync_trunks(container)
            return 0  # never "busy": look again after the refresh interval

        trunks = WorkerLoop("voice-trunks", trunk_round, settings.connection_refresh_seconds)
        for provider in self.providers.providers.values():
            provider.start(on_events)
        self._on_events = on_events
        self._started = True
        return [dial, sweep, hang_up, trunks]

    def _wanted_trunks(self, container: Container) -> dict[str, TrunkConfig]:
        """Every configured SIP trunk, as the voice_trunks table has it now."""
        from herald.voice import trunks

        settings = container.settings
        with container.db.reading() as session:
            return {
                t.name: TrunkConfig(
                    name=t.name,
                    host=t.host,
                    port=t.port,
                    transport=t.transport,
                    username=t.username,
                    password=t.password,
                    from_domain=t.from_domain,
                    max_channels=t.max_channels,
                    cps=t.cps,
                    local_host=settings.sip_local_host,
                    ring_timeout=settings.sip_ring_timeout_seconds,
                    data_dir=settings.data_dir,
                )
                for t in trunks.list_trunks(session)
            }

    def sync_trunks(self, container: Container) -> int:
        """Every configured SIP trunk is a provider named after it (a caller number whose
        provider is that name calls over it); the simulator stays the default. Kept in step
        with the table while Herald runs, as carrier connections are (routing/connections.py):
        a trunk added is opened, one removed is closed (its calls hung up, their ends
        reported), one changed is re-opened with its new settings for new calls while the
        calls on the line finish with the old ones (SipTrunkProvider.take_over). How many
        changed."""
        from herald.providers.sip.provider import SipTrunkProvider

        wanted = self._wanted_trunks(container)
        providers = dict(self.providers.providers)
        changed: dict[str, SipTrunkProvider] = {}  # finishing their calls, by name
        removed: list[SipTrunkProvider] = []
        for name in sorted(self._trunks):
            open_ = providers.get(name)
            if not isinstance(open_, SipTrunkProvider):
                self._trunks.discard(name)
            elif name not in wanted:
                removed.append(open_)
                del providers[name]
                self._trunks.discard(name)
            elif wanted[name] != open_.config:
                changed[name] = open_
                self._trunks.discard(name)
            else:
                open_.retire_previous()
        opened = 0
        for name, config in wanted.items():
            if name in self._trunks:
                continue
            opened += 1
            provider = SipTrunkProvider(config, container.clock)
            if name in changed:
                provider.take_over(changed[name])
            if self._on_events is not None:
                provider.start(self._on_events)
                provider.retire_previous()  # at once when it carries no call
                log.info("voice.trunk_opened", trunk=name)
            providers[name] = provider
            self._trunks.add(name)
        # One swap: the dialer never sees a half-changed set.
        self.providers.providers = providers
        for gone in removed:
            gone.stop()  # no caller number uses it: its calls, if any, are hung up
            log.info("voice.trunk_closed", trunk=gone.name)
        return len(removed) + opened

    def stop(self) -> None:
        if not self._started:
            return
        for provider in self.providers.providers.values():
            provider.stop()
        if self.node is not None:
            self.node.release()
        self._started = False


def default_runtime(settings: Settings, clock: Clock) -> VoiceRuntime:
    """The built-in voice simulator, as `make run` uses it."""
    simulator = VoiceSimulator(
        clock, seed=settings.voice_sim_seed, time_scale=settings.voice_sim_time_scale
    )
    return VoiceRuntime(VoiceProviders({simulator.name: simulator}, simulator.name))
