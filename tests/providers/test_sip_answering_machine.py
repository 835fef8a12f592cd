"""The answering-machine heuristic: long uninterrupted speech at the start is a machine; a
short "Hello?" (or silence) is a person."""

from __future__ import annotations

import math
from array import array

from herald.providers.sip import g711
from herald.providers.sip.conversation import Conversation, classify
from herald.providers.sip.speech import Speech
from herald.providers.voice_base import AnsweredBy, CallScript

FRAME = 160


def frames(seconds: float, loud: bool) -> list[bytes]:
    amplitude = 6000 if loud else 0
    tone = array("h", (int(amplitude * math.sin(i / 3)) for i in range(FRAME)))
    return [g711.encode(tone, "PCMU")] * round(seconds / 0.02)


def heard(*parts: tuple[float, bool]) -> Conversation:
    conversation = Conversation(CallScript("Hi", "Message"), Speech(None))
    for seconds, loud in parts:
        for frame in frames(seconds, loud):
            conversation.heard(frame)
    return conversation


def test_a_greeting_of_several_seconds_is_a_machine() -> None:
    # Short breaths between words (under 200 ms) do not break the stretch of speech.
    spoken = heard((1.2, True), (0.1, False), (1.2, True), (0.5, False))
    assert classify(spoken.longest_speech) is AnsweredBy.MACHINE


def test_a_short_hello_then_waiting_is_a_person() -> None:
    spoken = heard((0.6, True), (2.4, False))
    assert classify(spoken.longest_speech) is AnsweredBy.HUMAN


def test_silence_is_a_person_and_pauses_split_speech() -> None:
    assert classify(heard((3.0, False)).longest_speech) is AnsweredBy.HUMAN
    split = heard((1.0, True), (0.4, False), (1.0, True))
    assert classify(split.longest_speech) is AnsweredBy.HUMAN
