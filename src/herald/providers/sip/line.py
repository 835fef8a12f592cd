"""One call on a SIP trunk, from INVITE to hang-up, reported as CallEvents.

INVITE with our SDP offer (From and P-Asserted-Identity carry the caller number, X-Herald-
Call-Id our call id); 180/183 -> RINGING; 2xx -> ANSWERED (aiosipua ACKs), then the
conversation (conversation.py) until it ends, the callee's BYE, our hang-up, or the agent's
max_duration (then our BYE); no answer within the ring timeout -> our CANCEL -> NO_ANSWER;
486/600 -> BUSY; any other failure -> FAILED with the SIP code as error_code."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiosipua import OutgoingCall, SipDigestAuth, SipResponse, parse_sdp

from herald.kit.clock import Clock
from herald.providers.sip import sdp
from herald.providers.sip.bridge import Bridge
from herald.providers.sip.config import TrunkConfig
from herald.providers.sip.conversation import Conversation
from herald.providers.sip.journal import Entry, Journal
from herald.providers.sip.outcome import Judgement, Verdict, judge, retry_after_seconds
from herald.providers.sip.recording import Recording
from herald.providers.sip.rtp import Metronome, RtpSession, open_session
from herald.providers.sip.signalling import TrunkAgent
from herald.providers.sip.speech import Speech
from herald.providers.voice_base import (
    AnsweredBy,
    CallEvent,
    CallEventKind,
    CallRequest,
    EndReason,
    recording_path,
)

CALL_ID_HEADER = "X-Herald-Call-Id"
Report = Callable[[CallEvent], None]


class Line:
    def __init__(
        self,
        request: CallRequest,
        config: TrunkConfig,
        agent: TrunkAgent,
        speech: Speech,
        clock: Clock,
        report: Report,
        provider_name: str,
        journal: Journal,
        metronome: Metronome,
    ) -> None:
        self._journal = journal
        self._metronome = metronome
        self.request = request
        self._config = config
        self._agent = agent
        self._speech = speech
        self._clock = clock
        self._report = report
        self._provider = provider_name
        self.sip_call_id = ""
        # The trunk's first answer that settles whether the call was placed (place() waits).
        self.first_answer: asyncio.Future[Judgement | None] = (
            asyncio.get_running_loop().create_future()
        )
        self.retry_after: float = config.retry_after
        self._final: asyncio.Future[Judgement] = asyncio.get_running_loop().create_future()
        self._hang_up = asyncio.Event()
        self._remote_bye = asyncio.Event()
        self._rang = False
        self._call: OutgoingCall | None = None
        self._media: RtpSession | None = None
        self.conversation: Conversation | Bridge | None = None
        self.answered_mono: float | None = None
        self._entry = Entry(str(request.call_id), "", (config.host, config.port), "", 0)

    # -- from the provider --------------------------------------------------------------------

    def hang_up(self) -> None:
        self._hang_up.set()

    def callee_hung_up(self) -> None:
        self._remote_bye.set()

    @property
    def answered(self) -> bool:
        return self.answered_mono is not None

    # -- the call -----------------------------------------------------------------------------

    async def dial(self) -> None:
        """Send the INVITE; its answers arrive through on_response."""
        script = self.request.script
        self.conversation = (
            Bridge(self.request, script.bridge_url)
            if script.bridge_url
            else Conversation(script, self._speech)
        )
        self._media = await open_session(
            self._config.local_host, self.conversation.key_pressed, self.conversation.heard
        )
        offer = sdp.offer(self._config.local_host, self._media.local_port, int(time.time()))
        caller = f"sip:{self.request.from_number}@{self._config.domain}"
        auth = None
        if self._config.username and self._config.password is not None:
            auth = SipDigestAuth(self._config.username, self._config.password)
        self._call = self._agent.send_invite(
            caller,
            f"sip:{self.request.to_number}@{self._config.host}",
            (self._config.host, self._config.port),
            parse_sdp(offer),
            extra_headers={
                "P-Asserted-Identity": f"<{caller}>",
                CALL_ID_HEADER: str(self.request.call_id),
            },
            user_agent="Herald",
            auth=auth,
        )
        self.sip_call_id = self._call.call_id
        self._agent.hooks[self.sip_call_id] = self.on_response
        self._agent.gave_up[self.sip_call_id] = self.no_answer_at_all
        self._entry = Entry(
            str(self.request.call_id),
            self.sip_call_id,
            self._call.remote_addr,
            bytes(self._call.invite).decode(),
            self.request.max_duration_seconds,
        )
        self._journal.write(self._entry)

    def on_response(self, response: SipResponse) -> None:
        status = response.status_code
        challenged = status in (401, 407) and self._call is not None
        if challenged and self._call is not None and self._call._auth_attempts == 1:
            # aiosipua re-sent the INVITE with credentials: not an answer yet.
            self._entry.invite = bytes(self._call.invite).decode()
            self._journal.write(self._entry)
            return
        judgement = judge(status)
        if judgement is not None and judgement.verdict is Verdict.RETRY:
            self.retry_after = retry_after_seconds(
                response.headers.get_first("Retry-After"), self._config.retry_after
            )
        if not self.first_answer.done():
            self.first_answer.set_result(judgement)
        if judgement is None:
            return
        if judgement.verdict is Verdict.RINGING:
            self._ringing()
        elif not self._final.done():
            self._final.set_result(judgement)

    def no_answer_at_all(self) -> None:
        """Timer B: the INVITE, retransmitted for 64*T1, got no answer (RFC 3261 17.1.1.2
        reports it as a 408 timeout)."""
        if not self._final.done():
            self._final.set_result(Judgement(Verdict.NO_ANSWER, "SIP_408"))

    def _ringing(self) -> None:
        if not self._rang:
            self._rang = True
            self._emit(CallEventKind.RINGING)

    def discard(self) -> None:
        """Forget a call the trunk refused before it was placed."""
        self._journal.remove(self.request.call_id)
        self._agent.hooks.pop(self.sip_call_id, None)
        self._agent.gave_up.pop(self.sip_call_id, None)
        self._agent.remove_call(self.sip_call_id)
        if self._media is not None:
            self._media.close()

    async def run(self) -> None:
        """After place() accepted it: the call's whole course, its ENDED event last."""
        try:
            judgement = await self._until_answered()
            if judgement.verdict is Verdict.ANSWERED:
                await self._talk()
            elif judgement.verdict is Verdict.RETRY:
                # A 5xx after 100/180: the trunk cannot now, as when it says so at once.
                self._ended(EndReason.FAILED, judgement.error_code, retry_after=self.retry_after)
            else:
                self._ended(_reason(judgement.verdict), judgement.error_code)
        finally:
            self._agent.hooks.pop(self.sip_call_id, None)
            self._agent.gave_up.pop(self.sip_call_id, None)
            self._agent.remove_call(self.sip_call_id)
            if self._media is not None:
                self._media.close()
            self._journal.remove(self.request.call_id)

    async def _until_answered(self) -> Judgement:
        hang_up = asyncio.ensure_future(self._hang_up.wait())
        waits: set[asyncio.Future[Any]] = {self._final, hang_up}
        try:
            await asyncio.wait(
                waits,
                timeout=self._config.ring_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            hang_up.cancel()
        if self._final.done():
            return self._final.result()
        # Nobody answered in time, or we hang up while it rings: CANCEL (RFC 3261 9.1).
        assert self._call is not None
        self._agent.send_cancel(self._call)
        try:
            final = await asyncio.wait_for(asyncio.shield(self._final), timeout=5.0)
        except TimeoutError:
            return Judgement(Verdict.NO_ANSWER, "SIP_CANCELLED")
        if final.verdict is Verdict.ANSWERED:  # answered as we cancelled: hang up at once
            self._hang_up.set()
        return final

    async def _talk(self) -> None:
        assert self._call is not None and self._media is not None and self.conversation
        self.answered_mono = time.monotonic()
        self._remember_dialog()
        self._emit(CallEventKind.ANSWERED)
        answer = self._call.sdp_answer
        try:
            choice = sdp.choose_media(answer) if answer is not None else None
        except sdp.SdpError:
            choice = None
        if choice is not None and self.request.record and self._config.data_dir is not None:
            self._media.recording = Recording(choice.codec)
        if choice is not None:
            self._media.start(
                (choice.address, choice.port),
                choice.codec,
                choice.payload_type,
                choice.dtmf_payload_type,
                self._metronome,
            )
        talking = asyncio.ensure_future(self.conversation.run(self._media))
        stops = [asyncio.ensure_future(e.wait()) for e in (self._hang_up, self._remote_bye)]
        await asyncio.wait(
            {talking, *stops},
            timeout=self.request.max_duration_seconds,
            return_when=asyncio.FIRST_COMPLETED,
        )
        for task in (talking, *stops):
            task.cancel()
        await asyncio.wait({talking}, timeout=2.0)  # lets a bridge say `stop`
        if not self._remote_bye.is_set():
            self._call.hangup(self._agent)  # our BYE: done, cancelled or out of time
        talk = math.ceil(time.monotonic() - self.answered_mono)
        self._ended(
            EndReason.COMPLETED,
            None,
            talk_seconds=min(talk, self.request.max_duration_seconds),
            recording_seconds=await self._save_recording(),
        )

    async def _save_recording(self) -> int | None:
        recording = self._media.recording if self._media else None
        if recording is None or self._config.data_dir is None:
            return None
        path = recording_path(self._config.data_dir, str(self.request.call_id))
        await asyncio.get_running_loop().run_in_executor(None, recording.write, path)
        return recording.seconds

    def _remember_dialog(self) -> None:
        """Before ANSWERED is reported: what a restarted process needs to send our BYE."""
        assert self._call is not None
        dialog = self._call.dialog
        entry = self._entry
        entry.answered_at = time.time()
        entry.local_tag, entry.remote_tag = dialog.local_tag, dialog.remote_tag
        entry.local_uri, entry.remote_uri = dialog.local_uri, dialog.remote_uri
        entry.remote_target, entry.route_set = dialog.remote_target, list(dialog.route_set)
        entry.local_cseq = dialog.local_cseq
        self._journal.write(entry)

    # -- events -------------------------------------------------------------------------------

    def _ended(
        self,
        reason: EndReason,
        error_code: str | None,
        talk_seconds: int = 0,
        recording_seconds: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        conversation = self.conversation
        answered_by = None
        outcome, answers = None, {}
        if reason is EndReason.COMPLETED and conversation is not None:
            answered_by = conversation.answered_by or AnsweredBy.HUMAN
            outcome, answers = conversation.outcome, dict(conversation.answers)
        self._emit(
            CallEventKind.ENDED,
            answered_by=answered_by,
            end_reason=reason,
            talk_seconds=talk_seconds,
            outcome=outcome,
            answers=answers,
            error_code=error_code,
            recording_seconds=recording_seconds,
            retry_after_seconds=retry_after,
        )

    def _emit(self, kind: CallEventKind, **fields: object) -> None:
        event = CallEvent(
            self._provider,
            self.request.call_id,
            self.sip_call_id,
            kind,
            self._now(),
            **fields,  # type: ignore[arg-type]
        )
        self._report(event)

    def _now(self) -> datetime:
        return self._clock.now()


def _reason(verdict: Verdict) -> EndReason:
    return {
        Verdict.BUSY: EndReason.BUSY,
        Verdict.NO_ANSWER: EndReason.NO_ANSWER,
    }.get(verdict, EndReason.FAILED)
