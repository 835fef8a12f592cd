"""The email provider: one mailbox, sending over SMTP (aiosmtplib) on its own event loop.

A submission is one email (part 1, known by our own Message-ID). Answers come back in
small groups, one SMTP transaction each, so that a crash loses at most a group in hand.
A 5xx refusal rejects the email for good (error code SMTP_<code>); a 4xx asks to try
again; a broken connection leaves the rest of the batch to be tried again.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence

import aiosmtplib
import structlog

from herald.kit.clock import Clock, SystemClock
from herald.kit.db import Database
from herald.providers.base import (
    ReceiptSink,
    Submission,
    SubmitOutcome,
    SubmitResult,
)
from herald.providers.email import mime, repository
from herald.providers.email.mailbox import Mailbox

log = structlog.get_logger(__name__)

GROUP = 10  # emails answered (and recorded) together
TEMPORARY_RETRY_SECONDS = 60.0


class EmailProvider:
    def __init__(
        self,
        mailbox: Mailbox,
        public_url: str,
        db: Database | None = None,
        clock: Clock | None = None,
        timeout: float = 30.0,
    ) -> None:
        """Without `db`, no handover is recorded: an email whose answer was lost may be
        sent again (the benchmark's bare mode)."""
        self.name = mailbox.name
        self.config = mailbox
        self._db, self._clock = db, clock or SystemClock()
        self._public_url = public_url.rstrip("/")
        self._timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._smtp: aiosmtplib.SMTP | None = None
        self.receipts: ReceiptSink | None = None

    def start(self, receipts: ReceiptSink) -> None:
        self.receipts = receipts
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"email-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(self._timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(self._timeout)
        self._thread = None

    def submit(self, batch: Sequence[Submission]) -> Iterator[list[SubmitResult]]:
        for start in range(0, len(batch), GROUP):
            group = batch[start : start + GROUP]
            future = asyncio.run_coroutine_threadsafe(self._send_group(group), self._loop)
            yield future.result(self._timeout * (len(group) + 1))

    def unsubscribe_url(self, submission: Submission) -> str | None:
        token = submission.payload.get("unsubscribe_token")
        if not token:
            return None
        return f"{self._public_url}/email/unsubscribe/{submission.message_id}/{token}"

    async def _send_group(self, group: Sequence[Submission]) -> list[SubmitResult]:
        results = self._already_handed_over(group)
        done = {r.message_id for r in results}
        smtp = await self._connected()
        for submission in group:
            if submission.message_id in done:
                continue
            self._handover(submission, record=True)
            try:
                result = await self._send(smtp, submission)
            except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError, OSError):
                # Lost before an answer: whether the server took it is unknown, so it
                # counts as handed over (answered on the next attempt, never sent again).
                await self._close()
                break
            if result.outcome is not SubmitOutcome.ACCEPTED:
                self._handover(submission, record=False)
            results.append(result)
        return results

    def _already_handed_over(self, group: Sequence[Submission]) -> list[SubmitResult]:
        """Emails of an earlier attempt whose answer was lost: taken as sent."""
        retried = [s.message_id for s in group if s.attempt > 1]
        if self._db is None or not retried:
            return []
        with self._db.reading() as session:
            handed = repository.handed_over(session, retried)
        for id in handed:
            log.warning("email.not_handed_over_again", mailbox=self.name, message_id=str(id))
        return [
            SubmitResult.accepted(s.message_id, s.payload["message_id_header"])
            for s in group
            if s.message_id in handed
        ]

    def _handover(self, submission: Submission, record: bool) -> None:
        if self._db is None:
            return
        with self._db.transaction() as session:
            if record:
                repository.record_handover(
                    session, submission.message_id, self.name, self._clock.now()
                )
            else:
                repository.forget_handover(session, submission.message_id)

    async def _send(self, smtp: aiosmtplib.SMTP, submission: Submission) -> SubmitResult:
        payload = submission.payload
        data = mime.build(
            self.config,
            submission.destination,
            submission.text,
            payload,
            self.unsubscribe_url(submission),
        )
        try:
            await smtp.sendmail(self.config.address, [submission.destination], data)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return _refused(submission, exc.recipients[0].code)
        except aiosmtplib.SMTPResponseException as exc:
            if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
                raise
            return _refused(submission, exc.code)
        return SubmitResult.accepted(submission.message_id, payload["message_id_header"])

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._smtp is not None and self._smtp.is_connected:
            try:  # servers drop idle connections: find out before handing anything over
                await self._smtp.noop()
                return self._smtp
            except (aiosmtplib.SMTPException, OSError):
                await self._close()
        box = self.config
        smtp = aiosmtplib.SMTP(
            hostname=box.smtp_host,
            port=box.smtp_port,
            use_tls=box.smtp_security == "tls",
            start_tls=box.smtp_security == "starttls",
            timeout=self._timeout,
        )
        await smtp.connect()
        if box.username and smtp.supports_extension("auth"):  # a local relay may take none
            await smtp.login(box.username, box.password)
        self._smtp = smtp
        return smtp

    async def _close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None and smtp.is_connected:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()


def _refused(submission: Submission, code: int) -> SubmitResult:
    if 400 <= code < 500:
        return SubmitResult(
            submission.message_id,
            SubmitOutcome.RETRY,
            error_code=f"SMTP_{code}",
            retry_after_seconds=TEMPORARY_RETRY_SECONDS,
        )
    return SubmitResult(submission.message_id, SubmitOutcome.REJECTED, error_code=f"SMTP_{code}")
