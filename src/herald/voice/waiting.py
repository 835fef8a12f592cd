"""When a campaign will place its next call, and why none starts now: a campaign that
waits (for its start time, its leads' calling hours, their retry interval, or a resume)
says so instead of showing `active` and staying silent.

The dialer calls a waiting lead at the first moment that is past its due time, past the
campaign's start and inside the lead's calling hours; `next_call_at` is the earliest such
moment over the campaign's waiting leads (for a lead that may be called now, the moment it
became ready: a value that does not change from one read to the next). Leads share a zone
in groups, so one grouped query gives each group's earliest due time and the answer is
exact (a later due time in the same zones never opens earlier)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from herald.voice.hours import CallingHours, split_zones
from herald.voice.models import DIALABLE, CallCampaign, CampaignStatus

SCHEDULED = "scheduled"
OUTSIDE_CALLING_HOURS = "outside_calling_hours"
RETRY_INTERVAL = "retry_interval"


@dataclass(frozen=True, slots=True)
class NextCall:
    at: datetime | None = None  # null: no call comes without a change (a resume, new leads)
    reason: str | None = None  # null: a call may start now (when a line is free)


def next_call(
    campaign: CallCampaign, waiting: Sequence[tuple[str, datetime | None]], now: datetime
) -> NextCall:
    """`waiting`: (zones, earliest due time) of the campaign's queued leads, per zone group."""
    if campaign.status == CampaignStatus.PAUSED:
        return NextCall(None, campaign.pause_reason)
    if campaign.status not in DIALABLE or not waiting:
        return NextCall()
    return min(
        (_for_group(campaign, split_zones(zones), due or now, now) for zones, due in waiting),
        key=lambda found: found.at or now,
    )


def _for_group(campaign: CallCampaign, zones: list[str], due: datetime, now: datetime) -> NextCall:
    """A lead ready now reports the moment it became ready (in the past, so that the value
    stays the same from one read to the next); a waiting one, when it will be."""
    hours = CallingHours.from_config(campaign.calling_hours)
    start = campaign.start_at
    base = max(due, start) if start else due
    ready = hours.next_opening(base, zones) if hours else base
    if ready <= now:
        opening = hours.next_opening(now, zones) if hours else now
        if opening == now:
            return NextCall(ready, None)
        return NextCall(opening, OUTSIDE_CALLING_HOURS)  # ready, but the window closed since
    if start is not None and start > now:
        return NextCall(ready, SCHEDULED)
    closed = hours is not None and (ready > base or hours.next_opening(now, zones) > now)
    return NextCall(ready, OUTSIDE_CALLING_HOURS if closed else RETRY_INTERVAL)
