"""One Settings object for the whole process, read from HERALD_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    redis_url: str | None = None

    # Work queue tuning.
    dispatch_batch_size: int = 200
    lease_seconds: float = 60.0
    idle_poll_seconds: float = 0.2

    # Built-in carrier simulator.
    simulator_submit_latency_ms: float = 5.0
    simulator_receipt_delay_ms: float = 500.0

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'herald.sqlite').resolve()}"
