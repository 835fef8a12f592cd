"""RTP (RFC 3550) for one call: G.711 audio out in 20 ms packets on a steady clock, audio and
RFC 4733 telephone-events in.

The sender never sleeps "20 ms" between packets (that drifts by every wake-up's lateness):
one Metronome per event loop ticks at start + n * 20 ms of the loop's monotonic clock and
sends the next packet of every call on each tick (one timer for all calls, not one per call);
a late wake-up sends what is due at once. Lateness beyond one packet time is counted
(`late_packets`)."""

from __future__ import annotations

import asyncio
import random
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from herald.providers.sip import g711

if TYPE_CHECKING:
    from herald.providers.sip.recording import Recording

PTIME = 0.020
SAMPLES = 160  # 20 ms at 8 kHz
HEADER = struct.Struct("!BBHII")
DTMF_KEYS = "0123456789*#ABCD"


class RtpError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class RtpPacket:
    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes

    def pack(self) -> bytes:
        second = (0x80 if self.marker else 0) | self.payload_type
        return HEADER.pack(0x80, second, self.sequence, self.timestamp, self.ssrc) + self.payload

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        """Strict: version 2, CSRC list, extension and padding accounted for."""
        if len(data) < HEADER.size:
            raise RtpError("shorter than an RTP header")
        first, second, sequence, timestamp, ssrc = HEADER.unpack_from(data)
        if first >> 6 != 2:
            raise RtpError("not RTP version 2")
        offset = HEADER.size + 4 * (first & 0x0F)
        if first & 0x10:  # header extension: 4 bytes, then its length in words
            if len(data) < offset + 4:
                raise RtpError("truncated header extension")
            offset += 4 + 4 * struct.unpack_from("!H", data, offset + 2)[0]
        end = len(data)
        if first & 0x20:
            end -= data[-1]
        if offset > end:
            raise RtpError("truncated packet")
        return cls(second & 0x7F, bool(second & 0x80), sequence, timestamp, ssrc, data[offset:end])


@dataclass(frozen=True, slots=True)
class ToneEvent:
    """One RFC 4733 telephone-event payload."""

    key: str
    end: bool
    duration: int

    @classmethod
    def parse(cls, payload: bytes) -> ToneEvent:
        if len(payload) < 4:
            raise RtpError("telephone-event shorter than 4 bytes")
        event, flags, duration = struct.unpack_from("!BBH", payload)
        if event >= len(DTMF_KEYS):
            raise RtpError(f"not a DTMF event: {event}")
        return cls(DTMF_KEYS[event], bool(flags & 0x80), duration)


@dataclass
class SendStats:
    sent: int = 0
    late_packets: int = 0  # sent more than one packet time after they were due
    lateness: list[float] = field(default_factory=list)  # seconds, one per packet


