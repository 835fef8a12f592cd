"""Live updates over Server-Sent Events: a page names the fragments it shows (by element
id); the stream renders them again every second and pushes those that changed, as one JSON
event {id: html}. static/live.js swaps them in. The stream ends when the thing watched is
final, so a finished campaign holds no connection open."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse

from herald.web.common import templates

INTERVAL = 1.0  # seconds between two looks at the database
MAX_SECONDS = 3600  # a tab left open reconnects (EventSource does) rather than hold forever

# A render returns the fragments to show and whether the thing watched is final.
Render = Callable[[], tuple[dict[str, str], bool]]


def fragment(request: Request, name: str, context: dict[str, Any]) -> str:
    return templates.get_template(name).render({"request": request, **context})


def stream(request: Request, render: Render) -> StreamingResponse:
    return StreamingResponse(
        _events(request, render),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(request: Request, render: Render) -> AsyncIterator[str]:
    shown: dict[str, str] = {}
    yield "retry: 2000\n\n"
    for _ in range(int(MAX_SECONDS / INTERVAL)):
        fragments, final = await asyncio.to_thread(render)
        changed = {k: v for k, v in fragments.items() if shown.get(k) != v}
        if changed:
            shown.update(changed)
            yield f"data: {json.dumps(changed)}\n\n"
        if final:
            yield "event: end\ndata: {}\n\n"
            return
        if await request.is_disconnected():
            return
        await asyncio.sleep(INTERVAL)
