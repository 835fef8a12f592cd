"""Test support for email outreach: a mailbox connection pointed at the local SMTP
receiver and Dovecot (tests/mail_servers.py), opened in a running Herald."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

from herald.providers.email.mailbox import Mailbox
from herald.routing import service as routing
from mail_servers import DkimKey, Dovecot, Postfix, SmtpReceiver
from support import RunningHerald

MAILBOX = "sales-1"
USER, PASSWORD = "sales@herald.test", "secret"


def add_mailbox(
    herald: RunningHerald,
    smtp: SmtpReceiver | Postfix,
    dovecot: Dovecot | None,
    key: DkimKey | None,
    name: str = MAILBOX,
    daily_cap: int | None = None,
    address: str = USER,
    **settings: object,
) -> Mailbox:
    """Store the mailbox as `herald connection add --type email` does, then open it."""
    box = Mailbox(
        name=name,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        username="",
        password="",
        from_address=f"Ana from Acme <{address}>",
        imap_host="127.0.0.1",
        imap_port=dovecot.port if dovecot else 1,
        imap_security="none",
        daily_cap=daily_cap,
        jitter_seconds=0,
        dkim_domain=key.domain if key else None,
        dkim_selector=key.selector if key else None,
        dkim_key=key.private_pem if key else None,
    )
    if dovecot is not None:
        settings.update(username=USER, password=PASSWORD)
    box = Mailbox(**{**box.settings(), "name": name, **settings})  # type: ignore[arg-type]
    container = herald.container
    with container.db.transaction() as session:
        routing.add_mailbox(session, container.clock, box)
    assert container.connections is not None
    container.connections.sync(container.router, container.receipts_sink)  # type: ignore[arg-type]
    return box


def read_mailboxes(herald: RunningHerald) -> int:
    container = herald.container
    assert container.connections is not None
    return container.connections.poll_mailboxes(container.router, container.receipts_sink)  # type: ignore[arg-type]


def reply_to(original: EmailMessage | object, sender: str, text: str, **headers: str) -> bytes:
    """What a person's mail client sends back: the thread headers of the email answered."""
    message = EmailMessage(policy=SMTP)
    first = original  # an email.message.Message
    message_id = str(first["Message-ID"])  # type: ignore[index]
    message["From"] = sender
    message["To"] = str(first["From"])  # type: ignore[index]
    message["Subject"] = "Re: " + str(first["Subject"])  # type: ignore[index]
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<reply-{abs(hash(message_id))}@example.com>"
    message["In-Reply-To"] = message_id
    message["References"] = message_id
    for name, value in headers.items():
        del message[name.replace("_", "-")]
        message[name.replace("_", "-")] = value
    message.set_content(f"{text}\n\nOn Mon, Ana wrote:\n> the quoted email\n")
    return message.as_bytes()


def delivery_failure(original: bytes, recipient: str, status: str, diagnostic: str) -> bytes:
    """A delivery status notification (RFC 3464) as a receiving MTA writes it."""
    headers = original.split(b"\r\n\r\n", 1)[0].decode()
    boundary = "dsn-boundary-1"
    lines = [
        "From: MAILER-DAEMON@mx.example.com",
        f"To: {USER}",
        "Subject: Undelivered Mail Returned to Sender",
        f"Date: {formatdate(usegmt=True)}",
        "Message-ID: <dsn-1@mx.example.com>",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "Your message could not be delivered.",
        "",
        f"--{boundary}",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; mx.example.com",
        "",
        f"Final-Recipient: rfc822; {recipient}",
        "Action: failed",
        f"Status: {status}",
        f"Diagnostic-Code: smtp; {diagnostic}",
        "",
        f"--{boundary}",
        "Content-Type: text/rfc822-headers",
        "",
        headers,
        "",
        f"--{boundary}--",
        "",
    ]
    return "\r\n".join(lines).encode()
