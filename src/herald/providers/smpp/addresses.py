"""Source and destination addresses of a submit_sm (TON/NPI as SMSCs expect them)."""

from __future__ import annotations

TON_INTERNATIONAL, TON_NETWORK, TON_ALPHANUMERIC = 1, 3, 5
NPI_UNKNOWN, NPI_ISDN = 0, 1
_SHORT_CODE_MAX = 8


def source_address(sender: str) -> tuple[int, int, str]:
    """(ton, npi, addr) of a sender ID: an international number, a short code, or a name."""
    digits = sender.removeprefix("+")
    if digits.isdigit():
        if len(digits) <= _SHORT_CODE_MAX and not sender.startswith("+"):
            return TON_NETWORK, NPI_UNKNOWN, digits
        return TON_INTERNATIONAL, NPI_ISDN, digits
    return TON_ALPHANUMERIC, NPI_UNKNOWN, sender


def destination_address(e164: str) -> str:
    return e164.removeprefix("+")
