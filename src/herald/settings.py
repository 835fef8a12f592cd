"""One Settings object for the whole process, read from HERALD_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from herald.messaging.encoding import DEFAULT_MAX_SEGMENTS

WORKER_GROUPS = ("expand", "dispatch", "webhooks", "outreach", "voice", "housekeeping")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HERALD_", extra="ignore")

    data_dir: Path = Path(".herald")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; defaults to a SQLite file in data_dir.",
    )
    host: str = "127.0.0.1"
    port: int = 8080
    run_workers: bool = True
    log_format: str = "console"

    # Rate limit of POST /c/v1/campaigns/batch per API key (seed 003: 10 per minute).
    batch_rate_limit: str = "10/minute"
    # Every other API route, per API key and route class (reads, writes).
    read_rate_limit: str = "600/minute"
    write_rate_limit: str = "120/minute"
    # Requests that carry no valid key, per client address (guessing keys stays slow).
    unauthenticated_rate_limit: str = "60/minute"
    # Rate-limit counters in Redis, shared by every process (in memory when unset).
    redis_url: str | None = None

    # Most SMS segments one message may take (carriers cap concatenation); longer content
    # is refused with 422 wherever it is given.
    max_segments: int = Field(default=DEFAULT_MAX_SEGMENTS, ge=1, le=255)

    # Idempotency-Key: how long the first response to a POST is replayed.
    idempotency_ttl_hours: float = 24.0

    # Webhooks. Networks that endpoints may reach although not public, comma-separated
    # (e.g. "127.0.0.0/8,::1" for local development); by default only public addresses.
    webhook_allow_networks: str = ""
    webhook_timeout_seconds: float = 10.0
    webhook_retry_hours: float = 72.0
    webhook_disable_after_hours: float = 72.0
    webhook_concurrency: int = 8
    webhook_batch_size: int = 50

    # Work queue tuning.
    dispatch_batch_size: int = 200
    # Dispatch loops per process: while one waits for its batch's answers, another claims
    # and records, so that a carrier link never idles between batches. More than one costs
    # API latency when the API shares the process (one interpreter, one SQLite writer).
    dispatch_loops: int = 1
    # Which work this process's workers do: "all", or some of WORKER_GROUPS, e.g. "dispatch"
    # on the machines that bind to carriers and "expand,webhooks,outreach,voice,housekeeping"
    # beside the API. "dispatch" includes the carrier connections.
    worker_loops: str = "all"
    # How often a running Herald looks for added, removed or changed carrier connections.
    connection_refresh_seconds: float = 5.0
    # Email: where people reach this Herald (the one-click unsubscribe link in each email;
    # unset: http://HOST:PORT), and how often each mailbox's INBOX is read for replies and
    # bounces.
    public_url: str | None = None
    email_poll_seconds: float = 30.0
    lease_seconds: float = 60.0
    idle_poll_seconds: float = 0.2

    # Outreach campaigns: leads advanced per sequencer turn; the most messages one sender ID
    # may send per UTC day over all outreach campaigns (unset: no cap; a campaign's own
    # dailySendCap applies too, the lower wins).
    outreach_batch_size: int = 200
    outreach_sender_daily_cap: int | None = None

    # Voice campaigns: calls started per dial round at most; the built-in voice simulator's
    # seed (same seed, same calls) and its speed (1.0 = real time, 0.01 = 100x faster).
    voice_dial_batch_size: int = 1000
    voice_sim_seed: int = 0
    voice_sim_time_scale: float = 1.0
    # SIP trunks: the address we signal and receive RTP on (the trunk must reach it), and
    # how long a call may ring before our CANCEL.
    sip_local_host: str = "127.0.0.1"
    sip_ring_timeout_seconds: float = 30.0
    # Names this process's dialer on the calls it places, so that after a crash the restarted
    # process settles its own calls at once (see herald.kit.node). Unset: derived from the
    # host name, persisted in data_dir, one per live process sharing that data_dir.
    node_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")

    # Built-in carrier simulator.
    simulator_submit_latency_ms: float = 5.0
    simulator_receipt_delay_ms: float = 500.0

    # SMPP carrier connections (`herald connection add`): timers every connection uses.
    smpp_response_timeout_seconds: float = 10.0
    smpp_enquire_link_seconds: float = 30.0
    smpp_reconnect_max_seconds: float = 30.0

    # Replies: a message that is one of these words and nothing else opts its sender out of
    # (or back into) the tenant's messages. JSON in the environment, e.g.
    # HERALD_OPT_OUT_KEYWORDS_BY_COUNTRY='{"ES": ["BAJA"]}'.
    opt_out_keywords: list[str] = Field(
        default_factory=lambda: ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]
    )
    opt_in_keywords: list[str] = Field(default_factory=lambda: ["START", "UNSTOP"])
    opt_out_keywords_by_country: dict[str, list[str]] = Field(
        default_factory=lambda: {
            country: ["PARAR", "SAIR", "CANCELAR"]
            for country in ("AO", "BR", "CV", "GW", "MZ", "PT", "ST", "TL")
        }
    )

    @field_validator("worker_loops")
    @classmethod
    def _known_groups(cls, value: str) -> str:
        unknown = set(_groups(value)) - set(WORKER_GROUPS)
        if unknown:
            known = ", ".join(("all", *WORKER_GROUPS))
            raise ValueError(f"unknown worker loops {sorted(unknown)}; known: {known}")
        return value

    @property
    def worker_groups(self) -> frozenset[str]:
        return frozenset(_groups(self.worker_loops))

    @property
    def effective_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'herald.sqlite').resolve()}"


def _groups(value: str) -> list[str]:
    names = [n.strip().lower() for n in value.split(",") if n.strip()]
    return list(WORKER_GROUPS) if names == ["all"] else names
