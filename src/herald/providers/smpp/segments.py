"""Turning a message's text into the short_message of each submit_sm.

One Herald message becomes N parts. GSM-7 text goes out unpacked, one septet per octet
(data_coding 0: the SMSC packs it), UCS-2 as UTF-16BE (data_coding 8). Parts of a long text
carry a 6-octet concatenation header (UDH, 8-bit reference) and set the UDHI bit of
esm_class. The split itself is herald.messaging.encoding.split_parts, which never cuts an
escape pair or a surrogate pair (smpplib's own splitter does).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache

from herald.messaging.encoding import (
    DATA_CODING,
    Encoding,
    detect_encoding,
    encode_gsm7_unpacked,
    encode_ucs2,
    split_parts,
)

ESM_CLASS_UDHI = 0x40
_IEI_CONCAT_8BIT = 0x00


@dataclass(frozen=True, slots=True)
class Part:
    number: int  # 1-based
    total: int
    data_coding: int
    esm_class: int
    short_message: bytes


def concat_reference(message_id: uuid.UUID) -> int:
    """The 8-bit reference that ties the parts of one message together on the handset. It is
    derived from the message id so that a part sent again carries the same reference."""
    return message_id.int & 0xFF


def udh(reference: int, total: int, number: int) -> bytes:
    return bytes((0x05, _IEI_CONCAT_8BIT, 0x03, reference & 0xFF, total, number))


def _encode(text: str, encoding: Encoding) -> bytes:
    return encode_gsm7_unpacked(text) if encoding is Encoding.GSM7 else encode_ucs2(text)


def segment(message_id: uuid.UUID, text: str) -> list[Part]:
    data_coding, pieces = _encoded(text)
    if len(pieces) == 1:
        return [Part(1, 1, data_coding, 0, pieces[0])]
    reference = concat_reference(message_id)
    total = len(pieces)
    return [
        Part(number, total, data_coding, ESM_CLASS_UDHI, udh(reference, total, number) + piece)
        for number, piece in enumerate(pieces, start=1)
    ]


@lru_cache(maxsize=256)
def _encoded(text: str) -> tuple[int, tuple[bytes, ...]]:
    """The data_coding and the encoded pieces of a text. Cached: the messages of a campaign
    share their text, and detecting and splitting it costs more than sending a part."""
    encoding = detect_encoding(text)
    pieces = split_parts(text) or [""]
    return DATA_CODING[encoding], tuple(_encode(piece, encoding) for piece in pieces)
