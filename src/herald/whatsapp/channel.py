"""What the WhatsApp channel asks of a message before it is queued: a free-form text only
inside the person's 24-hour customer-service window (opened by their last message to the
business number), a template otherwise; the price by category (a template's, or SERVICE
for a free-form reply)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from herald.errors import ValidationFailed
from herald.inbound import repository as inbound
from herald.whatsapp import templates
from herald.whatsapp.templates import TemplateRequest

CHANNEL = "WHATSAPP"
WINDOW = timedelta(hours=24)
WINDOW_CLOSED = "WHATSAPP_WINDOW_CLOSED"  # a message's error_code
SERVICE = "SERVICE"  # the category of a free-form reply inside the window
MAX_TEXT = 4096  # characters in a text message's body


@dataclass(frozen=True, slots=True)
class Prepared:
    content: str  # the text, or the template's body as the person reads it
    payload: dict[str, Any] | None  # the template, for the provider
    price_channel: str  # the price list's channel: WHATSAPP_MARKETING, ...

    @property
    def free_form(self) -> bool:
        return self.payload is None


def price_channel(category: str) -> str:
    return f"{CHANNEL}_{category.upper()}"


def prepare(
    session: Session, content: str | None, template: TemplateRequest | None, field: str = ""
) -> Prepared:
    """Check a WhatsApp message's text or template; a 422 names what is wrong."""
    if template is not None:
        found = templates.approved(session, template, f"{field}template")
        return Prepared(
            templates.render(found, template),
            templates.payload(found, template),
            price_channel(found.category),
        )
    if not content:
        raise ValidationFailed(
            {f"{field}content": "A WhatsApp message needs a content or a template."}
        )
    if len(content) > MAX_TEXT:
        raise ValidationFailed(
            {f"{field}content": f"A WhatsApp text is at most {MAX_TEXT} characters."}
        )
    return Prepared(content, None, price_channel(SERVICE))


def closed_windows(
    session: Session,
    organization_id: uuid.UUID,
    business_number: str,
    numbers: Iterable[str],
    now: datetime,
) -> set[str]:
    """The numbers (E.164) that have not written to `business_number` (the remitter's
    name) within 24 hours: a free-form text to them would be refused by Meta (131047)."""
    wanted = set(numbers)
    digits = business_number.removeprefix("+")
    spellings = {business_number, digits, "+" + digits}
    open_ = inbound.people_who_wrote(session, organization_id, wanted, spellings, now - WINDOW)
    return wanted - open_
