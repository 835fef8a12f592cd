"""Joining the parts of a concatenated mobile-originated message.

Parts are kept in memory until the last one arrives (or dropped after `max_age` seconds of
waiting); each part is acknowledged to the SMSC when it arrives, so a restart while parts
are waiting loses that one unfinished message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from herald.providers.smpp.deliveries import MobileOriginated


@dataclass(slots=True)
class _Pending:
    started: float
    texts: dict[int, str] = field(default_factory=dict)


class Reassembly:
    def __init__(self, max_age: float = 600.0) -> None:
        self._max_age = max_age
        self._pending: dict[tuple[str, str, int, int], _Pending] = {}

    def add(self, message: MobileOriginated) -> MobileOriginated | None:
        """The whole message once every part is in; None while parts are missing."""
        if message.concat is None:
            return message
        reference, total, number = message.concat
        now = time.monotonic()
        self._forget_older_than(now - self._max_age)
        key = (message.source, message.destination, reference, total)
        pending = self._pending.setdefault(key, _Pending(now))
        pending.texts[number] = message.text
        if len(pending.texts) < total:
            return None
        del self._pending[key]
        text = "".join(pending.texts[n] for n in sorted(pending.texts))
        return MobileOriginated(message.source, message.destination, text)

    def _forget_older_than(self, limit: float) -> None:
        for key in [k for k, p in self._pending.items() if p.started < limit]:
            del self._pending[key]
