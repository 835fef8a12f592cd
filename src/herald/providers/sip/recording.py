"""Recording an answered call, both directions, to a stereo WAV file (8 kHz, 16-bit; the
callee on the left channel, the agent on the right), as the call log's recording.

The two directions are lined up on the metronome: each 20 ms tick records the packet we sent
and one packet the callee sent since (silence if none came; a backlog beyond 100 ms is
drained faster, so the callee never drifts behind)."""

from __future__ import annotations

import wave
from array import array
from collections import deque
from pathlib import Path

from herald.providers.sip import g711
from herald.providers.sip.rtp import PTIME, SAMPLES

BACKLOG = 5  # frames of the callee's audio allowed to wait before catching up


class Recording:
    def __init__(self, codec: str) -> None:
        self.codec = codec
        self._ours: list[bytes] = []
        self._theirs: list[bytes] = []
        self._pending: deque[bytes] = deque()
        self._silence = bytes([g711.SILENCE[codec]]) * SAMPLES

    def theirs(self, payload: bytes) -> None:
        self._pending.append(payload)

    def ours(self, payload: bytes) -> None:
        self._ours.append(payload)
        self._theirs.append(self._pending.popleft() if self._pending else self._silence)
        while len(self._pending) > BACKLOG:  # the callee's clock runs fast: catch up
            self._pending.popleft()

    @property
    def seconds(self) -> int:
        return round(len(self._ours) * PTIME)

    def write(self, path: Path) -> None:
        """Whole or absent: written aside, then renamed."""
        left = g711.decode(b"".join(self._theirs), self.codec)
        right = g711.decode(b"".join(self._ours), self.codec)
        frames = array("h", bytes(4 * min(len(left), len(right))))
        frames[0::2] = left[: len(frames) // 2]
        frames[1::2] = right[: len(frames) // 2]
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        with wave.open(str(partial), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(frames.tobytes())
        partial.replace(path)
