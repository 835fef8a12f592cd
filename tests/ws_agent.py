"""A test AI agent on the far side of Herald's WebSocket audio bridge (127.0.0.1): it greets,
answers the callee's key with speech, and when that speech has been played (its mark comes
back) ends the call with an outcome and the key as answer. It records every event it got."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

# 20 ms of a loud square wave in mu-law (0x80 and 0x00 are the two extremes).
FRAME = bytes([0x80] * 40 + [0x00] * 40) * 2


class AgentServer:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopping: asyncio.Future[None] | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/agent"

    def kinds(self) -> list[str]:
        return [e["event"] for e in self.events]

    def __enter__(self) -> AgentServer:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set_result, None)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stopping = self._loop.create_future()
        async with serve(self._talk, "127.0.0.1", 0) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stopping

    async def _talk(self, socket: ServerConnection) -> None:
        key = None
        async for frame in socket:
            event = json.loads(frame)
            self.events.append(event)
            kind = event["event"]
            if kind == "start":
                await self._say(socket, 10)  # 200 ms of "hello"
            elif kind == "dtmf" and key is None:
                key = event["dtmf"]["digit"]
                await self._say(socket, 25)  # half a second of "thank you"
                await socket.send(json.dumps({"event": "mark", "mark": {"name": "thanked"}}))
            elif kind == "mark" and event["mark"]["name"] == "thanked":
                end = {"event": "end", "outcome": "renew", "answers": {"renew": key}}
                await socket.send(json.dumps(end))

    @staticmethod
    async def _say(socket: ServerConnection, frames: int) -> None:
        payload = base64.b64encode(FRAME).decode()
        for _ in range(frames):
            await socket.send(json.dumps({"event": "media", "media": {"payload": payload}}))
