"""Routing tables: operator overrides of carrier detection by number prefix (numbers ported,
new ranges), carrier connections, and the routes that send messages over them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from herald.kit.db import Base, UTCDateTime


class CarrierPrefix(Base):
    __tablename__ = "carrier_prefixes"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)  # E.164 with '+'
    carrier: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BindMode(enum.StrEnum):
    TRANSCEIVER = "transceiver"
    TRANSMITTER_RECEIVER = "transmitter+receiver"


class Connection(Base):
    """A carrier connection an operator configured (today: an SMPP 3.4 account at an SMSC).
    The password is stored as given: Herald must present it to bind."""

    __tablename__ = "connections"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(16))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    system_id: Mapped[str] = mapped_column(String(16))
    password: Mapped[str] = mapped_column(String(64))
    system_type: Mapped[str] = mapped_column(String(13))
    tps: Mapped[int] = mapped_column(Integer)  # submit_sm per second on this connection
    window: Mapped[int] = mapped_column(Integer)  # submit_sm awaiting their response at most
    bind_mode: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Route(Base):
    """Messages matching (country, carrier, number prefix) go out over `connection_name`;
    an unset criterion matches everything. The most specific match wins; among equally
    specific routes the higher priority is tried first and the others are its failover."""

    __tablename__ = "routes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # By name, not by foreign key: the built-in SIMULATOR is a valid target too.
    connection_name: Mapped[str] = mapped_column(String(64), index=True)
    country_alpha2: Mapped[str | None] = mapped_column(String(2), nullable=True)
    carrier: Mapped[str | None] = mapped_column(String(64), nullable=True)
    prefix: Mapped[str | None] = mapped_column(String(16), nullable=True)
    priority: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
