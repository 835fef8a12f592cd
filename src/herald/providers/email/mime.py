"""Building an outgoing email: plain text with an HTML alternative (the standard `email`
package), our own Message-ID, the thread headers of a follow-up, one-click unsubscribe
(RFC 8058) and, when the mailbox has a key, a DKIM signature (dkimpy) that covers them."""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from typing import Any

import dkim

from herald.providers.email.mailbox import Mailbox

# Signed headers: those a receiver shows or acts on (RFC 8058 wants both List-Unsubscribe
# headers covered by the signature).
SIGNED_HEADERS = [
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"in-reply-to",
    b"references",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"mime-version",
    b"content-type",
]


def build(
    mailbox: Mailbox,
    to: str,
    text: str,
    payload: Mapping[str, Any],
    unsubscribe_url: str | None,
) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = mailbox.from_address
    message["To"] = to
    message["Subject"] = payload.get("subject") or ""
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = payload["message_id_header"]
    if payload.get("in_reply_to"):
        message["In-Reply-To"] = payload["in_reply_to"]
        message["References"] = " ".join(payload.get("references") or [payload["in_reply_to"]])
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    if payload.get("html"):
        message.add_alternative(payload["html"], subtype="html")
    data = message.as_bytes()
    return sign(mailbox, data) if mailbox.dkim_key else data


def sign(mailbox: Mailbox, data: bytes) -> bytes:
    assert mailbox.dkim_key and mailbox.dkim_domain and mailbox.dkim_selector
    signature = dkim.sign(
        data,
        mailbox.dkim_selector.encode(),
        mailbox.dkim_domain.encode(),
        mailbox.dkim_key.encode(),
        include_headers=SIGNED_HEADERS,
    )
    return bytes(signature) + data
