"""Agents (call scripts) and the phone numbers a workspace calls from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from herald.api.common import container, id_in_path
from herald.voice import agents
from herald.voice import public_ids as ids
from herald.voice.views import agent_view, number_view

from .auth import AgentsRead, AgentsWrite, NumbersRead, NumbersWrite
from .errors import responses
from .schemas import (
    VoiceAgentIn,
    VoiceAgentList,
    VoiceAgentOut,
    VoicePhoneNumberIn,
    VoicePhoneNumberList,
    VoicePhoneNumberOut,
)

router = APIRouter(prefix="/v1", tags=["voice"], responses=responses(401, 403))

Limit = Annotated[int, Query(ge=1, le=100)]
AgentId = Annotated[str, id_in_path("The agent's id.", ids.pattern(ids.AGENT))]


@router.post(
    "/agents",
    status_code=status.HTTP_201_CREATED,
    response_model=VoiceAgentOut,
    summary="Create Agent",
    responses=responses(422),
)
def create_agent(request: Request, body: VoiceAgentIn, principal: AgentsWrite) -> VoiceAgentOut:
    app = container(request)
    spec = agents.AgentSpec(
        name=body.name,
        greeting=body.greeting,
        message=body.message,
        language=body.language,
        voice=body.voice,
        questions=[q.model_dump() for q in body.questions],
        voicemail_action=body.voicemail.action,
        voicemail_message=body.voicemail.message,
        outcome_labels=list(body.outcome_labels),
        max_call_duration_seconds=body.max_call_duration_seconds,
        bridge=body.bridge.model_dump() if body.bridge else None,
    )
    with app.db.transaction() as session:
        agent = agents.create_agent(session, app.clock, principal.organization_id, spec)
        return VoiceAgentOut.model_validate(agent_view(agent))


@router.get("/agents", response_model=VoiceAgentList, summary="List Agents")
def list_agents(
    request: Request, principal: AgentsRead, limit: Limit = 50, cursor: str | None = None
) -> VoiceAgentList:
    before = ids.decode(ids.AGENT, cursor) if cursor else None
    with container(request).db.reading() as session:
        found = agents.list_agents(session, principal.organization_id, before, limit + 1)
        views = [VoiceAgentOut.model_validate(agent_view(a)) for a in found[:limit]]
    has_more = len(found) > limit
    return VoiceAgentList(
        data=views, has_more=has_more, next_cursor=views[-1].id if has_more else None
    )


@router.get(
    "/agents/{agent_id}",
    response_model=VoiceAgentOut,
    summary="Get Agent",
    responses=responses(404),
)
def get_agent(request: Request, agent_id: AgentId, principal: AgentsRead) -> VoiceAgentOut:
    id = ids.decode(ids.AGENT, agent_id)
    if id is None:
        raise agents.agent_not_found()
    with container(request).db.reading() as session:
        return VoiceAgentOut.model_validate(
            agent_view(agents.get_agent(session, principal.organization_id, id))
        )


@router.post(
    "/phone-numbers",
    status_code=status.HTTP_201_CREATED,
    response_model=VoicePhoneNumberOut,
    summary="Add Phone Number",
    description="Register a number this workspace may call from (its caller ID).",
    responses=responses(409, 422),
)
def add_phone_number(
    request: Request, body: VoicePhoneNumberIn, principal: NumbersWrite
) -> VoicePhoneNumberOut:
    app = container(request)
    with app.db.transaction() as session:
        number = agents.add_number(
            session, app.clock, principal.organization_id, body.phone_number, label=body.label
        )
        return VoicePhoneNumberOut.model_validate(number_view(number))


@router.get("/phone-numbers", response_model=VoicePhoneNumberList, summary="List Phone Numbers")
def list_phone_numbers(request: Request, principal: NumbersRead) -> VoicePhoneNumberList:
    with container(request).db.reading() as session:
        numbers = agents.list_numbers(session, principal.organization_id)
        return VoicePhoneNumberList(
            data=[VoicePhoneNumberOut.model_validate(number_view(n)) for n in numbers]
        )
