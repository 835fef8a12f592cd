"""Phone numbers: normalisation to E.164 and carrier detection (phonenumbers' data,
overridden by the operator's own prefix table for ported numbers and new ranges)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import carrier as carrier_data

UNKNOWN_CARRIER = "UNKNOWN"
_NOT_CODE = re.compile(r"[^A-Z0-9]+")


@dataclass(frozen=True, slots=True)
class Destination:
    e164: str
    country_alpha2: str | None
    carrier: str


def to_e164(raw: str, default_region: str | None) -> tuple[str, str | None] | None:
    """The E.164 form of `raw` and its region, or None if it is not a valid number."""
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164, phonenumbers.region_code_for_number(parsed)


def carrier_code(name: str) -> str:
    """'Vodafone Portugal' -> 'VODAFONE_PORTUGAL': the upper-case code the API shows."""
    code = _NOT_CODE.sub("_", name.upper()).strip("_")
    return code or UNKNOWN_CARRIER


@lru_cache(maxsize=65536)
def _carrier_from_data(e164: str) -> str:
    parsed = phonenumbers.parse(e164)
    return carrier_code(carrier_data.name_for_number(parsed, "en"))


class CarrierDetector:
    """Finds the carrier of an E.164 number; the longest matching operator prefix wins
    over phonenumbers' allocation data."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        self._overrides = dict(overrides or {})
        self._lengths = sorted({len(p) for p in self._overrides}, reverse=True)

    def carrier_of(self, e164: str) -> str:
        for length in self._lengths:
            found = self._overrides.get(e164[:length])
            if found is not None:
                return found
        return _carrier_from_data(e164)

    def destination(self, raw: str, default_region: str | None) -> Destination | None:
        normalised = to_e164(raw, default_region)
        if normalised is None:
            return None
        e164, region = normalised
        return Destination(e164, region, self.carrier_of(e164))
