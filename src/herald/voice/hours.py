"""Calling hours: the window, in each lead's own time zone, during which it may be called.
A lead that comes due outside its window waits for the window's next opening.

A lead's zone comes from its number (phonenumbers' data). When the data names several
zones (a mobile number of a country that spans several), the lead is called only when the
window is open in all of them: the safe reading of "the lead's local time" when it is not
known exactly. A zone given with the lead replaces them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_zones

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FALLBACK_ZONE = "UTC"
ZONES_MAX_LENGTH = 255


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zones_of_number(e164: str, fallback: str = FALLBACK_ZONE) -> str:
    """The number's zones we know, comma-separated (as stored on a lead), else `fallback`."""
    try:
        names = number_zones.time_zones_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return fallback
    known: list[str] = []
    for name in names:
        if zone(name) is not None and len(",".join([*known, name])) <= ZONES_MAX_LENGTH:
            known.append(name)
    return ",".join(known) or fallback


def split_zones(stored: str) -> list[str]:
    return [name for name in stored.split(",") if name] or [FALLBACK_ZONE]


@dataclass(frozen=True, slots=True)
class CallingHours:
    start: time
    end: time  # exclusive; after start on the same day
    days: frozenset[int]  # 0 = Monday

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> CallingHours | None:
        if not config:
            return None
        days = config.get("days") or list(DAYS)
        return cls(
            time.fromisoformat(config["start"]),
            time.fromisoformat(config["end"]),
            frozenset(DAYS.index(d) for d in days),
        )

    def next_opening(self, at: datetime, zones: Sequence[str]) -> datetime:
        """The first moment at or after `at` when the window is open in every zone (`at`
        itself when it is open now). Zones whose windows never meet in a week: the first
        zone's opening."""
        moment = at
        for _ in range(16):
            # No common open moment comes before the latest of the zones' next openings.
            later = max(self._opening_in(moment, name) for name in zones)
            if later == moment:
                return moment
            moment = later
        return self._opening_in(at, zones[0])

    def _opening_in(self, at: datetime, zone_name: str) -> datetime:
        tz = zone(zone_name) or UTC
        local = at.astimezone(tz)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            if day.weekday() not in self.days:
                continue
            opening = datetime.combine(day, self.start, tz)
            closing = datetime.combine(day, self.end, tz)
            if opening <= local < closing:
                return at
            if opening > local:
                return opening.astimezone(UTC)
        raise ValueError("calling hours have no open day")
