"""The settings of one SIP trunk: the account (from the voice_trunks table) and the timers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class TrunkConfig:
    name: str
    host: str
    port: int = 5060
    transport: str = "udp"  # or "tcp"
    username: str | None = None
    password: str | None = None
    from_domain: str | None = None
    max_channels: int = 30
    cps: int = 10
    local_host: str = "127.0.0.1"  # the address we signal and receive media on
    ring_timeout: float = 30.0  # no answer by then: CANCEL, NO_ANSWER
    # How long place() waits for the trunk's first answer to an INVITE, so that a refusal
    # (5xx: try later; 4xx: failed) is known before the call counts as placed.
    first_answer_timeout: float = 2.0
    retry_after: float = 30.0  # after a 5xx without Retry-After
    # RFC 3261 T1, the round-trip estimate UDP retransmissions start from (Timer B = 64*T1).
    t1: float = 0.5
    data_dir: Path | None = None  # cache of rendered prompts (tts/); None: no cache

    @property
    def domain(self) -> str:
        return self.from_domain or self.host
