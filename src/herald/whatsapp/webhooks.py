"""Meta's webhooks for a WhatsApp connection (the `messages` field): the verification
handshake, the X-Hub-Signature-256 check, and what a verified POST says.

- statuses: `delivered` and `read` settle the message as DELIVERED (a read also sets its
  read time, once); `failed` settles it REJECTED (131047 window closed, 131026
  undeliverable) or UNDELIVERED, with `WHATSAPP_<code>` as its error_code; `sent` changes
  nothing (dispatch marked the message SENT when Meta answered). Receipts go through the
  receipt sink, as every provider's do.
- messages: people's messages become inbound messages (opt-out keywords, outreach replies,
  and the 24-hour window all follow from that), each once: an item Meta posts twice is
  recognised by its id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from herald.errors import HeraldError, NotFound
from herald.kit.clock import Clock
from herald.kit.db import Database
from herald.messaging import repository as messages
from herald.providers.base import Inbound, InboundSink, Receipt, ReceiptSink, ReceiptStatus
from herald.providers.whatsapp.config import WhatsAppConfig
from herald.routing import repository as routing
from herald.whatsapp import repository

FINAL_REFUSALS = {131047, 131026}  # window closed, undeliverable: REJECTED


class BadSignature(HeraldError):
    status = 401
    code = "WHATSAPP_BAD_SIGNATURE"


class NotYet(HeraldError):
    """A read mark for a message whose send is not recorded yet (Meta was faster than our
    own bookkeeping): Meta posts the webhook again later, and then it applies."""

    status = 503
    code = "WHATSAPP_NOT_YET"


# Read marks older than this for an unknown message are dropped rather than asked again:
# a send is recorded within a second or so of Meta's answer; a message whose answer was lost
# in a crash is sent again under a new id and will never be known by the old one.
UNKNOWN_READS_KEPT = timedelta(seconds=30)


class BadVerifyToken(HeraldError):
    status = 403
    code = "WHATSAPP_BAD_VERIFY_TOKEN"


def connection(session: Session, name: str) -> WhatsAppConfig:
    row = routing.get_connection(session, name)
    if row is None or row.type != "whatsapp":
        raise NotFound(f"No WhatsApp connection named {name}.")
    return WhatsAppConfig.from_settings(row.name, row.settings or {})


def handshake(config: WhatsAppConfig, mode: str | None, token: str | None, challenge: str) -> str:
    """Meta's GET when the webhook is set up: echo the challenge if the token is ours."""
    if mode != "subscribe" or not hmac.compare_digest(
        (token or "").encode(), config.verify_token.encode()
    ):
        raise BadVerifyToken("hub.verify_token does not match the connection's verify token.")
    return challenge


def verify(config: WhatsAppConfig, body: bytes, signature: str | None) -> None:
    """The body was signed with the connection's app secret (HMAC-SHA256), or 401."""
    expected = "sha256=" + hmac.new(config.app_secret.encode(), body, hashlib.sha256).hexdigest()
    if not signature or not hmac.compare_digest(signature.encode(), expected.encode()):
        raise BadSignature("X-Hub-Signature-256 is missing or does not match the body.")


@dataclass(slots=True)
class Notification:
    """What one webhook says, in Herald's terms."""

    receipts: list[Receipt] = field(default_factory=list)
    reads: list[tuple[str, datetime]] = field(default_factory=list)
    inbound: list[tuple[str, Inbound]] = field(default_factory=list)  # (Meta's id, message)


def read(connection_name: str, body: bytes) -> Notification:
    notification = Notification()
    try:
        payload = json.loads(body)
    except ValueError:
        return notification
    for value in _values(payload):
        business = str((value.get("metadata") or {}).get("display_phone_number", ""))
        for status in value.get("statuses") or []:
            _status(notification, connection_name, status)
        for message in value.get("messages") or []:
            text = _text(message)
            notification.inbound.append(
                (
                    str(message.get("id", "")),
                    Inbound(
                        connection_name,
                        str(message.get("from", "")),
                        business,
                        text,
                        _time(message.get("timestamp")),
                    ),
                )
            )
    return notification


def _values(payload: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(payload, dict):
        return
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            if change.get("field") == "messages" and isinstance(change.get("value"), dict):
                yield change["value"]


def _status(notification: Notification, connection_name: str, status: dict[str, Any]) -> None:
    wamid, kind, at = (
        str(status.get("id", "")),
        status.get("status"),
        _time(status.get("timestamp")),
    )
    if kind in ("delivered", "read"):
        notification.receipts.append(
            Receipt(connection_name, wamid, ReceiptStatus.DELIVERED, None, at)
        )
        if kind == "read":
            notification.reads.append((wamid, at))
    elif kind == "failed":
        errors = status.get("errors") or [{}]
        code = int(errors[0].get("code") or 0)
        final = ReceiptStatus.REJECTED if code in FINAL_REFUSALS else ReceiptStatus.UNDELIVERED
        notification.receipts.append(Receipt(connection_name, wamid, final, f"WHATSAPP_{code}", at))


def _text(message: dict[str, Any]) -> str:
    kind = message.get("type")
    if kind == "text":
        return str((message.get("text") or {}).get("body", ""))
    if kind == "button":
        return str((message.get("button") or {}).get("text", ""))
    if kind == "interactive":
        reply = (message.get("interactive") or {}).get("button_reply") or {}
        return str(reply.get("title", ""))
    return f"[{kind}]"  # media, location, ...: kept as a reply without text


def _time(stamp: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(stamp), UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)


def receive(
    db: Database,
    clock: Clock,
    connection_name: str,
    body: bytes,
    signature: str | None,
    receipts: ReceiptSink,
    inbound: InboundSink,
) -> Notification:
    """A POST from Meta: verified first (nothing is recorded otherwise), then applied.
    Applying it twice changes nothing: statuses only move a message forward, the read time
    is set once, and an inbound message is recorded under its id once."""
    with db.reading() as session:
        config = connection(session, connection_name)
    verify(config, body, signature)
    notification = read(connection_name, body)
    if notification.receipts:
        receipts(notification.receipts)
    with db.transaction() as session:
        now = clock.now()
        unknown = [
            at
            for wamid, at in notification.reads
            if not messages.mark_read(session, connection_name, wamid, at)
        ]
        fresh = [
            item
            for key, item in notification.inbound
            if repository.first_time(session, connection_name, f"message:{key}", now)
        ]
        inbound(session, fresh)
    if any(at > now - UNKNOWN_READS_KEPT for at in unknown):
        raise NotYet("A read mark names a message not recorded yet; post it again.")
    return notification
