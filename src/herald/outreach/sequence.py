"""What a lead's next steps are: the pure part of the sequencer (no database, no clock).

A claimed lead runs its steps from `step_index` on: at most one send per turn, and a wait
ends the turn with the time the lead is due again. The sequencer writes the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from herald.messaging.encoding import DEFAULT_MAX_SEGMENTS, too_long
from herald.outreach import hours
from herald.outreach.models import EnrollmentState
from herald.outreach.templates import RenderFailed, pick_language, render
from herald.outreach.workflow import SendStep, WaitStep, WhatsAppTemplate, Workflow
from herald.whatsapp.templates import TemplateRequest


@dataclass(frozen=True, slots=True)
class Send:
    step_index: int
    channel: str
    language: str
    text: str
    subject: str | None = None  # EMAIL: the rendered subject (None: follow the thread's)
    template: TemplateRequest | None = None  # WHATSAPP: sent instead outside the window


@dataclass(frozen=True, slots=True)
class Turn:
    step_index: int  # the next step to run after this turn
    state: str
    due_at: datetime | None
    error_code: str | None = None
    send: Send | None = None


@dataclass(frozen=True, slots=True)
class LeadView:
    """The lead as a template sees it (field names as the API shows them)."""

    fields: Mapping[str, Any]
    language: str | None
    time_zone: str


def take_turn(
    steps: Workflow,
    step_index: int,
    lead: LeadView,
    default_language: str,
    context: Mapping[str, Any],
    now: datetime,
    max_segments: int = DEFAULT_MAX_SEGMENTS,
) -> Turn:
    send: Send | None = None
    index = step_index
    items: Sequence[SendStep | WaitStep] = steps.steps
    while index < len(items):
        step = items[index]
        if isinstance(step, WaitStep):
            due = hours.within(now + step.duration, step.sending_hours, lead.time_zone)
            return Turn(index + 1, EnrollmentState.ACTIVE, due, send=send)
        if send is not None:  # two sends in a row: the second one next turn
            return Turn(index, EnrollmentState.ACTIVE, now, send=send)
        language = pick_language(step.templates, lead.language, default_language)
        if language is None:
            return Turn(index, EnrollmentState.FAILED, None, "NO_TEMPLATE_FOR_LANGUAGE")
        try:
            text = render(step.templates[language], context)
        except RenderFailed as exc:
            return Turn(index, EnrollmentState.FAILED, None, exc.code)
        if step.channel == "SMS" and too_long(text, max_segments):
            return Turn(index, EnrollmentState.FAILED, None, "TOO_MANY_SEGMENTS")
        subject = None
        if step.subjects:
            source = step.subjects.get(language) or next(iter(step.subjects.values()))
            try:
                subject = render(source, context).replace("\n", " ")
            except RenderFailed as exc:
                return Turn(index, EnrollmentState.FAILED, None, exc.code)
        template = None
        if step.template is not None:
            try:
                template = _template(step.template, context)
            except RenderFailed as exc:
                return Turn(index, EnrollmentState.FAILED, None, exc.code)
        send = Send(index, step.channel, language, text, subject, template)
        index += 1
    return Turn(index, EnrollmentState.COMPLETED, None, send=send)


def _template(template: WhatsAppTemplate, context: Mapping[str, Any]) -> TemplateRequest:
    """The step's WhatsApp template with its parameters filled in for this lead."""
    return TemplateRequest(
        template.name,
        template.language,
        tuple(render(source, context) for source in template.parameters),
        tuple(render(source, context) for source in template.header_parameters),
    )
