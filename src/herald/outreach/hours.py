"""Time zones of leads and sending hours: when may a message reach a lead?"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_time_zones

from herald.outreach.workflow import SendingHours

DEFAULT_TIME_ZONE = "UTC"


def is_time_zone(name: str) -> bool:
    """An IANA time zone name this system knows ('Africa/Luanda', 'UTC')."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def time_zone_of_number(e164: str) -> str:
    """The time zone of a number's region (the first when a country has several)."""
    try:
        zones = number_time_zones.time_zones_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return DEFAULT_TIME_ZONE
    known = [z for z in zones if z != "Etc/Unknown" and is_time_zone(z)]
    return known[0] if known else DEFAULT_TIME_ZONE


def within(at: datetime, hours: SendingHours | None, time_zone: str) -> datetime:
    """`at` if it falls inside the sending hours in `time_zone`, else the next opening."""
    if hours is None:
        return at
    zone = ZoneInfo(time_zone)
    local = at.astimezone(zone)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if day.isoweekday() not in hours.days:
            continue
        opens = datetime.combine(day, hours.start, zone)
        closes = datetime.combine(day, hours.end, zone)
        if offset == 0 and opens <= local < closes:
            return at
        if local < opens:
            return opens.astimezone(UTC)
    raise AssertionError("a weekly window always opens within eight days")
