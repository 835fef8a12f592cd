"""A mailbox: an email connection's settings (SMTP out, IMAP back, daily cap, sending
hours, DKIM), stored as `connections.settings` JSON (the SMPP columns stay empty)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import time
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SECURITIES = ("starttls", "tls", "none")  # of SMTP and of IMAP
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass(frozen=True, slots=True)
class Mailbox:
    name: str
    smtp_host: str
    smtp_port: int
    smtp_security: str
    username: str
    password: str
    from_address: str  # "Name <addr>"
    imap_host: str
    imap_port: int
    imap_security: str = "tls"
    daily_cap: int | None = None
    # "HH:MM-HH:MM" in `time_zone`; None: any time. Emails are spread with a little jitter.
    sending_hours: str | None = None
    time_zone: str = "UTC"
    jitter_seconds: int = 60
    dkim_domain: str | None = None
    dkim_selector: str | None = None
    dkim_key: str | None = None  # the PEM private key, as read from --dkim-key-file

    @classmethod
    def from_settings(cls, name: str, settings: dict[str, Any]) -> Mailbox:
        return cls(name=name, **settings)

    def settings(self) -> dict[str, Any]:
        values = asdict(self)
        values.pop("name")
        return values

    @property
    def address(self) -> str:
        return parseaddr(self.from_address)[1].lower()

    @property
    def display_name(self) -> str:
        return parseaddr(self.from_address)[0]

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    def window(self) -> tuple[time, time] | None:
        if not self.sending_hours:
            return None
        m = _HOURS.match(self.sending_hours)
        assert m is not None
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        return time(h1, m1), time(h2, m2)

    def problems(self) -> dict[str, str]:
        """What is wrong with these settings, by CLI option name."""
        found: dict[str, str] = {}
        if not self.smtp_host:
            found["smtp_host"] = "The SMTP server's host name or address."
        for key, port in (("smtp_port", self.smtp_port), ("imap_port", self.imap_port)):
            if not 0 < port < 65536:
                found[key] = "A TCP port (1-65535)."
        for key, value in (
            ("smtp_security", self.smtp_security),
            ("imap_security", self.imap_security),
        ):
            if value not in SECURITIES:
                found[key] = f"One of: {', '.join(SECURITIES)}."
        if not self.imap_host:
            found["imap_host"] = "The IMAP server's host name or address."
        if not _valid_from(self.from_address):
            found["from"] = "An address such as 'Ana Lima <ana@example.com>'."
        if self.daily_cap is not None and self.daily_cap < 1:
            found["daily_cap"] = "At least 1 email per day."
        found.update(self._hours_problems())
        dkim = (self.dkim_domain, self.dkim_selector, self.dkim_key)
        if any(dkim) and not all(dkim):
            found["dkim"] = "Give --dkim-domain, --dkim-selector and --dkim-key-file together."
        if self.dkim_key and "PRIVATE KEY" not in self.dkim_key:
            found["dkim_key_file"] = "A PEM private key (RSA or Ed25519)."
        return found

    def _hours_problems(self) -> dict[str, str]:
        found: dict[str, str] = {}
        if self.sending_hours:
            m = _HOURS.match(self.sending_hours)
            ok = bool(m) and m is not None and int(m[1]) < 24 and int(m[3]) < 24
            ok = ok and m is not None and int(m[2]) < 60 and int(m[4]) < 60
            if not ok or (m and (m[1], m[2]) >= (m[3], m[4])):
                found["sending_hours"] = "HH:MM-HH:MM, the start before the end, e.g. 09:00-17:00."
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            found["time_zone"] = "An IANA time zone such as Europe/Lisbon."
        if not 0 <= self.jitter_seconds <= 3600:
            found["jitter_seconds"] = "From 0 to 3600 seconds."
        return found


def _valid_from(value: str) -> bool:
    name, address = parseaddr(value)
    if "@" not in address:
        return False
    try:
        Address(display_name=name, addr_spec=address)
    except (ValueError, IndexError):
        return False
    return True
