"""The one-click unsubscribe link of our emails (RFC 8058). A mail client POSTs
`List-Unsubscribe=One-Click` to it; a person following the link in a browser gets a page
with a button that does the same (a GET never unsubscribes: link scanners follow links)."""

from __future__ import annotations

import html
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from herald.api.common import container
from herald.outreach import email_events

router = APIRouter(prefix="/email", include_in_schema=False)

_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Unsubscribe</title></head>
<body><p>{text}</p>{form}</body></html>"""


@router.get("/unsubscribe/{message_id}/{token}")
def unsubscribe_page(message_id: str, token: str) -> HTMLResponse:
    form = (
        '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    text = html.escape("Stop receiving these emails?")
    return HTMLResponse(_PAGE.format(text=text, form=form))


@router.post("/unsubscribe/{message_id}/{token}")
def unsubscribe(request: Request, message_id: str, token: str) -> HTMLResponse:
    try:
        id = uuid.UUID(message_id)
    except ValueError:
        return _unknown()
    app = container(request)
    with app.db.transaction() as session:
        done = email_events.unsubscribe(session, app.clock, id, token)
    if not done:
        return _unknown()
    return HTMLResponse(_PAGE.format(text="You are unsubscribed.", form=""))


def _unknown() -> HTMLResponse:
    return HTMLResponse(_PAGE.format(text="This link is not valid.", form=""), status_code=404)
