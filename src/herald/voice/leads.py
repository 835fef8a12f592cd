"""Leads of a call campaign: the people to call, given inline or as a CSV file. Each number
is normalised to E.164; each lead gets the time zone its calling hours are counted in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from herald.errors import ValidationFailed
from herald.kit import csvfile
from herald.kit.ids import new_id
from herald.routing.numbers import CarrierDetector
from herald.voice.hours import zone, zones_of_number
from herald.voice.models import LeadStatus

MAX_LEADS_PER_REQUEST = 100_000
PHONE_COLUMNS = ("phone_number", "phone", "number", "to")
_FIELDS_REPORTED = 20  # at most this many bad leads are named in one 422


@dataclass(frozen=True, slots=True)
class LeadInput:
    phone_number: str
    name: str | None = None
    timezone: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PreparedLeads:
    rows: list[dict[str, Any]]
    duplicates: int  # numbers given more than once (or already in the campaign): kept once


def from_csv(raw: bytes) -> list[LeadInput]:
    """Leads from a CSV with a header row: a phone column (phone_number, phone, number or
    to), optional `name` and `timezone`; every other column becomes a lead variable."""
    header, lines = csvfile.records(
        csvfile.decode(raw, MAX_LEADS_PER_REQUEST), MAX_LEADS_PER_REQUEST
    )
    headers = [h.strip().lower() for h in header]
    phone = next((h for h in PHONE_COLUMNS if h in headers), None)
    if phone is None:
        names = ", ".join(PHONE_COLUMNS)
        raise ValidationFailed({"file": f"The CSV needs a column named one of: {names}."})
    leads = []
    for _, raw_row in lines:
        row = {k.strip().lower(): v.strip() for k, v in raw_row.items()}
        extra = {k: v for k, v in row.items() if k not in (phone, "name", "timezone") and k}
        leads.append(
            LeadInput(
                row.get(phone, ""), row.get("name") or None, row.get("timezone") or None, extra
            )
        )
    return leads


def prepare(
    leads: list[LeadInput],
    *,
    campaign_id: uuid.UUID,
    organization_id: uuid.UUID,
    detector: CarrierDetector,
    default_region: str | None,
    fallback_zone: str,
    known_numbers: set[str],
    now: datetime,
    field_prefix: str = "leads",
) -> PreparedLeads:
    """Rows ready for a bulk insert, or a 422 naming every lead that cannot be called."""
    if len(leads) > MAX_LEADS_PER_REQUEST:
        raise ValidationFailed({field_prefix: f"At most {MAX_LEADS_PER_REQUEST} leads at once."})
    errors: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    seen = set(known_numbers)
    duplicates = 0
    for index, lead in enumerate(leads):
        destination = detector.destination(lead.phone_number, default_region)
        if destination is None:
            errors[f"{field_prefix}.{index}.phone_number"] = "Not a valid phone number."
            continue
        if lead.timezone is not None and zone(lead.timezone) is None:
            errors[f"{field_prefix}.{index}.timezone"] = "Not a known IANA time zone."
            continue
        if destination.e164 in seen:
            duplicates += 1
            continue
        seen.add(destination.e164)
        tz = lead.timezone or zones_of_number(destination.e164, fallback_zone)
        rows.append(
            _row(
                lead,
                destination.e164,
                destination.country_alpha2,
                destination.carrier,
                tz,
                campaign_id,
                organization_id,
                now,
            )
        )
    if errors:
        raise ValidationFailed(dict(list(errors.items())[:_FIELDS_REPORTED]))
    return PreparedLeads(rows, duplicates)


def _row(
    lead: LeadInput,
    e164: str,
    country: str | None,
    carrier: str,
    tz: str,
    campaign_id: uuid.UUID,
    organization_id: uuid.UUID,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "campaign_id": campaign_id,
        "organization_id": organization_id,
        "e164": e164,
        "country_alpha2": country,
        "carrier": carrier,
        "name": lead.name,
        "timezone": tz,
        "variables": dict(lead.variables),
        "status": LeadStatus.QUEUED,
        "attempts": 0,
        "due_at": now,
        "outcome": None,
        "created_at": now,
        "updated_at": now,
    }
