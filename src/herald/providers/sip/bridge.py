"""The audio bridge: the caller's own AI agent talks on the line over a WebSocket, in the
media-stream convention CPaaS providers use (JSON text frames, base64 mu-law 8 kHz audio).

Herald -> agent: `start` (call, numbers, the lead's variables, the media format), `media`
(20 ms of the callee's audio), `dtmf` (a key the callee pressed), `mark` (the agent's audio
up to its mark has been played), `stop` (the call ended).
Agent -> Herald: `media` (audio to play, queued), `mark` (tell me when played up to here),
`clear` (drop the queued audio: barge-in), `end` (hang up, with an outcome and answers).
A bridge that cannot be opened or drops ends the call (our BYE)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from typing import Any

import structlog
import websockets
from websockets.asyncio.client import ClientConnection

from herald.providers.sip import g711
from herald.providers.sip.rtp import RtpSession
from herald.providers.voice_base import AnsweredBy, CallRequest

log = structlog.get_logger(__name__)

CONNECT_TIMEOUT = 5.0


class Bridge:
    """Same face as conversation.Conversation: fed keys and audio by the media, run() until
    the agent ends the call (or the call ends under it)."""

    def __init__(self, request: CallRequest, url: str) -> None:
        self.request = request
        self.url = url
        self.answered_by: AnsweredBy | None = AnsweredBy.HUMAN  # the agent may say otherwise
        self.answers: dict[str, str] = {}
        self.outcome: str | None = None
        self._socket: ClientConnection | None = None
        self._codec = "PCMU"
        self._sending: set[asyncio.Task[None]] = set()
        self._stream = f"MS{request.call_id.hex}"
        # What the callee did before the agent's socket was open, sent right after `start`.
        self._early: list[dict[str, Any]] | None = []

    # -- from the media -----------------------------------------------------------------------

    def key_pressed(self, key: str) -> None:
        self._send({"event": "dtmf", "dtmf": {"digit": key}})

    def heard(self, payload: bytes) -> None:
        if self._codec != "PCMU":  # the agent always gets mu-law
            payload = g711.encode(g711.decode(payload, self._codec), "PCMU")
        self._send({"event": "media", "media": {"payload": base64.b64encode(payload).decode()}})

    # -- the call -----------------------------------------------------------------------------

    async def run(self, media: RtpSession) -> None:
        self._codec = media.codec
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                self._socket = await websockets.connect(self.url, open_timeout=None)
        except (OSError, TimeoutError, websockets.InvalidHandshake, websockets.InvalidURI):
            log.warning("bridge.unreachable", url=self.url, call_id=str(self.request.call_id))
            self.outcome, self.answered_by = None, AnsweredBy.HUMAN
            return
        try:
            await self._socket.send(json.dumps(self._start()))
            early, self._early = self._early or [], None
            for event in early:
                await self._socket.send(json.dumps(event))
            async for frame in self._socket:
                if await self._handle(media, frame):
                    return
        except websockets.ConnectionClosed:
            return
        finally:
            await self.close()

    def _start(self) -> dict[str, Any]:
        r = self.request
        return {
            "event": "start",
            "streamSid": self._stream,
            "start": {
                "callId": str(r.call_id),
                "from": r.from_number,
                "to": r.to_number,
                "variables": dict(r.variables),
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
        }

    async def _handle(self, media: RtpSession, frame: str | bytes) -> bool:
        """One event of the agent; True when it ends the call."""
        try:
            event = json.loads(frame)
            kind = event["event"]
        except (ValueError, KeyError, TypeError):
            return False  # not ours to guess: ignored
        if kind == "media":
            audio = base64.b64decode(event["media"]["payload"])
            if self._codec != "PCMU":
                audio = g711.encode(g711.decode(audio, "PCMU"), self._codec)
            media.play(audio)
        elif kind == "mark":
            name = str(event.get("mark", {}).get("name", ""))
            task = asyncio.get_running_loop().create_task(self._mark_when_played(media, name))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        elif kind == "clear":
            media.clear()
        elif kind == "end":
            await media.played()
            self._end(event)
            return True
        return False

    def _end(self, event: dict[str, Any]) -> None:
        outcome = event.get("outcome")
        if isinstance(outcome, str) and outcome in self.request.script.outcome_labels:
            self.outcome = outcome
        answers = event.get("answers") or {}
        if isinstance(answers, dict):
            self.answers = {str(k): str(v) for k, v in answers.items()}
        if event.get("answeredBy") == "machine":
            self.answered_by = AnsweredBy.MACHINE

    async def _mark_when_played(self, media: RtpSession, name: str) -> None:
        await media.played()
        self._send({"event": "mark", "mark": {"name": name}})

    def _send(self, event: dict[str, Any]) -> None:
        event.setdefault("streamSid", self._stream)
        socket = self._socket
        if socket is None or self._early is not None:
            if self._early is not None and event["event"] == "dtmf":
                self._early.append(event)  # keys matter; early audio does not
            return
        task = asyncio.get_running_loop().create_task(_send(socket, json.dumps(event)))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def close(self) -> None:
        socket, self._socket = self._socket, None
        if socket is None:
            return
        try:
            await socket.send(json.dumps({"event": "stop", "streamSid": self._stream}))
            await socket.close()
        except websockets.ConnectionClosed:
            pass


async def _send(socket: ClientConnection, text: str) -> None:
    with contextlib.suppress(websockets.ConnectionClosed):
        await socket.send(text)
