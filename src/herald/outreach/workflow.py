"""The shape of a workflow: an ordered list of steps, each a send (a channel and a template
per language) or a wait (a duration, optionally ending within sending hours in the lead's
time zone). Stored as JSON on the campaign, exactly as the workflow endpoint shows it."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from herald.errors import ValidationFailed
from herald.messaging.encoding import too_long
from herald.outreach.templates import static_text, template_error

MAX_STEPS = 20
MAX_WAIT = timedelta(days=90)
AVAILABLE_CHANNELS = ("SMS", "EMAIL", "WHATSAPP")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


def normalise_language(value: str) -> str:
    """'pt-BR' -> 'pt-br': language tags compare without case."""
    code = value.strip().replace("_", "-").lower()
    if not _LANGUAGE.match(code):
        raise ValueError("A language is a code such as 'en', 'pt' or 'pt-BR'.")
    return code


Language = Annotated[str, AfterValidator(normalise_language)]


class Shape(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class SendingHours(Shape):
    """A daily window in the lead's local time; `days` are ISO weekdays (1 = Monday)."""

    start: time
    end: time
    days: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5, 6, 7])

    @field_validator("days")
    @classmethod
    def _weekdays(cls, days: list[int]) -> list[int]:
        if not days or any(d < 1 or d > 7 for d in days):
            raise ValueError("days are ISO weekdays from 1 (Monday) to 7 (Sunday).")
        return sorted(set(days))

    @model_validator(mode="after")
    def _ordered(self) -> SendingHours:
        if self.start >= self.end:
            raise ValueError("The start must be before the end (a window cannot cross midnight).")
        return self


class WhatsAppTemplate(Shape):
    """A WHATSAPP step's message template (Meta's), sent when the lead's 24-hour window is
    closed. Parameters are step templates too: `{{ lead.firstName }}` fills them per lead."""

    name: str = Field(min_length=1, max_length=512)
    language: str = Field(min_length=2, max_length=16)  # Meta's code: en_US, pt_BR
    parameters: list[str] = Field(default_factory=list, max_length=100)
    header_parameters: list[str] = Field(default_factory=list, max_length=10)

    @field_validator("parameters", "header_parameters")
    @classmethod
    def _compiles(cls, sources: list[str]) -> list[str]:
        for index, source in enumerate(sources):
            problem = template_error(source)
            if problem:
                raise ValueError(f"Parameter {index} does not compile: {problem}")
        return sources


class SendStep(Shape):
    """A send on a channel: SMS (the default), EMAIL (the templates are the plain-text
    body, also sent as an HTML alternative; `subjects` per language, followed-up emails
    reuse the first one's subject as "Re: ..."), WHATSAPP (the templates are a free-form
    text, sent inside the lead's 24-hour window; `template` is sent outside it)."""

    type: Literal["send"]
    channel: str = "SMS"
    templates: dict[Language, str] = Field(min_length=1)
    # Shown only on the steps that have them (an SMS step reads as it always did).
    subjects: dict[Language, str] | None = Field(default=None, exclude_if=lambda v: v is None)
    template: WhatsAppTemplate | None = Field(default=None, exclude_if=lambda v: v is None)

    @field_validator("channel")
    @classmethod
    def _channel(cls, channel: str) -> str:
        channel = channel.upper()
        if channel not in AVAILABLE_CHANNELS:
            raise ValueError(f"Unknown channel; available: {', '.join(AVAILABLE_CHANNELS)}.")
        return channel

    @field_validator("templates")
    @classmethod
    def _templates(cls, templates: dict[str, str]) -> dict[str, str]:
        for language, source in templates.items():
            if not source.strip():
                raise ValueError(f"The '{language}' template is empty.")
            if len(source) > 5000:
                raise ValueError(f"The '{language}' template is longer than 5000 characters.")
            problem = template_error(source)
            if problem:
                raise ValueError(f"The '{language}' template does not compile: {problem}")
        return templates

    @field_validator("subjects")
    @classmethod
    def _subjects(cls, subjects: dict[str, str] | None) -> dict[str, str] | None:
        for language, source in (subjects or {}).items():
            if not source.strip() or len(source) > 500:
                raise ValueError(f"The '{language}' subject is empty or over 500 characters.")
            problem = template_error(source)
            if problem:
                raise ValueError(f"The '{language}' subject does not compile: {problem}")
        return subjects

    @model_validator(mode="after")
    def _channel_extras(self) -> SendStep:
        if self.channel != "EMAIL" and self.subjects:
            raise ValueError("Only EMAIL steps have subjects.")
        if self.channel != "WHATSAPP" and self.template is not None:
            raise ValueError("Only WHATSAPP steps have a template.")
        return self


class WaitStep(Shape):
    type: Literal["wait"]
    duration: timedelta
    sending_hours: SendingHours | None = None

    @field_validator("duration")
    @classmethod
    def _duration(cls, duration: timedelta) -> timedelta:
        if duration < timedelta(0) or duration > MAX_WAIT:
            raise ValueError("A wait lasts from 0 to 90 days (ISO 8601, e.g. 'P2D', 'PT4H').")
        return duration


Step = Annotated[SendStep | WaitStep, Field(discriminator="type")]


class Workflow(Shape):
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)

    @model_validator(mode="after")
    def _sends_something(self) -> Workflow:
        if not any(isinstance(step, SendStep) for step in self.steps):
            raise ValueError("A workflow needs at least one send step.")
        first_email = next(
            (s for s in self.steps if isinstance(s, SendStep) and s.channel == "EMAIL"), None
        )
        if first_email is not None and not first_email.subjects:
            raise ValueError("The first EMAIL step needs subjects (one per language).")
        return self

    def uses(self, channel: str) -> bool:
        return any(isinstance(s, SendStep) and s.channel == channel for s in self.steps)

    def stored(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def too_long(self, max_segments: int) -> dict[str, str]:
        """SMS templates whose text alone, before any lead field, is already too long."""
        found = {}
        for index, step in enumerate(self.steps):
            if not isinstance(step, SendStep) or step.channel != "SMS":
                continue
            for language, source in step.templates.items():
                problem = too_long(static_text(source), max_segments)
                if problem:
                    found[f"workflow.steps.{index}.templates.{language}"] = problem
        return found

    def whatsapp_templates(self) -> list[tuple[int, WhatsAppTemplate]]:
        """The WHATSAPP steps' message templates, by step index."""
        return [
            (index, step.template)
            for index, step in enumerate(self.steps)
            if isinstance(step, SendStep) and step.template is not None
        ]

    def missing_language(self, language: str) -> int | None:
        """The index of the first send step without a template for `language`."""
        for index, step in enumerate(self.steps):
            if isinstance(step, SendStep) and language not in step.templates:
                return index
        return None


EMPTY: dict[str, Any] = {"steps": []}


def load(stored: dict[str, Any]) -> Workflow | None:
    """The workflow stored on a campaign; None while none was set."""
    if not stored.get("steps"):
        return None
    return Workflow.model_validate(stored)


def parse(raw: Any) -> Workflow:
    """Validate a workflow given by a caller; errors name the offending step."""
    try:
        return Workflow.model_validate(raw)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for error in exc.errors():
            loc = ".".join(str(p) for p in error["loc"] if p not in ("send", "wait"))
            fields.setdefault(loc or "workflow", str(error["msg"]).removeprefix("Value error, "))
        raise ValidationFailed(fields, "The workflow is not valid: see the fields.") from exc
