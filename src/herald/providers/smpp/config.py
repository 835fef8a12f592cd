"""The settings of one SMPP connection: the account (from the connections table) and the
timers (from Settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SmppConfig:
    name: str
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    tps: int = 50
    window: int = 10
    bind_mode: str = "transceiver"  # or "transmitter+receiver"
    response_timeout: float = 10.0  # a submit_sm unanswered this long is in doubt
    enquire_link: float = 30.0  # seconds of silence before probing the SMSC
    reconnect_min: float = 0.5
    reconnect_max: float = 30.0
    # The longest one submit() may take; parts that could not leave by then are retried
    # later (never longer than a dispatch lease, so no other worker takes the batch over).
    submit_budget: float = 20.0
    purge_every: float = 300.0  # how often parts of replies that never completed are dropped
    redis_url: str | None = None  # shares the TPS limit across processes
