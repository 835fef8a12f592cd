"""Phone numbers: normalisation to E.164 and carrier detection (phonenumbers' data,
overridden by the operator's own prefix table for ported numbers and new ranges)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
from phonenumbers import carrier as carrier_data

UNKNOWN_CARRIER = "UNKNOWN"
_NOT_CODE = re.compile(r"[^A-Z0-9]+")


@dataclass(frozen=True, slots=True)
class Destination:
    e164: str
    country_alpha2: str | None
    carrier: str


def _parse_valid(raw: str, default_region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_valid_number(parsed) else None


def reads_as_number(raw: str, default_region: str | None) -> bool:
    """Whether a numbering plan can read `raw` at all (valid or not)."""
    try:
        phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        return False
    return True


def to_e164(raw: str, default_region: str | None) -> tuple[str, str | None] | None:
    """The E.164 form of `raw` and its region, or None if it is not a valid number."""
    parsed = _parse_valid(raw, default_region)
    if parsed is None:
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164, phonenumbers.region_code_for_number(parsed)


_NON_DIGITS = re.compile(r"\D")


def likely_region(raw: str, default_region: str | None) -> str | None:
    """A cheap guess of the country of `raw` (no validation): the region of its country
    calling code when it has a '+' or '00' prefix, else `default_region`. Good enough to
    estimate a price when a batch is accepted; expansion does the real parsing."""
    stripped = raw.strip()
    international = stripped.startswith(("+", "00"))
    if not international:
        return default_region
    digits = _NON_DIGITS.sub("", stripped)
    digits = digits[2:] if stripped.startswith("00") else digits
    for length in (1, 2, 3):
        regions = COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:length] or 0))
        if regions:
            return str(regions[0])
    return None


def carrier_code(name: str) -> str:
    """'Vodafone Portugal' -> 'VODAFONE_PORTUGAL': the upper-case code the API shows."""
    code = _NOT_CODE.sub("_", name.upper()).strip("_")
    return code or UNKNOWN_CARRIER


def _carrier_from_data(parsed: phonenumbers.PhoneNumber) -> str:
    return carrier_code(carrier_data.name_for_number(parsed, "en"))


class CarrierDetector:
    """Finds the carrier of an E.164 number; the longest matching operator prefix wins
    over phonenumbers' allocation data."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        self._overrides = dict(overrides or {})
        self._lengths = sorted({len(p) for p in self._overrides}, reverse=True)

    def _override(self, e164: str) -> str | None:
        for length in self._lengths:
            found = self._overrides.get(e164[:length])
            if found is not None:
                return found
        return None

    def destination(self, raw: str, default_region: str | None) -> Destination | None:
        parsed = _parse_valid(raw, default_region)
        if parsed is None:
            return None
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        carrier = self._override(e164) or _carrier_from_data(parsed)
        return Destination(e164, phonenumbers.region_code_for_number(parsed), carrier)
