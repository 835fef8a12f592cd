"""Reading a mailbox's INBOX over IMAP (imapclient, polling): each new email is classified
(reply, automatic reply, bounce), handed on, and the mailbox's read position (UIDVALIDITY,
last UID) advanced in the same transaction, so that after a restart nothing is read twice.

A bounce fails our email through the receipt sink (FAILED with the DSN's status code)
before that transaction: a receipt applied twice changes nothing the second time.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from imapclient import IMAPClient
from sqlalchemy.orm import Session

from herald.kit.clock import Clock
from herald.kit.db import Database
from herald.providers.base import Receipt, ReceiptSink, ReceiptStatus
from herald.providers.email import repository
from herald.providers.email.classify import Bounce, Mail, classify
from herald.providers.email.mailbox import Mailbox

log = structlog.get_logger(__name__)

FETCH_CHUNK = 50

# Told about each classified email, in the transaction that advances the read position:
# (session, mailbox name, what the email is).
MailSink = Callable[[Session, str, Mail], None]


class Inbox:
    def __init__(
        self, mailbox: Mailbox, db: Database, clock: Clock, mail: MailSink, timeout: float = 30.0
    ) -> None:
        self.mailbox = mailbox
        self._db, self._clock, self._mail = db, clock, mail
        self._timeout = timeout

    def poll(self, receipts: ReceiptSink) -> int:
        """Handle the emails that arrived since the last poll; return how many."""
        with self._connect() as client:
            info = client.select_folder("INBOX", readonly=True)
            validity = int(info[b"UIDVALIDITY"])
            last = self._last_uid(validity)
            uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
            for start in range(0, len(uids), FETCH_CHUNK):
                chunk = uids[start : start + FETCH_CHUNK]
                fetched = client.fetch(chunk, ["RFC822", "INTERNALDATE"])
                for uid in chunk:
                    item = fetched.get(uid)
                    raw = item.get(b"RFC822", b"") if item else b""
                    self._handle(uid, validity, raw, _at(item), receipts)
        return len(uids)

    def _connect(self) -> IMAPClient:
        box = self.mailbox
        secure = box.imap_security == "tls"
        client = IMAPClient(
            box.imap_host,
            port=box.imap_port,
            ssl=secure,
            ssl_context=ssl.create_default_context() if secure else None,
            timeout=self._timeout,
        )
        if box.imap_security == "starttls":
            client.starttls(ssl.create_default_context())
        client.login(box.username, box.password)
        return client

    def _last_uid(self, validity: int) -> int:
        with self._db.reading() as session:
            cursor = repository.cursor(session, self.mailbox.name)
        if cursor is None or cursor.uid_validity != validity:
            if cursor is not None:
                log.warning("email.uidvalidity_changed", mailbox=self.mailbox.name)
            return 0
        return int(cursor.last_uid)

    def _handle(
        self, uid: int, validity: int, raw: bytes, at: datetime, receipts: ReceiptSink
    ) -> None:
        mail = classify(raw, at) if raw else None
        if isinstance(mail, Bounce) and mail.original_message_id:
            receipt = Receipt(
                self.mailbox.name,
                mail.original_message_id,
                ReceiptStatus.FAILED,
                mail.status,
                at,
            )
            receipts([receipt])
        with self._db.transaction() as session:
            if mail is not None:
                self._mail(session, self.mailbox.name, mail)
            repository.advance(session, self.mailbox.name, validity, uid, self._clock.now())
        log.info("email.read", mailbox=self.mailbox.name, uid=uid, kind=type(mail).__name__)


def _at(item: dict[bytes, object] | None) -> datetime:
    value = item.get(b"INTERNALDATE") if item else None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.now(UTC)
