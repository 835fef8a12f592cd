"""Reading what the SMSC delivers to us (deliver_sm): delivery receipts and mobile-originated
messages.

A receipt names the carrier's message id in the receipted_message_id TLV and in the text
("id:… sub:… dlvrd:… submit date:… done date:… stat:DELIVRD err:000 text:…"). SMSCs differ on
whether that id is written in hex or in decimal, so a receipt id is matched against every
reading of it (see `id_candidates`).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from herald.messaging.encoding import decode_gsm7_unpacked
from herald.providers.base import ReceiptStatus
from herald.providers.smpp.codec import Pdu
from herald.providers.smpp.segments import ESM_CLASS_UDHI

ESM_TYPE_MASK = 0x3C
ESM_TYPE_RECEIPT = 0x04
ESM_TYPE_INTERMEDIATE = 0x20

_ID = re.compile(r"\bid:\s*(\S+)", re.IGNORECASE)
_STAT = re.compile(r"\bstat:\s*(\w+)", re.IGNORECASE)
_ERR = re.compile(r"\berr:\s*(\w+)", re.IGNORECASE)
_HEX = frozenset(string.hexdigits)

# Receipt "stat:" words by prefix (SMSCs write DELIVRD or DELIVERED, UNDELIV or UNDELIVERABLE).
_STAT_PREFIXES: tuple[tuple[str, ReceiptStatus], ...] = (
    ("DELIV", ReceiptStatus.DELIVERED),
    ("UNDELIV", ReceiptStatus.UNDELIVERED),
    ("EXPIR", ReceiptStatus.EXPIRED),
    ("REJECT", ReceiptStatus.REJECTED),
    ("DELET", ReceiptStatus.FAILED),
    ("UNKNOWN", ReceiptStatus.FAILED),
    ("FAIL", ReceiptStatus.FAILED),
)
# The message_state TLV (SMPP 3.4 §5.2.28); 1 ENROUTE and 6 ACCEPTED are not final.
_MESSAGE_STATES = {
    2: ReceiptStatus.DELIVERED,
    3: ReceiptStatus.EXPIRED,
    4: ReceiptStatus.FAILED,
    5: ReceiptStatus.UNDELIVERED,
    7: ReceiptStatus.FAILED,
    8: ReceiptStatus.REJECTED,
}


@dataclass(frozen=True, slots=True)
class PartReceipt:
    carrier_message_id: str
    status: ReceiptStatus
    error_code: str | None


@dataclass(frozen=True, slots=True)
class MobileOriginated:
    source: str  # the person's number as the SMSC wrote it
    destination: str  # our number or sender ID
    text: str
    # (reference, total, number) when this is one part of a concatenated message
    concat: tuple[int, int, int] | None = None


def is_receipt(pdu: Pdu) -> bool:
    esm_class = pdu.number("esm_class") or 0
    return esm_class & ESM_TYPE_MASK == ESM_TYPE_RECEIPT or bool(pdu.text("receipted_message_id"))


def is_intermediate(pdu: Pdu) -> bool:
    return (pdu.number("esm_class") or 0) & ESM_TYPE_MASK == ESM_TYPE_INTERMEDIATE


def _stat_status(word: str) -> ReceiptStatus | None:
    upper = word.upper()
    for prefix, status in _STAT_PREFIXES:
        if upper.startswith(prefix):
            return status
    return None


def read_receipt(pdu: Pdu) -> PartReceipt | None:
    """The final state a receipt reports, or None for one that is not final or unreadable."""
    text = pdu.octets("short_message").decode("latin-1") or pdu.octets("message_payload").decode(
        "latin-1"
    )
    found_id = _ID.search(text)
    carrier_id = pdu.text("receipted_message_id") or (found_id.group(1) if found_id else "")
    found_stat = _STAT.search(text)
    stat = found_stat.group(1).upper() if found_stat else ""
    status = _MESSAGE_STATES.get(pdu.number("message_state") or 0) or _stat_status(stat)
    if not carrier_id or status is None:
        return None
    if status is ReceiptStatus.DELIVERED:
        return PartReceipt(carrier_id, status, None)
    found_err = _ERR.search(text)
    err = found_err.group(1) if found_err else "000"
    return PartReceipt(carrier_id, status, f"{stat or status.value}:{err}")


def id_candidates(carrier_id: str) -> list[str]:
    """Every spelling under which an SMSC may write the same id: as given, and converted
    between decimal and hex (lower and upper case)."""
    found = [carrier_id]
    if carrier_id.isdigit():
        value = int(carrier_id)
        found += [format(value, "x"), format(value, "X")]
    if carrier_id and set(carrier_id) <= _HEX and len(carrier_id) <= 32:
        found.append(str(int(carrier_id, 16)))
    return list(dict.fromkeys(found))


def _decode_text(data: bytes, data_coding: int) -> str:
    if data_coding == 8:
        return data.decode("utf-16-be", errors="replace")
    if data_coding == 0:
        try:
            return decode_gsm7_unpacked(data)
        except (ValueError, KeyError):
            return data.decode("latin-1")
    if data_coding == 1:
        return data.decode("ascii", errors="replace")
    return data.decode("latin-1")


def _split_udh(data: bytes) -> tuple[tuple[int, int, int] | None, bytes]:
    if not data:
        return None, data
    length = data[0]
    header, body = data[1 : 1 + length], data[1 + length :]
    position = 0
    while position + 2 <= len(header):
        iei, size = header[position], header[position + 1]
        value = header[position + 2 : position + 2 + size]
        if iei == 0x00 and size == 3:
            return (value[0], value[1], value[2]), body
        if iei == 0x08 and size == 4:
            return ((value[0] << 8) | value[1], value[2], value[3]), body
        position += 2 + size
    return None, body


def read_mobile_originated(pdu: Pdu) -> MobileOriginated:
    data = pdu.octets("short_message") or pdu.octets("message_payload")
    concat = None
    if (pdu.number("esm_class") or 0) & ESM_CLASS_UDHI:
        concat, data = _split_udh(data)
    text = _decode_text(data, pdu.number("data_coding") or 0)
    return MobileOriginated(pdu.text("source_addr"), pdu.text("destination_addr"), text, concat)
