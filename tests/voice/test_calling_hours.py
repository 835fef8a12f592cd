"""Calling hours are counted in the lead's own time zone(s)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from herald.voice.hours import CallingHours, split_zones, zones_of_number

NINE_TO_FIVE = CallingHours.from_config({"start": "09:00", "end": "17:00"})
WEEKDAYS = CallingHours.from_config(
    {"start": "09:00", "end": "17:00", "days": ["mon", "tue", "wed", "thu", "fri"]}
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_zone_comes_from_the_number() -> None:
    assert zones_of_number("+12126640900") == "America/New_York"
    assert zones_of_number("+351210000900") == "Europe/Lisbon"
    assert split_zones(zones_of_number("+351920000007")) == ["Atlantic/Azores", "Europe/Lisbon"]
    assert zones_of_number("+80012345678", fallback="Europe/Paris") == "Europe/Paris"


def test_inside_the_window_a_lead_is_called_now() -> None:
    assert NINE_TO_FIVE is not None
    at = utc(2026, 3, 2, 15, 0)  # 10:00 in New York
    assert NINE_TO_FIVE.next_opening(at, ["America/New_York"]) == at


def test_before_the_window_a_lead_waits_for_its_opening_in_local_time() -> None:
    assert NINE_TO_FIVE is not None
    at = utc(2026, 3, 2, 6, 0)  # 01:00 in New York
    assert NINE_TO_FIVE.next_opening(at, ["America/New_York"]) == utc(2026, 3, 2, 14, 0)


def test_after_the_window_a_lead_waits_for_the_next_open_day() -> None:
    assert WEEKDAYS is not None
    friday_evening = utc(2026, 3, 6, 18, 0)
    assert WEEKDAYS.next_opening(friday_evening, ["Europe/Lisbon"]) == utc(2026, 3, 9, 9, 0)


def test_summer_time_moves_the_opening_in_utc() -> None:
    assert NINE_TO_FIVE is not None
    winter = NINE_TO_FIVE.next_opening(utc(2026, 3, 2, 0, 0), ["Europe/Lisbon"])
    summer = NINE_TO_FIVE.next_opening(utc(2026, 4, 2, 0, 0), ["Europe/Lisbon"])
    assert (winter.hour, summer.hour) == (9, 8)


def test_a_number_with_several_zones_waits_until_the_window_is_open_in_all() -> None:
    assert NINE_TO_FIVE is not None
    at = utc(2026, 3, 2, 9, 30)  # 09:30 in Lisbon, 08:30 in the Azores
    zones = ["Atlantic/Azores", "Europe/Lisbon"]
    assert NINE_TO_FIVE.next_opening(at, zones) == utc(2026, 3, 2, 10, 0)


def test_zones_whose_windows_never_meet_fall_back_to_the_first_zone() -> None:
    short = CallingHours.from_config({"start": "09:00", "end": "10:00"})
    assert short is not None
    at = utc(2026, 3, 2, 0, 0)
    opening = short.next_opening(at, ["Asia/Tokyo", "America/New_York"])
    assert opening == short.next_opening(at, ["Asia/Tokyo"])


@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1)),
    st.sampled_from(["Europe/Lisbon", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]),
)
def test_the_opening_is_never_in_the_past_and_always_inside_the_window(
    naive: datetime, zone_name: str
) -> None:
    assert WEEKDAYS is not None
    at = naive.replace(tzinfo=UTC)
    opening = WEEKDAYS.next_opening(at, [zone_name])
    assert opening >= at
    assert WEEKDAYS.next_opening(opening, [zone_name]) == opening
