"""Outreach steps over WhatsApp. Inside the lead's 24-hour window a step sends its free-form
text, priced as WHATSAPP_SERVICE; outside it, the step's message template if it names one
(checked as /c/v1 checks it, priced by the template's category). A free-form text to a lead
whose window is closed is REJECTED and refunded at once, never sent. Kept apart from the SMS
path of sending.py."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from herald.billing.service import PriceList
from herald.errors import ValidationFailed
from herald.kit.clock import Clock
from herald.messaging.accept import reject_closed_windows
from herald.outreach.models import OutreachCampaign
from herald.outreach.workflow import WhatsAppTemplate
from herald.tenancy import repository as tenancy
from herald.whatsapp import channel as whatsapp
from herald.whatsapp import templates
from herald.whatsapp.channel import Prepared
from herald.whatsapp.templates import TemplateRequest

CHANNEL = whatsapp.CHANNEL
TEMPLATE_UNAVAILABLE = "WHATSAPP_TEMPLATE_UNAVAILABLE"  # unsynced or unapproved since


def check_template(session: Session, template: WhatsAppTemplate, field: str) -> None:
    """A step's template is synced, APPROVED and takes as many parameters as it gives
    (the errors name the fields as this dialect spells them: headerParameters)."""
    try:
        templates.approved(session, request(template, template.parameters), field)
    except ValidationFailed as exc:
        fields = {
            k.replace("header_parameters", "headerParameters"): v for k, v in exc.fields.items()
        }
        raise ValidationFailed(fields) from exc


def request(
    template: WhatsAppTemplate, parameters: Sequence[str], header: Sequence[str] | None = None
) -> TemplateRequest:
    """The step's template with its parameters (rendered for a lead, or still sources)."""
    return TemplateRequest(
        template.name,
        template.language,
        tuple(parameters),
        tuple(template.header_parameters if header is None else header),
    )


class Chooser:
    """Per write batch: what each WhatsApp send says (text or template) and its prices."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session, self.now = session, now
        self._prices: dict[str, PriceList] = {}
        self._numbers: dict[uuid.UUID, str] = {}

    def prices(self, price_channel: str) -> PriceList:
        if price_channel not in self._prices:
            self._prices[price_channel] = PriceList.load(self.session, price_channel)
        return self._prices[price_channel]

    def choose(
        self, campaign: OutreachCampaign, phone: str, text: str, template: TemplateRequest | None
    ) -> Prepared | str:
        """The free-form text inside the window (or when the step has no template: refused
        after it is written if the window is closed), else the template; an error code when
        the template cannot be used any more."""
        free_form = Prepared(text, None, whatsapp.price_channel(whatsapp.SERVICE))
        if template is None or self._window_open(campaign, phone):
            return free_form
        try:
            found = templates.approved(self.session, template)
        except ValidationFailed:
            return TEMPLATE_UNAVAILABLE
        return Prepared(
            templates.render(found, template),
            templates.payload(found, template),
            whatsapp.price_channel(found.category),
        )

    def _window_open(self, campaign: OutreachCampaign, phone: str) -> bool:
        number = self._business_number(campaign.remitter_id)
        closed = whatsapp.closed_windows(
            self.session, campaign.organization_id, number, [phone], self.now
        )
        return phone not in closed

    def _business_number(self, remitter_id: uuid.UUID) -> str:
        if remitter_id not in self._numbers:
            found = tenancy.get_remitters(self.session, {remitter_id})
            self._numbers[remitter_id] = found[remitter_id].name if remitter_id in found else ""
        return self._numbers[remitter_id]


def reject_closed(session: Session, clock: Clock, rows: Sequence[dict[str, Any]]) -> None:
    """After the messages are written: free-form texts to leads outside their window are
    refused (a template goes whatever the window)."""
    by_sender: dict[tuple[uuid.UUID, uuid.UUID], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["channel_type"] == CHANNEL and row["remitter_id"] and not row.get("payload"):
            by_sender[(row["organization_id"], row["remitter_id"])].append(row)
    if not by_sender:
        return
    remitters = tenancy.get_remitters(session, {remitter for _, remitter in by_sender})
    for (organization_id, remitter_id), group in by_sender.items():
        number = remitters[remitter_id].name if remitter_id in remitters else ""
        reject_closed_windows(session, clock, organization_id, number, group)
