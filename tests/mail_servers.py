"""Real mail servers on 127.0.0.1 for the email tests, sharing no code with Herald's
email provider:

- `SmtpReceiver`: an SMTP server (aiosmtpd) that keeps every email it is given and checks
  its DKIM signature with dkimpy against the public key a DNS TXT record would publish;
  it can refuse chosen recipients with a 5xx, as a receiving MTA does;
- `Dovecot`: Debian's Dovecot IMAP server, configured in a temporary directory (plain
  IMAP on a free port, one mailbox user), into which the tests drop the replies, automatic
  replies and delivery status notifications that people and MTAs send back (IMAP APPEND
  with the standard library's imaplib).
"""

from __future__ import annotations

import base64
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default
from pathlib import Path
from typing import Any

import dkim
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class DkimKey:
    """A signing key and the TXT record its selector would publish."""

    domain: str
    selector: str
    private_pem: str
    txt_record: bytes

    @classmethod
    def generate(cls, domain: str = "herald.test", selector: str = "s1") -> DkimKey:
        private = subprocess.run(
            ["openssl", "genrsa", "2048"], check=True, capture_output=True
        ).stdout.decode()
        public = subprocess.run(
            ["openssl", "rsa", "-pubout", "-outform", "DER"],
            input=private.encode(),
            check=True,
            capture_output=True,
        ).stdout
        txt = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
        return cls(domain, selector, private, txt)

    def dns(self, name: bytes, timeout: int = 5) -> bytes | None:
        wanted = f"{self.selector}._domainkey.{self.domain}.".encode()
        return self.txt_record if name in (wanted, wanted.rstrip(b".")) else None


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    dkim_valid: bool

    @property
    def message(self) -> Message:
        return message_from_bytes(self.data, policy=default)

    def header(self, name: str) -> str:
        return str(self.message.get(name, ""))


@dataclass
class SmtpReceiver:
    key: DkimKey | None = None
    refuse: dict[str, tuple[int, str]] = field(default_factory=dict)  # rcpt -> (code, text)
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _controller: Controller | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.lower() in self.refuse:
            code, text = self.refuse[address.lower()]
            return f"{code} {text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = bytes(envelope.original_content or b"")
        valid = bool(self.key) and dkim.verify(data, dnsfunc=self.key.dns)  # type: ignore[union-attr]
        self.received.append(
            Received(str(envelope.mail_from), list(envelope.rcpt_tos), data, valid)
        )
        return "250 Message accepted for delivery"

    def start(self) -> SmtpReceiver:
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


class Dovecot:
    """Dovecot serving one mailbox user over plain IMAP on 127.0.0.1."""

    def __init__(self, root: Path, user: str, password: str) -> None:
        self.root, self.user, self.password = root, user, password
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    @contextmanager
    def running(cls, user: str, password: str) -> Iterator[Dovecot]:
        """Dovecot in a fresh directory its own unprivileged processes can read (pytest's
        tmp_path is private to the test's user), removed afterwards."""
        root = Path(tempfile.mkdtemp(prefix="herald-dovecot-"))
        root.chmod(0o755)
        server = cls(root, user, password).start()
        try:
            yield server
        finally:
            server.stop()
            shutil.rmtree(root, ignore_errors=True)

    @staticmethod
    def available() -> bool:
        return shutil.which("dovecot") is not None or Path("/usr/sbin/dovecot").exists()

    def start(self) -> Dovecot:
        owner = self._mail_owner()
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("mail", "home"):
            os.chown(self.root / sub, owner.pw_uid, owner.pw_gid)
        (self.root / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        config = self.root / "dovecot.conf"
        config.write_text(self._config(owner))
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        self._process = subprocess.Popen([binary, "-F", "-c", str(config)])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"dovecot did not listen: {(self.root / 'dovecot.log').read_text()}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(10)
            self._process = None

    def deliver(self, raw: bytes) -> None:
        """An email arrives in the user's INBOX."""
        client = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            client.login(self.user, self.password)
            status, _ = client.append("INBOX", None, None, raw)
            assert status == "OK"
        finally:
            client.logout()

    def _mail_owner(self) -> pwd.struct_passwd:
        # Dovecot will not run a mail process as root: as root, mail is owned by `dovecot`.
        if os.geteuid() == 0:
            return pwd.getpwnam("dovecot")
        return pwd.getpwuid(os.geteuid())

    def _config(self, owner: pwd.struct_passwd) -> str:
        root = self.root
        users = ""
        if os.geteuid() != 0:
            users = (
                f"default_login_user = {owner.pw_name}\ndefault_internal_user = {owner.pw_name}\n"
            )
        return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
{users}protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