class RtpSession(asyncio.DatagramProtocol):
    """The media of one call: plays queued audio (silence when there is none), reports each
    key the callee presses once (on the first packet of its event) and each 20 ms of audio."""

    def __init__(self, on_key: Callable[[str], None], on_audio: Callable[[bytes], None]) -> None:
        # Known once the callee's SDP answer chose them (start()).
        self.codec = "PCMU"
        self.payload_type = -1
        self.dtmf_payload_type: int | None = None
        self._on_key = on_key
        self._on_audio = on_audio
        self._transport: asyncio.DatagramTransport | None = None
        self._remote: tuple[str, int] | None = None
        self._ssrc = random.getrandbits(32)
        self._sequence = random.getrandbits(16)
        self._timestamp = random.getrandbits(32)
        # What is queued to play: views of the prompts themselves (a cached prompt is shared
        # by every call that says it, never copied per call).
        self._outgoing: deque[memoryview] = deque()
        self._drained: asyncio.Event = asyncio.Event()
        self._metronome: Metronome | None = None
        self._first = True
        self._silence = bytes([g711.SILENCE["PCMU"]]) * SAMPLES
        self._last_event: tuple[int, str] | None = None  # (timestamp, key) of the last key
        self.stats = SendStats()
        self.recording: Recording | None = None  # set by the call when it is recorded
        self.received = 0

    # -- the socket ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            packet = RtpPacket.parse(data)
        except RtpError:
            return
        self.received += 1
        if packet.payload_type == self.dtmf_payload_type:
            self._tone(packet)
        elif packet.payload_type == self.payload_type:
            if self.recording is not None:
                self.recording.theirs(packet.payload)
            self._on_audio(packet.payload)

    def _tone(self, packet: RtpPacket) -> None:
        try:
            tone = ToneEvent.parse(packet.payload)
        except RtpError:
            return
        # All packets of one event share its timestamp (RFC 4733 2.5.1.2): one key each.
        if self._last_event != (packet.timestamp, tone.key):
            self._last_event = (packet.timestamp, tone.key)
            self._on_key(tone.key)

    @property
    def local_port(self) -> int:
        assert self._transport is not None
        return int(self._transport.get_extra_info("sockname")[1])

    # -- sending ------------------------------------------------------------------------------

    def start(
        self,
        remote: tuple[str, int],
        codec: str,
        payload_type: int,
        dtmf_payload_type: int | None,
        metronome: Metronome,
    ) -> None:
        self._remote = remote
        self.codec, self.payload_type = codec, payload_type
        self.dtmf_payload_type = dtmf_payload_type
        self._silence = bytes([g711.SILENCE[codec]]) * SAMPLES
        self._metronome = metronome
        metronome.add(self)

    def play(self, audio: bytes) -> None:
        """Queue G.711 bytes (of this session's codec) to be sent after what is queued."""
        if audio:
            self._outgoing.append(memoryview(audio))
            self._drained.clear()

    def clear(self) -> None:
        """Drop what is queued (a barge-in, or the agent said so)."""
        self._outgoing.clear()
        self._drained.set()

    async def played(self) -> None:
        """Returns when everything queued so far has been sent."""
        if self._outgoing:
            await self._drained.wait()

    def _next_chunk(self) -> bytes:
        """Up to 20 ms of what is queued, taken off the queue."""
        parts: list[memoryview] = []
        wanted = SAMPLES
        while wanted and self._outgoing:
            head = self._outgoing[0]
            parts.append(head[:wanted])
            if len(head) <= wanted:
                self._outgoing.popleft()
            else:
                self._outgoing[0] = head[wanted:]
            wanted -= len(parts[-1])
        return b"".join(parts)

    def tick(self, late: float) -> None:
        """The metronome's beat: send the next 20 ms (silence when nothing is queued)."""
        self.stats.lateness.append(late)
        if late > PTIME:
            self.stats.late_packets += 1
        chunk = self._next_chunk()
        if not self._outgoing:
            self._drained.set()
        payload = chunk.ljust(SAMPLES, self._silence[:1]) if chunk else self._silence
        self._send(payload, self._first)
        self._first = False
        if self.recording is not None:
            self.recording.ours(payload)

    def _send(self, payload: bytes, marker: bool) -> None:
        if self._transport is None or self._remote is None:
            return
        packet = RtpPacket(
            self.payload_type, marker, self._sequence, self._timestamp, self._ssrc, payload
        )
        self._transport.sendto(packet.pack(), self._remote)
        self._sequence = (self._sequence + 1) & 0xFFFF
        self._timestamp = (self._timestamp + SAMPLES) & 0xFFFFFFFF
        self.stats.sent += 1

    def close(self) -> None:
        if self._metronome is not None:
            self._metronome.remove(self)
        if self._transport is not None:
            self._transport.close()


async def open_session(
    host: str, on_key: Callable[[str], None], on_audio: Callable[[bytes], None]
) -> RtpSession:
    """An RTP session on a free even port of `host` (RFC 3550 11: RTP on even ports)."""
    loop = asyncio.get_running_loop()
    for _ in range(50):
        _, protocol = await loop.create_datagram_endpoint(
            lambda: RtpSession(on_key, on_audio),
            local_addr=(host, 0),
        )
        if protocol.local_port % 2 == 0:
            return protocol
        protocol.close()
    raise OSError("no even RTP port found")


class Metronome:
    """The steady clock of every call's RTP in one event loop: tick n is due at
    start + n * 20 ms; each tick sends one packet of every session, in the order they joined.
    A tick that comes late is still sent in full (no packet is skipped), with its lateness."""

    def __init__(self) -> None:
        self._sessions: dict[RtpSession, None] = {}  # an insertion-ordered set
        self._task: asyncio.Task[None] | None = None

    def add(self, session: RtpSession) -> None:
        self._sessions[session] = None
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._beat())

    def remove(self, session: RtpSession) -> None:
        self._sessions.pop(session, None)

    async def _beat(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        n = 0
        while True:
            due = start + n * PTIME
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            for session in list(self._sessions):
                session.tick(loop.time() - due)
            n += 1

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
