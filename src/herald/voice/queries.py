"""Reading voice resources, always within one tenant, in their public shape."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from herald.errors import NotFound
from herald.providers.voice_base import recording_path
from herald.voice import repository
from herald.voice.campaigns import campaign_not_found
from herald.voice.models import DIALABLE, CallCampaign
from herald.voice.views import call_view, campaign_view
from herald.voice.waiting import next_call


def campaign(
    session: Session, organization_id: uuid.UUID, campaign_id: uuid.UUID, now: datetime
) -> dict[str, Any]:
    found = repository.get_campaign(session, organization_id, campaign_id)
    if found is None:
        raise campaign_not_found()
    return campaign_views(session, [found], now)[0]


def campaign_views(
    session: Session, campaigns: list[CallCampaign], now: datetime
) -> list[dict[str, Any]]:
    ids = [c.id for c in campaigns]
    counts = repository.lead_counts(session, ids)
    in_flight = repository.in_flight_counts(session, ids)
    dialing = [c.id for c in campaigns if c.status in DIALABLE]
    waiting = repository.waiting_leads_by_zone(session, dialing)
    return [
        campaign_view(
            c, counts[c.id], in_flight.get(c.id, 0), next_call(c, waiting.get(c.id, []), now)
        )
        for c in campaigns
    ]


def list_campaigns(
    session: Session,
    organization_id: uuid.UUID,
    now: datetime,
    *,
    before: uuid.UUID | None,
    limit: int,
    status: str | None = None,
) -> list[dict[str, Any]]:
    found = repository.list_campaigns(
        session, organization_id, before=before, limit=limit, status=status
    )
    return campaign_views(session, found, now)


def calls_of_campaign(
    session: Session,
    organization_id: uuid.UUID,
    campaign_id: uuid.UUID,
    *,
    before: uuid.UUID | None,
    limit: int,
    status: str | None = None,
) -> list[dict[str, Any]]:
    if repository.get_campaign(session, organization_id, campaign_id) is None:
        raise campaign_not_found()
    rows = repository.list_calls(session, campaign_id, before=before, limit=limit, status=status)
    return [call_view(row) for row in rows]


def recording_of(
    session: Session, organization_id: uuid.UUID, call_id: uuid.UUID | None, data_dir: Path
) -> Path:
    """The WAV file of a recorded call of this workspace; NotFound otherwise (also when the
    file is not on this node's HERALD_DATA_DIR)."""
    call = repository.get_call(session, organization_id, call_id) if call_id else None
    if call is None or call.recording_seconds is None:
        raise NotFound("The call has no recording.")
    path = recording_path(data_dir, str(call.id))
    if not path.exists():
        raise NotFound("The call's recording is not on this server.")
    return path
