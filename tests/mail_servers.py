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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
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
    """Dovecot serving mailbox users over plain IMAP on 127.0.0.1, and taking mail for them
    over LMTP (what Postfix delivers to); an unknown user is refused (550 5.1.1)."""

    def __init__(self, root: Path, user: str, password: str, others: Sequence[str] = ()) -> None:
        self.root, self.user, self.password = root, user, password
        self.others = list(others)
        self.port = free_port()
        self.lmtp_port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    @contextmanager
    def running(cls, user: str, password: str, others: Sequence[str] = ()) -> Iterator[Dovecot]:
        """Dovecot in a fresh directory its own unprivileged processes can read (pytest's
        tmp_path is private to the test's user), removed afterwards."""
        root = Path(tempfile.mkdtemp(prefix="herald-dovecot-"))
        root.chmod(0o755)
        server = cls(root, user, password, others).start()
        try:
            yield server
        finally:
            server.stop()
            shutil.rmtree(root, ignore_errors=True)

    @staticmethod
    def available() -> bool:
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        return Path(binary).exists() and Path("/usr/lib/dovecot/lmtp").exists()

    def start(self) -> Dovecot:
        owner = self._mail_owner()
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("mail", "home"):
            os.chown(self.root / sub, owner.pw_uid, owner.pw_gid)
        users = [self.user, *self.others]
        (self.root / "passwd").write_text(
            "".join(f"{user}:{{PLAIN}}{self.password}::::::\n" for user in users)
        )
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

    def inbox(self, user: str) -> list[bytes]:
        """Every email in a user's INBOX, oldest first."""
        client = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            client.login(user, self.password)
            client.select("INBOX", readonly=True)
            _, data = client.uid("SEARCH", "ALL")
            found = []
            for uid in data[0].split():
                _, parts = client.uid("FETCH", uid, "(RFC822)")
                found.append(bytes(parts[0][1]))  # type: ignore[index]
            return found
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
{users}protocols = imap lmtp
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
  driver = passwd-file
  args = username_format=%u {root}/passwd
  default_fields = uid={owner.pw_uid} gid={owner.pw_gid} home={root}/home/%u
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.lmtp_port}
  }}
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


class Postfix:
    """Debian's Postfix as the receiving MTA on 127.0.0.1 (configured in a temporary
    directory): it takes mail for example.com and herald.test from local clients and hands
    it to Dovecot over LMTP; mail Dovecot refuses comes back to its sender as Postfix's own
    delivery status notification (RFC 3464)."""

    def __init__(self, root: Path, lmtp_port: int) -> None:
        self.root, self.lmtp_port = root, lmtp_port
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return os.geteuid() == 0 and Path("/usr/sbin/postfix").exists()

    @classmethod
    @contextmanager
    def running(cls, lmtp_port: int) -> Iterator[Postfix]:
        root = Path(tempfile.mkdtemp(prefix="herald-postfix-"))
        root.chmod(0o755)
        server = cls(root, lmtp_port).start()
        try:
            yield server
        finally:
            server.stop()
            shutil.rmtree(root, ignore_errors=True)

    def start(self) -> Postfix:
        conf, data = self.root / "conf", self.root / "data"
        for path in (conf, data, self.root / "queue"):
            path.mkdir(parents=True, exist_ok=True)
        owner = pwd.getpwnam("postfix")
        os.chown(data, owner.pw_uid, owner.pw_gid)
        (conf / "main.cf").write_text(self._main())
        (conf / "master.cf").write_text(self._master())
        log = (self.root / "postfix.log").open("ab")
        command = ["/usr/sbin/postfix", "-c", str(conf), "start-fg"]
        self._process = subprocess.Popen(command, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"postfix did not listen: {(self.root / 'postfix.log').read_text()}")

    def stop(self) -> None:
        pid_file = self.root / "queue" / "pid" / "master.pid"
        if pid_file.exists():
            master = int(pid_file.read_text().split()[0])
            with suppress(ProcessLookupError):
                os.kill(master, 15)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and _alive(master):
                time.sleep(0.1)
        if self._process is not None:
            self._process.wait(15)
            self._process = None

    def _main(self) -> str:
        root = self.root
        return f"""compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.herald.test
mydomain = herald.test
mydestination =
mynetworks = 127.0.0.0/8
relay_domains =
virtual_mailbox_domains = example.com herald.test
virtual_transport = lmtp:inet:127.0.0.1:{self.lmtp_port}
smtpd_recipient_restrictions = permit_mynetworks, reject
alias_maps =
alias_database =
smtputf8_enable = no
maillog_file = /dev/stdout
queue_run_delay = 1s
minimal_backoff_time = 1s
"""

    def _master(self) -> str:
        services = [
            f"127.0.0.1:{self.port} inet n - n - - smtpd",
            "pickup unix n - n 60 1 pickup",
            "cleanup unix n - n - 0 cleanup",
            "qmgr unix n - n 300 1 qmgr",
            "rewrite unix - - n - - trivial-rewrite",
            "bounce unix - - n - 0 bounce",
            "defer unix - - n - 0 bounce",
            "trace unix - - n - 0 bounce",
            "verify unix - - n - 1 verify",
            "flush unix n - n 1000? 0 flush",
            "proxymap unix - - n - - proxymap",
            "smtp unix - - n - - smtp",
            "relay unix - - n - - smtp",
            "showq unix n - n - - showq",
            "error unix - - n - - error",
            "retry unix - - n - - error",
            "discard unix - - n - - discard",
            "lmtp unix - - n - - lmtp",
            "anvil unix - - n - 1 anvil",
            "scache unix - - n - 1 scache",
            "postlog unix-dgram n - n - 1 postlogd",
        ]
        return "\n".join(services) + "\n"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
