"""The commands that drive a Herald server over HTTP with an API key (HERALD_URL,
HERALD_API_KEY), built on herald.client; the other commands work on the database."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from .campaigns import campaign_app, messages_app
    from .outreach_campaigns import outreach_campaign_app
    from .voice_campaigns import voice_campaign_app

    app.add_typer(campaign_app, name="campaign")
    app.add_typer(messages_app, name="messages")
    app.add_typer(voice_campaign_app, name="voice-campaign")
    app.add_typer(outreach_campaign_app, name="outreach-campaign")
