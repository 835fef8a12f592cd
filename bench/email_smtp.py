"""Email benchmark: emails per second from Herald's email provider to a local SMTP server
with DKIM signing on, beside a bare aiosmtplib client sending the same emails.

The SMTP server (aiosmtpd, accepting everything) runs in its own process on 127.0.0.1.
Each run sends N emails over one SMTP connection:

1. bare: aiosmtplib `sendmail` of emails built once beforehand (no MIME building, no DKIM,
   no bookkeeping): the wire limit of this client and server;
2. provider: `EmailProvider.submit` without the handover log, without DKIM;
3. provider+dkim: the same with an RSA-2048 DKIM signature on every email;
4. provider+dkim+log: as Herald runs it, each email recorded in `email_handovers` before it
   is handed over (a SQLite database in a temporary directory, or with --database a new
   PostgreSQL database created beside the one named and dropped afterwards).

    uv run python bench/email_smtp.py                     # 2,000 emails per run
    uv run python bench/email_smtp.py --emails 5000
    uv run python bench/email_smtp.py --database postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiosmtplib
from sqlalchemy import create_engine, text

from herald.kit.db import Database, create_engine_for
from herald.kit.migrate import upgrade
from herald.providers.base import Submission
from herald.providers.email import mime
from herald.providers.email.mailbox import Mailbox
from herald.providers.email.provider import EmailProvider


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_smtp(port: int, ready: Any) -> None:
    """The receiving server: accepts and drops every email."""
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def dkim_key() -> str:
    command = ["openssl", "genrsa", "2048"]
    return subprocess.run(command, check=True, capture_output=True).stdout.decode()


def mailbox(port: int, key: str | None) -> Mailbox:
    return Mailbox(
        name="bench",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        username="",
        password="",
        from_address="Ana <ana@herald.test>",
        imap_host="127.0.0.1",
        imap_port=1,
        imap_security="none",
        dkim_domain="herald.test" if key else None,
        dkim_selector="s1" if key else None,
        dkim_key=key,
    )


def submissions(count: int) -> list[Submission]:
    found = []
    for n in range(count):
        id = uuid.uuid4()
        text = f"Hi Lead {n},\n\nCould we talk about your outreach next week?\n\nAna"
        payload = {
            "subject": f"A question for Company {n}",
            "html": f"<p>Hi Lead {n},</p><p>Could we talk about your outreach next week?</p>",
            "message_id_header": f"<{id}@herald.test>",
            "unsubscribe_token": "t" * 24,
        }
        found.append(
            Submission(id, f"lead{n}@example.com", "", text, channel_type="EMAIL", payload=payload)
        )
    return found


async def bare(port: int, emails: Sequence[tuple[str, bytes]]) -> float:
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
    await smtp.connect()
    started = time.perf_counter()
    for to, data in emails:
        await smtp.sendmail("ana@herald.test", [to], data)
    elapsed = time.perf_counter() - started
    await smtp.quit()
    return elapsed


def through_provider(box: Mailbox, batch: list[Submission], db: Database | None) -> float:
    provider = EmailProvider(box, "https://herald.example.com", db)
    provider.start(lambda receipts: None)
    try:
        started = time.perf_counter()
        accepted = sum(
            1 for group in provider.submit(batch) for r in group if r.provider_message_id
        )
        elapsed = time.perf_counter() - started
    finally:
        provider.stop()
    assert accepted == len(batch), f"{accepted} of {len(batch)} accepted"
    return elapsed


@contextmanager
def scratch_database(admin_url: str | None, tmp: str) -> Iterator[str]:
    """A SQLite file in `tmp`, or a new PostgreSQL database beside `admin_url`'s (dropped
    afterwards): the benchmark never writes into an existing database."""
    if admin_url is None:
        yield f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        return
    name = f"herald_bench_email_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--database", default=None, help="for the handover log (default SQLite)")
    args = parser.parse_args()

    port = free_port()
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve_smtp, args=(port, ready), daemon=True)
    server.start()
    ready.wait(30)
    key = dkim_key()
    try:
        batch = submissions(args.emails)
        plain_box = mailbox(port, None)
        prebuilt = [
            (s.destination, mime.build(plain_box, s.destination, s.text, s.payload, None))
            for s in batch
        ]
        figures: dict[str, Any] = {"emails": args.emails}
        figures["bare_per_second"] = round(args.emails / asyncio.run(bare(port, prebuilt)))
        figures["provider_per_second"] = round(
            args.emails / through_provider(plain_box, submissions(args.emails), None)
        )
        signing = mailbox(port, key)
        figures["provider_dkim_per_second"] = round(
            args.emails / through_provider(signing, submissions(args.emails), None)
        )
        with tempfile.TemporaryDirectory() as tmp, scratch_database(args.database, tmp) as url:
            engine = create_engine_for(url)
            upgrade(engine)
            elapsed = through_provider(signing, submissions(args.emails), Database(engine))
            figures["provider_dkim_log_per_second"] = round(args.emails / elapsed)
            engine.dispose()
        figures["dkim_over_bare"] = round(
            figures["provider_dkim_per_second"] / figures["bare_per_second"], 2
        )
    finally:
        server.terminate()
        server.join(10)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
