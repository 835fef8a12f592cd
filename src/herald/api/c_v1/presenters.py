"""Domain objects -> the messaging API's JSON shapes (defined once, in messaging.shapes,
which webhook events share)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from herald.messaging import shapes
from herald.messaging.models import Campaign, Message
from herald.messaging.queries import Tally
from herald.tenancy.models import Remitter

from .schemas import CampaignOut, MessageOut


def campaign_out(
    campaign: Campaign, tally: Tally, remitters: Mapping[uuid.UUID, Remitter]
) -> CampaignOut:
    return CampaignOut.model_validate(shapes.campaign(campaign, tally, remitters))


def message_out(message: Message, remitters: Mapping[uuid.UUID, Remitter]) -> MessageOut:
    return MessageOut.model_validate(shapes.message(message, remitters))
