"""The agent's voice: offline text-to-speech with espeak-ng (a Debian package), rendered to
8 kHz 16-bit mono PCM and cached on disk by text and voice, so a prompt said on a thousand
calls is rendered once."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import wave
from array import array
from pathlib import Path

import structlog

from herald.providers.sip import g711

log = structlog.get_logger(__name__)

RATE = 8000
ESPEAK = "espeak-ng"


def voice_of(language: str, voice: str | None) -> str:
    """espeak-ng's voice name: the agent's voice if set, else its language ("en-US" -> en-us)."""
    return (voice or language or "en-us").lower()


class Speech:
    def __init__(self, cache_dir: Path | None) -> None:
        self._cache_dir = cache_dir
        self._memory: dict[str, array] = {}
        self._encoded: dict[tuple[str, str, str], bytes] = {}

    def render(self, text: str, voice: str) -> array:
        """8 kHz samples of `text` said in `voice`; silence of a reading's length when
        espeak-ng is not installed (logged once per prompt)."""
        key = hashlib.sha256(f"{voice}\n{text}".encode()).hexdigest()
        if key in self._memory:
            return self._memory[key]
        samples = self._from_disk(key)
        if samples is None:
            samples = _espeak(text, voice)
            self._to_disk(key, samples)
        self._memory[key] = samples
        return samples

    def g711(self, text: str, voice: str, codec: str) -> bytes:
        """`text` said in `voice`, as G.711 bytes of `codec`, each prompt encoded once per
        codec (encoding in Python costs about as much as playing it: never per call)."""
        key = (text, voice, codec)
        encoded = self._encoded.get(key)
        if encoded is None:
            encoded = g711.encode(self.render(text, voice), codec)
            self._encoded[key] = encoded
        return encoded

    def _path(self, key: str) -> Path | None:
        return None if self._cache_dir is None else self._cache_dir / f"{key}.pcm"

    def _from_disk(self, key: str) -> array | None:
        path = self._path(key)
        if path is None or not path.exists():
            return None
        samples = array("h")
        samples.frombytes(path.read_bytes())
        return samples

    def _to_disk(self, key: str, samples: array) -> None:
        path = self._path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_bytes(samples.tobytes())
        partial.replace(path)  # whole or absent, never half a prompt


def _espeak(text: str, voice: str) -> array:
    if shutil.which(ESPEAK) is None:
        log.warning("speech.espeak_missing", text=text[:40])
        return array("h", bytes(2 * int(RATE * len(text) / 15)))
    try:
        wav = subprocess.run(
            [ESPEAK, "-v", voice, "--stdout", text], capture_output=True, check=True, timeout=30
        ).stdout
    except subprocess.CalledProcessError:
        # An unknown voice: say it in espeak-ng's default voice rather than not at all.
        wav = subprocess.run(
            [ESPEAK, "--stdout", text], capture_output=True, check=True, timeout=30
        ).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        rate = reader.getframerate()
        samples = array("h")
        samples.frombytes(reader.readframes(reader.getnframes()))
    return resample(samples, rate, RATE)


def resample(samples: array, rate: int, target: int) -> array:
    """Linear interpolation; enough for speech going down to the telephone band."""
    if rate == target or not samples:
        return array("h", samples)
    count = int(len(samples) * target / rate)
    step = rate / target
    out = array("h", bytes(2 * count))
    last = len(samples) - 1
    for i in range(count):
        pos = i * step
        j = int(pos)
        frac = pos - j
        k = min(j + 1, last)
        out[i] = int(samples[j] + (samples[k] - samples[j]) * frac)
    return out
