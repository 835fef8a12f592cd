"""Message templates: synced from each connection's business account, listed, and checked
before a message that uses one is accepted (exists, APPROVED, the right parameter count).
A template's category (MARKETING, UTILITY, AUTHENTICATION) chooses the message's price."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.orm import Session

from herald.errors import ValidationFailed
from herald.kit.clock import Clock
from herald.kit.ids import new_id
from herald.providers.whatsapp import graph
from herald.providers.whatsapp.config import WhatsAppConfig
from herald.whatsapp import repository
from herald.whatsapp.models import WhatsAppTemplate

_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass(frozen=True, slots=True)
class TemplateRequest:
    """`template` on a request: which template, in which language, with what values."""

    name: str
    language: str
    parameters: tuple[str, ...] = ()  # the body's, in order
    header_parameters: tuple[str, ...] = ()


def placeholders(text: str | None) -> int:
    return len(set(_PLACEHOLDER.findall(text or "")))


def sync(session: Session, clock: Clock, config: WhatsAppConfig, client: httpx.Client) -> int:
    """Replace the connection's templates with the account's; returns how many."""
    now = clock.now()
    rows = [_row(config.name, found, now) for found in graph.templates(client, config)]
    repository.replace_templates(session, config.name, rows)
    return len(rows)


def _row(connection_name: str, found: dict[str, Any], now: object) -> dict[str, Any]:
    texts = {c.get("type", "").upper(): c.get("text") for c in found.get("components", [])}
    header = texts.get("HEADER")
    return {
        "id": new_id(),
        "connection_name": connection_name,
        "name": found["name"],
        "language": found["language"],
        "status": str(found.get("status", "")).upper(),
        "category": str(found.get("category", "")).upper(),
        "body": texts.get("BODY") or "",
        "header": header,
        "body_parameters": placeholders(texts.get("BODY")),
        "header_parameters": placeholders(header),
        "synced_at": now,
    }


def list_templates(session: Session) -> list[WhatsAppTemplate]:
    return repository.list_templates(session)


def approved(
    session: Session, request: TemplateRequest, field: str = "template"
) -> WhatsAppTemplate:
    """The template a message may use, or a 422 naming what is wrong with the request."""
    found = repository.find_templates(session, request.name, request.language)
    if not found:
        raise ValidationFailed(
            {
                f"{field}.name": f"No template {request.name!r} in {request.language!r}; "
                "run `herald whatsapp templates sync` after creating it at Meta."
            }
        )
    template = found[0]
    if template.status != "APPROVED":
        raise ValidationFailed(
            {f"{field}.name": f"The template is {template.status}; only APPROVED ones send."}
        )
    errors = {}
    if len(request.parameters) != template.body_parameters:
        errors[f"{field}.parameters"] = (
            f"The template's body takes {template.body_parameters} parameter(s), "
            f"{len(request.parameters)} given."
        )
    if len(request.header_parameters) != template.header_parameters:
        errors[f"{field}.header_parameters"] = (
            f"The template's header takes {template.header_parameters} parameter(s), "
            f"{len(request.header_parameters)} given."
        )
    if errors:
        raise ValidationFailed(errors)
    return template


def render(template: WhatsAppTemplate, request: TemplateRequest) -> str:
    """The body as the person will read it: the message's content."""
    values = list(request.parameters)
    order = list(dict.fromkeys(_PLACEHOLDER.findall(template.body)))

    def fill(match: re.Match[str]) -> str:
        index = order.index(match.group(1))
        return values[index] if index < len(values) else match.group(0)

    return _PLACEHOLDER.sub(fill, template.body)


def payload(template: WhatsAppTemplate, request: TemplateRequest) -> dict[str, Any]:
    """The message's `payload`: what the provider sends, and the category it was priced by."""
    return {
        "template": {
            "name": request.name,
            "language": request.language,
            "parameters": list(request.parameters),
            "header_parameters": list(request.header_parameters),
            "category": template.category,
        }
    }
