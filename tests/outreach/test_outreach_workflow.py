"""The pure parts of outreach: workflow shapes, sending hours, templates, languages."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from herald.errors import ValidationFailed
from herald.outreach import hours, workflow
from herald.outreach.models import EnrollmentState
from herald.outreach.sequence import LeadView, take_turn
from herald.outreach.templates import RenderFailed, pick_language, render
from herald.outreach.workflow import SendingHours

FRIDAY_6PM_UTC = datetime(2026, 1, 9, 18, 0, tzinfo=UTC)
WEEKDAYS_9_TO_5 = SendingHours(start=time(9), end=time(17), days=[1, 2, 3, 4, 5])


def test_a_time_inside_the_window_is_kept() -> None:
    at = datetime(2026, 1, 6, 10, 30, tzinfo=UTC)
    assert hours.within(at, WEEKDAYS_9_TO_5, "UTC") == at


def test_after_hours_on_friday_waits_for_monday_morning_local_time() -> None:
    assert hours.within(FRIDAY_6PM_UTC, WEEKDAYS_9_TO_5, "Europe/Lisbon") == datetime(
        2026, 1, 12, 9, 0, tzinfo=UTC
    )
    # 18:00 UTC is 13:00 in New York: still inside its Friday window.
    assert hours.within(FRIDAY_6PM_UTC, WEEKDAYS_9_TO_5, "America/New_York") == FRIDAY_6PM_UTC


def test_before_opening_waits_for_the_same_days_opening() -> None:
    at = datetime(2026, 1, 6, 5, 0, tzinfo=UTC)
    assert hours.within(at, WEEKDAYS_9_TO_5, "Africa/Luanda") == datetime(
        2026, 1, 6, 8, 0, tzinfo=UTC
    )


def test_the_window_follows_daylight_saving_time() -> None:
    summer = datetime(2026, 7, 6, 6, 0, tzinfo=UTC)  # 07:00 in Lisbon (UTC+1)
    assert hours.within(summer, WEEKDAYS_9_TO_5, "Europe/Lisbon") == datetime(
        2026, 7, 6, 8, 0, tzinfo=UTC
    )


def test_a_lead_without_a_time_zone_gets_its_numbers() -> None:
    assert hours.time_zone_of_number("+244990000001") == "Africa/Luanda"
    assert hours.time_zone_of_number("not a number") == "UTC"


def test_languages_fall_back_from_region_to_base_to_the_campaign_default() -> None:
    templates = {"en": "Hello", "pt": "Olá", "pt-br": "Oi"}
    assert pick_language(templates, "pt-br", "en") == "pt-br"
    assert pick_language(templates, "pt-pt", "en") == "pt"
    assert pick_language(templates, "fr", "en") == "en"
    assert pick_language(templates, None, "pt-ao") == "pt"
    assert pick_language({"fr": "Salut"}, None, "en") is None


def test_templates_render_lead_fields_and_leave_missing_ones_empty() -> None:
    context = {"lead": {"firstName": "Ana", "fields": {}}}
    assert render("Hi {{ lead.firstName }}{{ lead.fields.city }}!", context) == "Hi Ana!"
    with pytest.raises(RenderFailed) as failed:
        render("{{ lead.nothing }}", context)
    assert failed.value.code == "TEMPLATE_EMPTY"
    with pytest.raises(RenderFailed) as unsafe:
        render("{{ ''.__class__.__mro__[1].__subclasses__() }}", context)
    assert unsafe.value.code in {"TEMPLATE_ERROR", "TEMPLATE_EMPTY"}


def test_a_workflow_names_the_step_that_is_wrong() -> None:
    with pytest.raises(ValidationFailed) as failed:
        workflow.parse(
            {
                "steps": [
                    {"type": "send", "templates": {"en": "Hi"}},
                    {"type": "wait", "duration": "P91D"},
                    {
                        "type": "wait",
                        "duration": "PT1H",
                        "sendingHours": {"start": "18:00", "end": "09:00"},
                    },
                ]
            }
        )
    assert set(failed.value.fields) == {"steps.1.duration", "steps.2.sendingHours"}


def test_a_turn_sends_one_step_and_stops_at_the_next_wait() -> None:
    steps = workflow.parse(
        {
            "steps": [
                {"type": "send", "templates": {"en": "A"}},
                {"type": "send", "templates": {"en": "B"}},
                {"type": "wait", "duration": "PT1H"},
                {"type": "send", "templates": {"en": "C"}},
            ]
        }
    )
    lead = LeadView({}, None, "UTC")
    now = FRIDAY_6PM_UTC
    first = take_turn(steps, 0, lead, "en", {}, now)
    assert (first.send and first.send.text, first.step_index, first.due_at) == ("A", 1, now)
    second = take_turn(steps, 1, lead, "en", {}, now)
    assert (second.send and second.send.text, second.step_index) == ("B", 3)
    assert second.due_at == now + timedelta(hours=1)
    last = take_turn(steps, 3, lead, "en", {}, now)
    assert (last.send and last.send.text, last.state) == ("C", EnrollmentState.COMPLETED)
    french = take_turn(steps, 0, LeadView({}, "fr", "UTC"), "de", {}, now)
    assert (french.state, french.error_code) == (EnrollmentState.FAILED, "NO_TEMPLATE_FOR_LANGUAGE")
