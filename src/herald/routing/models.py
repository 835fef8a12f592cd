"""Operator overrides of carrier detection, by number prefix (numbers ported, new ranges)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from herald.kit.db import Base, UTCDateTime


class CarrierPrefix(Base):
    __tablename__ = "carrier_prefixes"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)  # E.164 with '+'
    carrier: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
