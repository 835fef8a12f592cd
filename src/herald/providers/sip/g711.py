"""G.711 (ITU-T) mu-law and A-law: 16-bit linear PCM samples <-> one byte each.

Tables are built once at import from the standard segment encoding (no audioop, gone from
Python 3.13)."""

from __future__ import annotations

from array import array

_BIAS = 0x84
_CLIP = 32635


def _ulaw_encode(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), _CLIP) + _BIAS
    exponent = 7
    mask = 0x4000
    while exponent > 0 and not magnitude & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _ulaw_decode(byte: int) -> int:
    byte = ~byte & 0xFF
    exponent = (byte >> 4) & 0x07
    magnitude = (((byte & 0x0F) << 3) + _BIAS) << exponent
    magnitude -= _BIAS
    return -magnitude if byte & 0x80 else magnitude


def _alaw_encode(sample: int) -> int:
    sign = 0x80 if sample >= 0 else 0
    magnitude = min(abs(sample), 32767) >> 3
    if magnitude < 32:
        value = magnitude >> 1
    else:
        exponent = magnitude.bit_length() - 5
        value = (exponent << 4) | ((magnitude >> exponent) & 0x0F)
    return (sign | value) ^ 0x55


def _alaw_decode(byte: int) -> int:
    byte ^= 0x55
    exponent = (byte >> 4) & 0x07
    mantissa = byte & 0x0F
    magnitude = (
        (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
    )
    return magnitude if byte & 0x80 else -magnitude


# Index by the unsigned 16-bit value of a sample for encoding.
_ULAW_ENC = bytes(_ulaw_encode(s - 65536 if s >= 32768 else s) for s in range(65536))
_ALAW_ENC = bytes(_alaw_encode(s - 65536 if s >= 32768 else s) for s in range(65536))
ULAW_DEC = array("h", (_ulaw_decode(b) for b in range(256)))
ALAW_DEC = array("h", (_alaw_decode(b) for b in range(256)))
SILENCE = {"PCMU": 0xFF, "PCMA": 0xD5}
# The magnitude of each byte's sample: a frame's loudness without decoding it.
LEVEL = {
    "PCMU": tuple(abs(s) for s in ULAW_DEC),
    "PCMA": tuple(abs(s) for s in ALAW_DEC),
}


def encode(pcm: array, codec: str) -> bytes:
    """16-bit signed samples -> G.711 bytes."""
    table = _ULAW_ENC if codec == "PCMU" else _ALAW_ENC
    return bytes(table[s & 0xFFFF] for s in pcm)


def decode(payload: bytes, codec: str) -> array:
    table = ULAW_DEC if codec == "PCMU" else ALAW_DEC
    return array("h", (table[b] for b in payload))
