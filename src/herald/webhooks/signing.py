"""Standard Webhooks signatures (the `standardwebhooks` library): what a receiver checks."""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import datetime
from math import floor

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A 192-bit random signing secret in the `whsec_<base64>` form receivers expect."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def webhook_id(event_id: uuid.UUID) -> str:
    """The `webhook-id` of an event: the same on every attempt, so receivers can dedupe."""
    return f"msg_{event_id.hex}"


def signed_headers(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(floor(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }
