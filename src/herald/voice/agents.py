"""Agents (the scripts calls run) and the numbers a tenant may call from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from herald.errors import Conflict, NotFound, ValidationFailed
from herald.kit.clock import Clock
from herald.kit.ids import new_id
from herald.routing.numbers import to_e164
from herald.voice import repository
from herald.voice.models import Agent, PhoneNumber

DEFAULT_OUTCOMES = ("interested", "not_interested", "callback_requested")
VOICEMAIL_ACTIONS = ("hang_up", "leave_message")


@dataclass(frozen=True, slots=True)
class AgentSpec:
    name: str
    greeting: str
    message: str
    language: str = "en-US"
    voice: str | None = None
    questions: list[dict[str, Any]] = field(default_factory=list)
    voicemail_action: str = "hang_up"
    voicemail_message: str | None = None
    outcome_labels: list[str] = field(default_factory=lambda: list(DEFAULT_OUTCOMES))
    max_call_duration_seconds: int = 300
    bridge: dict[str, Any] | None = None  # {"type": "websocket", "url": ...}


def agent_not_found() -> NotFound:
    return NotFound("The agent does not exist.")


def create_agent(
    session: Session, clock: Clock, organization_id: uuid.UUID, spec: AgentSpec
) -> Agent:
    if spec.voicemail_action not in VOICEMAIL_ACTIONS:
        raise ValidationFailed({"voicemail.action": "Use hang_up or leave_message."})
    if not 30 <= spec.max_call_duration_seconds <= 3600:
        raise ValidationFailed({"max_call_duration_seconds": "From 30 to 3600 seconds."})
    keys = [q["key"] for q in spec.questions]
    if len(set(keys)) != len(keys):
        raise ValidationFailed({"questions": "Each question needs its own key."})
    if len(set(spec.outcome_labels)) != len(spec.outcome_labels):
        raise ValidationFailed({"outcome_labels": "Outcome labels must be unique."})
    now = clock.now()
    agent = Agent(
        id=new_id(),
        organization_id=organization_id,
        name=spec.name,
        greeting=spec.greeting,
        message=spec.message,
        language=spec.language,
        voice=spec.voice,
        questions=spec.questions,
        voicemail={"action": spec.voicemail_action, "message": spec.voicemail_message},
        outcome_labels=list(spec.outcome_labels),
        max_call_duration_seconds=spec.max_call_duration_seconds,
        bridge=spec.bridge,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, agent)
    return agent


def get_agent(session: Session, organization_id: uuid.UUID, agent_id: uuid.UUID) -> Agent:
    agent = repository.get_agent(session, organization_id, agent_id)
    if agent is None:
        raise agent_not_found()
    return agent


def list_agents(
    session: Session, organization_id: uuid.UUID, before: uuid.UUID | None, limit: int
) -> list[Agent]:
    return repository.list_agents(session, organization_id, before, limit)


def add_number(
    session: Session,
    clock: Clock,
    organization_id: uuid.UUID,
    phone_number: str,
    *,
    label: str | None = None,
    provider_name: str | None = None,
) -> PhoneNumber:
    """Register a number the tenant may call from (its caller id)."""
    normalised = to_e164(phone_number, None)
    if normalised is None:
        raise ValidationFailed(
            {"phone_number": "Not a valid phone number in international (E.164) form."}
        )
    e164, region = normalised
    if provider_name not in (None, "VOICE_SIM") and not repository.get_trunk(
        session, provider_name
    ):
        raise ValidationFailed({"provider": f"No trunk named {provider_name}."})
    if repository.find_number(session, organization_id, e164) is not None:
        raise Conflict(f"The number {e164} is already registered.")
    number = PhoneNumber(
        id=new_id(),
        organization_id=organization_id,
        e164=e164,
        country_alpha2=region,
        label=label,
        provider_name=provider_name,
        created_at=clock.now(),
    )
    repository.add(session, number)
    return number


def list_numbers(session: Session, organization_id: uuid.UUID) -> list[PhoneNumber]:
    return repository.list_numbers(session, organization_id)


def caller_number(session: Session, organization_id: uuid.UUID, value: str) -> PhoneNumber:
    """The tenant's registered number written as `value` (in any usual form)."""
    normalised = to_e164(value, None)
    number = normalised and repository.find_number(session, organization_id, normalised[0])
    if not number:
        problem = "Not one of this workspace's phone numbers (see /v1/phone-numbers)."
        raise ValidationFailed({"from_phone_number": problem})
    return number
