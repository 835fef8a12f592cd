"""After a restart: end the calls the previous process of this node left on the line, from
its journal. An answered call gets our BYE (its dialog was journaled before ANSWERED was
reported) and ends answered, so its lead is never called again; one still ringing gets a
CANCEL (from the journaled INVITE) and ends unanswered. A call without an entry never
reached the trunk, or its end was already reported: the provider knows nothing of it."""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from datetime import datetime

from aiosipua import Dialog, DialogState, OutgoingCall, SipMessage, SipRequest

from herald.providers.sip.journal import Entry
from herald.providers.sip.signalling import TrunkAgent
from herald.providers.voice_base import (
    AnsweredBy,
    CallEvent,
    CallEventKind,
    CallFate,
    EndReason,
    FateKind,
)

ANSWER_TIMEOUT = 2.0
RECOVERED = "SIP_RECOVERED"  # error_code of a ringing call a restart cancelled


async def end_left_call(agent: TrunkAgent, entry: Entry) -> int | None:
    """Send the BYE (answered) or CANCEL (ringing); the trunk's final answer, if any:
    200 (it was up, now ended), 481 (it had ended already)."""
    if entry.answered_at is not None:
        dialog = Dialog(
            call_id=entry.sip_call_id,
            local_tag=entry.local_tag,
            remote_tag=entry.remote_tag,
            local_uri=entry.local_uri,
            remote_uri=entry.remote_uri,
            remote_target=entry.remote_target,
            route_set=list(entry.route_set),
            local_cseq=entry.local_cseq,
            state=DialogState.CONFIRMED,
        )
        waiting = agent.final_answer(entry.sip_call_id, "BYE", ANSWER_TIMEOUT)
        agent.send_bye(dialog, entry.remote_addr)
        return await waiting
    invite = SipMessage.parse(entry.invite)
    if not isinstance(invite, SipRequest):
        raise ValueError("journaled INVITE is not a request")
    dialog = Dialog(call_id=entry.sip_call_id, state=DialogState.EARLY)
    call = OutgoingCall(dialog=dialog, invite=invite, remote_addr=entry.remote_addr)
    # The INVITE's own final answer (487) follows the CANCEL's 200; it is ACKed as it comes.
    cancelled = asyncio.ensure_future(
        agent.final_answer(entry.sip_call_id, "INVITE", ANSWER_TIMEOUT)
    )
    waiting = agent.final_answer(entry.sip_call_id, "CANCEL", ANSWER_TIMEOUT)
    agent.send_cancel(call)
    answer = await waiting
    await cancelled
    return answer


def fate_of(provider: str, entry: Entry, now: datetime) -> CallFate:
    call_id = uuid.UUID(entry.call_id)

    def event(kind: CallEventKind, **fields: object) -> CallEvent:
        return CallEvent(provider, call_id, entry.sip_call_id, kind, now, **fields)  # type: ignore[arg-type]

    if entry.answered_at is None:
        ended = event(CallEventKind.ENDED, end_reason=EndReason.NO_ANSWER, error_code=RECOVERED)
        return CallFate(call_id, FateKind.ENDED, (ended,))
    # How long it lasted is known only up to now: billed to now, at most the agent's limit.
    talk = min(math.ceil(time.time() - entry.answered_at), entry.max_duration_seconds)
    answered = event(CallEventKind.ANSWERED, answered_by=AnsweredBy.HUMAN)
    ended = event(
        CallEventKind.ENDED,
        answered_by=AnsweredBy.HUMAN,
        end_reason=EndReason.COMPLETED,
        talk_seconds=max(talk, 0),
    )
    return CallFate(call_id, FateKind.ENDED, (answered, ended))
