"""An agent as the call script a provider runs on the line."""

from __future__ import annotations

from herald.providers.voice_base import CallScript, Question
from herald.voice.models import Agent


def script_of(agent: Agent) -> CallScript:
    voicemail = agent.voicemail or {}
    return CallScript(
        greeting=agent.greeting,
        message=agent.message,
        language=agent.language,
        voice=agent.voice,
        questions=tuple(
            Question(q["key"], q["prompt"], q["answer_type"], dict(q.get("choices") or {}))
            for q in agent.questions
        ),
        voicemail_action=voicemail.get("action", "hang_up"),
        voicemail_message=voicemail.get("message"),
        outcome_labels=tuple(agent.outcome_labels),
        bridge_url=(agent.bridge or {}).get("url"),
    )
