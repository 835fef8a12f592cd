"""What an email that arrived in a mailbox is: a delivery status notification (RFC 3464)
about one of our emails, an automatic reply (RFC 3834's Auto-Submitted, out-of-office
conventions) that is not an answer, or a person's reply naming our Message-IDs in
In-Reply-To / References."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage, Message
from email.policy import default
from email.utils import parseaddr, parsedate_to_datetime

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_AUTO_SUBJECT = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto[- ]?reply|autoreply|abwesenheit|"
    r"fora do escrit[oó]rio|resposta autom[aá]tica|respuesta autom[aá]tica)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Reply:
    from_address: str
    references: tuple[str, ...]  # Message-IDs it answers, the direct parent last
    text: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Bounce:
    """A failed delivery of our email `original_message_id` to `recipient`."""

    original_message_id: str | None
    recipient: str | None
    status: str  # the RFC 3463 status code, e.g. 5.1.1
    diagnostic: str | None


@dataclass(frozen=True, slots=True)
class AutoReply:
    references: tuple[str, ...]


Mail = Reply | Bounce | AutoReply


def classify(raw: bytes, received_at: datetime | None = None) -> Mail | None:
    """None: a delayed-delivery notice or something that names none of our emails."""
    message = message_from_bytes(raw, policy=default)
    assert isinstance(message, EmailMessage)
    if _is_dsn(message):
        return _bounce(message)
    references = _references(message)
    if _is_automatic(message):
        return AutoReply(references)
    if not references:
        return None
    return Reply(
        from_address=parseaddr(str(message.get("From", "")))[1].lower(),
        references=references,
        text=_text(message),
        received_at=received_at or _date(message),
    )


def _is_dsn(message: EmailMessage) -> bool:
    return (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "")).lower() == "delivery-status"
    )


def _bounce(message: EmailMessage) -> Bounce | None:
    recipients: list[dict[str, str]] = []
    original: str | None = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            recipients.extend(_status_fields(part))
        elif kind in ("message/rfc822", "text/rfc822-headers") and original is None:
            original = _original_id(part)
    failed = [r for r in recipients if r.get("action", "").lower() == "failed"]
    if not failed:
        return None  # delayed, delivered, relayed, expanded: nothing to act on
    first = failed[0]
    return Bounce(
        original_message_id=original,
        recipient=_typed_address(first.get("final-recipient") or first.get("original-recipient")),
        status=(first.get("status") or "5.0.0").split()[0],
        diagnostic=first.get("diagnostic-code"),
    )


def _status_fields(part: Message) -> list[dict[str, str]]:
    """The per-recipient field groups of a message/delivery-status part."""
    payload = part.get_payload()
    groups: list[Message] = []
    if isinstance(payload, list):  # the email package parses the groups as messages
        groups = [p for p in payload if isinstance(p, Message)]
    else:
        blocks = str(payload).replace("\r\n", "\n").split("\n\n")
        groups = [message_from_bytes(b.encode(), policy=default) for b in blocks if b.strip()]
    found = []
    for group in groups[1:] if len(groups) > 1 else groups:  # the first is per-message
        fields = {k.lower(): str(v) for k, v in group.items()}
        if "action" in fields:
            found.append(fields)
    return found


def _original_id(part: Message) -> str | None:
    inner = part.get_payload(0) if part.is_multipart() else None
    if isinstance(inner, Message):
        value = inner.get("Message-ID")
    else:
        headers = message_from_bytes(_bytes(part.get_payload(decode=True)), policy=default)
        value = headers.get("Message-ID")
    found = _MESSAGE_ID.findall(str(value or ""))
    return found[0] if found else None


def _bytes(value: object) -> bytes:
    return value if isinstance(value, bytes) else str(value or "").encode()


def _typed_address(value: str | None) -> str | None:
    """'rfc822; ana@example.com' -> 'ana@example.com'."""
    if not value:
        return None
    return value.split(";", 1)[-1].strip().lower() or None


def _is_automatic(message: EmailMessage) -> bool:
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    if auto and not auto.startswith("no"):
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return True
    if str(message.get("Precedence", "")).lower() in ("auto_reply", "bulk", "junk", "list"):
        return True
    return bool(_AUTO_SUBJECT.match(str(message.get("Subject", ""))))


def _references(message: EmailMessage) -> tuple[str, ...]:
    ids = _MESSAGE_ID.findall(str(message.get("References", "")))
    ids += _MESSAGE_ID.findall(str(message.get("In-Reply-To", "")))
    return tuple(dict.fromkeys(ids))


def _text(message: EmailMessage) -> str:
    """The new text of a reply: the plain body without the quoted lines that follow."""
    body = message.get_body(preferencelist=("plain", "html"))
    content = body.get_content() if body is not None else ""
    lines = []
    for line in str(content).replace("\r\n", "\n").split("\n"):
        if line.startswith(">") or re.match(r"^On .+ wrote:\s*$", line):
            break
        lines.append(line)
    return "\n".join(lines).strip()[:10_000] or "(empty reply)"


def _date(message: EmailMessage) -> datetime:
    try:
        return parsedate_to_datetime(str(message["Date"])).astimezone(UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)
