"""SMS text encoding detection and segmentation (GSM 03.38 / 3GPP TS 23.038).

A message is sent as GSM-7 when every character is in the GSM 7-bit default
alphabet or its extension table; a single character outside it forces the
whole message to UCS-2 (sent as UTF-16BE, which is what handsets actually
decode). Long texts are split into concatenated parts whose 6-byte UDH
leaves room for 153 septets or 67 UTF-16 code units per part.

This runs for every recipient of every batch, so the hot path (detect and
count a plain text) is one compiled-regex match plus ``len``; per-character
Python loops run only for multipart texts that contain double-width units.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

__all__ = [
    "DATA_CODING",
    "Encoding",
    "TextInfo",
    "analyse",
    "decode_gsm7_unpacked",
    "detect_encoding",
    "encode_gsm7_unpacked",
    "encode_ucs2",
    "split_parts",
]


class Encoding(enum.StrEnum):
    GSM7 = "GSM7"
    UCS2 = "UCS2"


@dataclass(frozen=True, slots=True)
class TextInfo:
    encoding: Encoding
    # Septets for GSM7 (extension characters count 2), UTF-16 code units for UCS2.
    units: int
    segments: int


# SMPP data_coding values: 0 is "SMSC default alphabet" (GSM-7 for nearly all
# SMSCs), 8 is UCS-2.
DATA_CODING: Final[dict[Encoding, int]] = {Encoding.GSM7: 0, Encoding.UCS2: 8}

# --- GSM 03.38 tables -------------------------------------------------------

_ESC: Final = 0x1B

# The basic table in code order (0x00-0x7F). The ESC slot (0x1B) holds a
# placeholder that is stripped below: a literal U+001B in user text is not a
# GSM character, it would be read by the handset as the start of an escape.
# The Greek letters are the U+03xx code points (not OHM SIGN / INCREMENT).
_BASIC_TABLE: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x00ÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
_BASIC_CODES: Final[dict[str, int]] = {
    char: code for code, char in enumerate(_BASIC_TABLE) if code != _ESC
}
_BASIC_CHARS: Final[dict[int, str]] = {code: char for char, code in _BASIC_CODES.items()}

# The extension table, reached by ESC + code; each character costs 2 septets.
_EXTENSION_CODES: Final[dict[str, int]] = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
_EXTENSION_CHARS: Final[dict[int, str]] = {code: char for char, code in _EXTENSION_CODES.items()}
_EXTENSION_SET: Final = frozenset(_EXTENSION_CODES)
_GSM7_SET: Final = frozenset(_BASIC_CODES) | _EXTENSION_SET

# Regex character classes are the fastest whole-string membership test in
# CPython (faster than frozenset.issuperset on typical message lengths).
_BASIC_ONLY_RE: Final = re.compile("[" + re.escape("".join(_BASIC_CODES)) + "]*")
_GSM7_RE: Final = re.compile("[" + re.escape("".join(sorted(_GSM7_SET))) + "]*")
_EXTENSION_RE: Final = re.compile("[" + re.escape("".join(_EXTENSION_CODES)) + "]")

# str.translate tables for the unpacked byte <-> text conversions; every
# mapped value is below 0x80, so the result encodes losslessly as ASCII.
_ENCODE_TABLE: Final[dict[int, str]] = {
    **{ord(char): chr(code) for char, code in _BASIC_CODES.items()},
    **{ord(char): chr(_ESC) + chr(code) for char, code in _EXTENSION_CODES.items()},
}
_DECODE_BASIC_TABLE: Final[dict[int, str]] = dict(_BASIC_CHARS)

# --- Limits -----------------------------------------------------------------

_SINGLE_LIMIT: Final[dict[Encoding, int]] = {Encoding.GSM7: 160, Encoding.UCS2: 70}
# A concatenated part carries a 6-byte UDH: 140 - 6 = 134 bytes, i.e. 153
# septets (1 fill bit) or 67 UTF-16 code units.
_PART_LIMIT: Final[dict[Encoding, int]] = {Encoding.GSM7: 153, Encoding.UCS2: 67}

# Highest BMP code point; anything above is a surrogate pair in UTF-16.
_BMP_MAX: Final = "\uffff"


# --- Detection and counting -------------------------------------------------


def detect_encoding(text: str) -> Encoding:
    """GSM7 when every character is in the basic or extension table, else UCS2."""
    return Encoding.GSM7 if _GSM7_RE.fullmatch(text) else Encoding.UCS2


def _count_units(text: str, encoding: Encoding) -> int:
    if encoding is Encoding.GSM7:
        # Each extension character is ESC + code: one extra septet.
        return len(text) + len(_EXTENSION_RE.findall(text))
    # "surrogatepass" so a stray lone surrogate counts as the one unit it is
    # instead of raising; real characters above the BMP become two units.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _classify(text: str) -> tuple[Encoding, int]:
    # Fast path: most campaign texts are plain GSM with no extension
    # characters, where units == len(text) after a single regex match.
    if _BASIC_ONLY_RE.fullmatch(text):
        return Encoding.GSM7, len(text)
    encoding = detect_encoding(text)
    return encoding, _count_units(text, encoding)


# --- Segmentation -----------------------------------------------------------


def _greedy_starts(costs: Iterable[int], capacity: int) -> list[int]:
    """Start index of each part when filling parts greedily with indivisible items.

    An item that does not fit moves whole to the next part, which is what keeps
    escape pairs and surrogate pairs from being split (leaving 152 septets or
    66 units in that part). Greedy filling also yields the fewest parts.
    """
    starts = [0]
    used = 0
    for index, cost in enumerate(costs):
        if used + cost > capacity:
            starts.append(index)
            used = 0
        used += cost
    return starts


def _unit_costs(text: str, encoding: Encoding) -> Iterable[int]:
    if encoding is Encoding.GSM7:
        return (2 if char in _EXTENSION_SET else 1 for char in text)
    return (2 if char > _BMP_MAX else 1 for char in text)


def _part_starts(text: str, encoding: Encoding, units: int) -> Sequence[int]:
    if units <= _SINGLE_LIMIT[encoding]:
        return (0,)
    capacity = _PART_LIMIT[encoding]
    if units == len(text):
        # No double-width characters: fixed-size slices, no per-char loop.
        return range(0, len(text), capacity)
    return _greedy_starts(_unit_costs(text, encoding), capacity)


# Carriers cap concatenated SMS (often at 6 to 10 parts); HERALD_MAX_SEGMENTS changes it.
DEFAULT_MAX_SEGMENTS: Final = 10


def too_long(text: str, max_segments: int) -> str | None:
    """Why `text` is too long for one message, or None."""
    segments = analyse(text).segments
    if segments <= max_segments:
        return None
    return (
        f"Is {segments} SMS segments long; the most is {max_segments} "
        "(HERALD_MAX_SEGMENTS). Shorten it."
    )


def analyse(text: str) -> TextInfo:
    """Encoding, unit count and number of SMS segments needed for ``text``."""
    encoding, units = _classify(text)
    segments = len(_part_starts(text, encoding, units))
    return TextInfo(encoding=encoding, units=units, segments=segments)


def split_parts(text: str) -> list[str]:
    """The text carried by each SMS part; ``"".join(split_parts(t)) == t``."""
    encoding, units = _classify(text)
    bounds = [*_part_starts(text, encoding, units), len(text)]
    return [text[start:end] for start, end in pairwise(bounds)]


# --- Byte encodings ---------------------------------------------------------


def encode_gsm7_unpacked(text: str) -> bytes:
    """One septet per byte; extension characters as 0x1B + code (SMPP data_coding 0).

    Raises ValueError if ``text`` has a character outside the GSM 7-bit alphabet.
    """
    if not _GSM7_RE.fullmatch(text):
        # Only on the error path: find the culprit for a useful message.
        position, char = next((i, c) for i, c in enumerate(text) if c not in _GSM7_SET)
        raise ValueError(
            f"character {char!r} (U+{ord(char):04X}) at position {position} "
            "is not in the GSM 7-bit alphabet"
        )
    return text.translate(_ENCODE_TABLE).encode("ascii")


def decode_gsm7_unpacked(data: bytes) -> str:
    """Inverse of :func:`encode_gsm7_unpacked`.

    Per TS 23.038, ESC followed by a code with no extension character is shown
    as the basic-table character for that code, and ESC ESC (reserved for a
    future table) as a space. Raises ValueError on bytes above 0x7F or a
    trailing ESC, neither of which an unpacked GSM-7 payload can contain.
    """
    if not data.isascii():
        offender = next(byte for byte in data if byte > 0x7F)
        raise ValueError(f"byte 0x{offender:02X} is not a GSM 7-bit septet")
    if _ESC not in data:
        return data.decode("ascii").translate(_DECODE_BASIC_TABLE)
    return "".join(_decode_with_escapes(data))


def _decode_with_escapes(data: bytes) -> Iterable[str]:
    septets = iter(data)
    for septet in septets:
        if septet != _ESC:
            yield _BASIC_CHARS[septet]
            continue
        escaped = next(septets, None)
        if escaped is None:
            raise ValueError("GSM 7-bit data ends with a dangling escape (0x1B)")
        yield _decode_escaped(escaped)


def _decode_escaped(code: int) -> str:
    if code in _EXTENSION_CHARS:
        return _EXTENSION_CHARS[code]
    if code == _ESC:
        return " "
    return _BASIC_CHARS[code]


def encode_ucs2(text: str) -> bytes:
    """UTF-16BE, the de-facto "UCS-2" of SMPP data_coding 8 (emoji as surrogate pairs).

    Raises ValueError (UnicodeEncodeError) on a lone surrogate, which has no
    valid UTF-16 form.
    """
    return text.encode("utf-16-be")
