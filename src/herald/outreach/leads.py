"""Leads: importing them (JSON rows or a CSV file), reading them, and their conversation."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from herald.errors import NotFound, ValidationFailed
from herald.kit import csvfile
from herald.kit.clock import Clock
from herald.kit.ids import new_id
from herald.messaging import queries as messaging
from herald.outreach import repository
from herald.outreach.hours import is_time_zone, time_zone_of_number
from herald.outreach.models import AccountGroup, Direction, Lead
from herald.outreach.workflow import normalise_language
from herald.routing.numbers import to_e164

MAX_IMPORT = 10_000
CONVERSATION_LIMIT = 500
_HEADER_NOISE = re.compile(r"[^a-z0-9]")
# CSV headers we understand, by their letters and digits only ("First Name" -> "firstname").
_COLUMNS = {
    "phone": "phone",
    "phonenumber": "phone",
    "mobile": "phone",
    "number": "phone",
    "firstname": "first_name",
    "lastname": "last_name",
    "email": "email",
    "company": "company",
    "language": "language",
    "lang": "language",
    "timezone": "time_zone",
    "tz": "time_zone",
}


@dataclass(frozen=True, slots=True)
class LeadInput:
    phone: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    company: str | None = None
    language: str | None = None
    time_zone: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rejected:
    index: int  # position in the request (0-based), or the CSV line number
    phone: str
    reason: str


@dataclass(slots=True)
class ImportResult:
    created: int = 0
    updated: int = 0
    lead_ids: list[uuid.UUID] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ConversationItem:
    id: uuid.UUID
    direction: str
    content: str
    at: datetime
    campaign_id: uuid.UUID | None
    step_index: int | None
    language: str | None
    message_id: uuid.UUID | None
    status: str  # the message's delivery status; RECEIVED for a reply


def import_leads(
    session: Session,
    clock: Clock,
    group: AccountGroup,
    rows: list[tuple[int, LeadInput]],
    default_country: str | None,
) -> ImportResult:
    """Create or update (by phone number) the leads of a group; a bad row is reported and
    skipped, the others are kept."""
    if len(rows) > MAX_IMPORT:
        raise ValidationFailed({"leads": f"At most {MAX_IMPORT} leads per import."})
    result = ImportResult()
    clean: dict[str, dict[str, Any]] = {}
    for index, row in rows:
        try:
            values = _clean(row, default_country)
        except ValueError as exc:
            result.rejected.append(Rejected(index, row.phone, str(exc)))
            continue
        previous = clean.get(values["phone"])
        clean[values["phone"]] = _merge(previous, values) if previous else values
    now = clock.now()
    existing = repository.leads_by_phone(session, group.id, list(clean))
    inserts, updates = [], []
    for phone, values in clean.items():
        lead = existing.get(phone)
        if lead is None:
            inserts.append(_new_row(group, values, now))
        else:
            updates.append(_update_row(lead, values, now))
    repository.insert_leads(session, inserts)
    repository.update_leads(session, updates)
    result.created, result.updated = len(inserts), len(updates)
    ids = {row["phone"]: row["id"] for row in inserts} | {
        p: lead.id for p, lead in existing.items()
    }
    result.lead_ids = [ids[phone] for phone in clean]
    return result


def _clean(row: LeadInput, default_country: str | None) -> dict[str, Any]:
    normalised = to_e164(row.phone or "", default_country)
    if normalised is None:
        raise ValueError("Not a valid phone number (give +country code, or defaultCountry).")
    phone = normalised[0]
    language = normalise_language(row.language) if row.language else None
    if row.time_zone and not is_time_zone(row.time_zone):
        raise ValueError(f"Unknown time zone {row.time_zone!r} (use an IANA name).")
    return {
        "phone": phone,
        "first_name": _text(row.first_name, 100),
        "last_name": _text(row.last_name, 100),
        "email": _email(row.email),
        "company": _text(row.company, 200),
        "language": language,
        "time_zone": row.time_zone,
        "fields": dict(row.fields),
    }


def _email(value: str | None) -> str | None:
    """The address as email-validator normalises it (syntax only: no DNS lookup)."""
    text = _text(value, 254)
    if text is None:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"Not a valid email address: {exc}") from exc


def _text(value: str | None, limit: int) -> str | None:
    value = (value or "").strip()
    if len(value) > limit:
        raise ValueError(f"A value is longer than {limit} characters.")
    return value or None


def _merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    merged = {k: v for k, v in new.items() if v is not None}
    return {**old, **merged, "fields": {**old["fields"], **new["fields"]}}


def _new_row(group: AccountGroup, values: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        **values,
        "id": new_id(),
        "organization_id": group.organization_id,
        "account_group_id": group.id,
        "time_zone": values["time_zone"] or time_zone_of_number(values["phone"]),
        "created_at": now,
        "updated_at": now,
    }


def _update_row(lead: Lead, values: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What was given replaces what was known; what was left out stays."""
    row = {f"b_{column}": getattr(lead, column) for column in repository.LEAD_UPDATE_COLUMNS}
    for column in repository.LEAD_UPDATE_COLUMNS:
        if values.get(column) is not None and column != "fields":
            row[f"b_{column}"] = values[column]
    row["b_fields"] = {**lead.fields, **values["fields"]}
    row["b_updated_at"] = now
    row["b_id"] = lead.id
    return row


def parse_csv(raw: bytes) -> list[tuple[int, LeadInput]]:
    """Rows of a CSV file with a header line; unknown columns become custom fields."""
    header, lines = csvfile.read(raw, MAX_IMPORT)
    known = {h: _COLUMNS.get(_HEADER_NOISE.sub("", h.lower())) for h in header}
    if "phone" not in known.values():
        raise ValidationFailed({"csv": "The header line must name a 'phone' column."})
    rows: list[tuple[int, LeadInput]] = []
    for line, record in lines:
        values: dict[str, Any] = {"fields": {}}
        for header_name, cell in record.items():
            target = known.get(header_name)
            if target:
                values[target] = cell.strip() or None
            elif cell.strip():
                values["fields"][header_name.strip()] = cell.strip()
        rows.append((line, LeadInput(phone=values.pop("phone", None) or "", **values)))
    return rows


def get_lead(session: Session, group: AccountGroup, lead_id: uuid.UUID) -> Lead:
    lead = repository.get_lead(session, group.id, lead_id)
    if lead is None:
        raise NotFound("The requested lead could not be found.")
    return lead


def list_leads(
    session: Session, group: AccountGroup, *, before: uuid.UUID | None, limit: int
) -> list[Lead]:
    return repository.list_leads(session, group.id, before=before, limit=limit)


def conversation(session: Session, lead: Lead) -> list[ConversationItem]:
    """What was sent to the lead and what the lead wrote, oldest first."""
    items = []
    for entry in repository.conversation(session, lead.id, limit=CONVERSATION_LIMIT):
        status = "RECEIVED"
        if entry.direction == Direction.OUTBOUND and entry.message_id is not None:
            status = messaging.get_message(session, lead.organization_id, entry.message_id).status
        items.append(
            ConversationItem(
                entry.id,
                entry.direction,
                entry.content,
                entry.created_at,
                entry.campaign_id,
                entry.step_index,
                entry.language,
                entry.message_id,
                status,
            )
        )
    return items
