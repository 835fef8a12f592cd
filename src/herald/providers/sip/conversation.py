"""What the scripted agent does once a call is answered: listen for who answered, then say
its greeting, message and questions, and take the callee's key presses (RFC 4733) as the
answers of `dtmf` questions.

Answering-machine heuristic (documented in README): during the first `LISTEN` seconds of the
callee's audio we measure how long the callee speaks without a pause. A person says a short
"Hello?" and waits (or says nothing); a machine plays a greeting of several seconds. Speech
that runs on for `MACHINE_SPEECH` seconds or more means a machine; anything else, a person.
A machine gets the voicemail message (voicemail_action "leave_message") or our hang-up
("hang_up")."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from herald.providers.sip import g711
from herald.providers.sip.rtp import PTIME, RtpSession
from herald.providers.sip.speech import Speech, voice_of
from herald.providers.voice_base import AnsweredBy, CallScript

LISTEN = 3.5  # seconds we listen before speaking
MACHINE_SPEECH = 1.8  # uninterrupted speech this long: an answering machine
SPEECH_LEVEL = 300  # mean absolute sample value above which a 20 ms frame is speech
PAUSE_FRAMES = 10  # 200 ms below it ends a stretch of speech
KEY_TIMEOUT = 8.0  # seconds to wait for the answer of a dtmf question


class Conversation:
    def __init__(self, script: CallScript, speech: Speech) -> None:
        self.script = script
        self._speech = speech
        self._voice = voice_of(script.language, script.voice)
        self._keys: asyncio.Queue[str] = asyncio.Queue()
        self.answered_by: AnsweredBy | None = None
        self.answers: dict[str, str] = {}
        self.outcome: str | None = None
        self._codec = "PCMU"
        # Answering-machine detection, fed 20 ms at a time.
        self._frames = 0
        self._run = 0  # frames of the current stretch of speech (pauses under 200 ms kept)
        self._quiet = 0
        self.longest_speech = 0.0

    # -- from the media -----------------------------------------------------------------------

    def key_pressed(self, key: str) -> None:
        self._keys.put_nowait(key)

    def heard(self, payload: bytes) -> None:
        if self.answered_by is not None:
            return  # decided: the rest of the call costs nothing here
        self._frames += 1
        levels = g711.LEVEL[self._codec]
        level = sum(map(levels.__getitem__, payload)) / max(1, len(payload))
        if level >= SPEECH_LEVEL:
            self._run += 1 + self._quiet if self._run else 1
            self._quiet = 0
        elif self._run:
            self._quiet += 1
            if self._quiet >= PAUSE_FRAMES:
                self._run, self._quiet = 0, 0
        self.longest_speech = max(self.longest_speech, self._run * PTIME)

    # -- the script ---------------------------------------------------------------------------

    async def run(self, media: RtpSession) -> None:
        self._codec = media.codec
        await self._listen()
        self.answered_by = classify(self.longest_speech)
        if self.answered_by is AnsweredBy.MACHINE:
            self.outcome = "voicemail" if "voicemail" in self.script.outcome_labels else None
            if self.script.voicemail_action == "leave_message":
                await self._say(media, self.script.voicemail_message or self.script.message)
            return
        await self._say(media, self.script.greeting)
        await self._say(media, self.script.message)
        for question in self.script.questions:
            await self._say(media, question.prompt)
            if question.answer_type == "dtmf":
                key = await self._key(question.choices)
                if key is not None:
                    self.answers[question.key] = key
        self.outcome = outcome_of(self.answers, self.script)

    async def _listen(self) -> None:
        """Until LISTEN seconds of the callee's audio were heard (counted in media time, so a
        late stream is judged on all of it), a machine is recognised, or LISTEN + 2 s have
        passed by the clock (no audio at all: a person who says nothing)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LISTEN + 2.0
        while loop.time() < deadline:
            if self._frames * PTIME >= LISTEN or self.longest_speech >= MACHINE_SPEECH:
                return
            await asyncio.sleep(PTIME)

    async def _say(self, media: RtpSession, text: str) -> None:
        if not text:
            return
        # Rendering and encoding run off the loop, which must keep every call's clock.
        audio = await asyncio.get_running_loop().run_in_executor(
            None, self._speech.g711, text, self._voice, media.codec
        )
        media.play(audio)
        await media.played()

    async def _key(self, choices: Mapping[str, str]) -> str | None:
        """The next key pressed (one of the choices, when the question has some)."""
        try:
            async with asyncio.timeout(KEY_TIMEOUT):
                while True:
                    key = await self._keys.get()
                    if not choices or key in choices:
                        return key
        except TimeoutError:
            return None


def classify(longest_speech: float) -> AnsweredBy:
    return AnsweredBy.MACHINE if longest_speech >= MACHINE_SPEECH else AnsweredBy.HUMAN


def outcome_of(answers: Mapping[str, str], script: CallScript) -> str | None:
    """The outcome label a choice's meaning names (the last answered question's that does),
    else None: a scripted agent does not guess."""
    labels = set(script.outcome_labels)
    found = None
    for question in script.questions:
        meaning = question.choices.get(answers.get(question.key, ""))
        if meaning in labels:
            found = meaning
    return found
