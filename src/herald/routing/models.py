"""Routing tables: operator overrides of carrier detection by number prefix (numbers ported,
new ranges), carrier connections, and the routes that send messages over them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from herald.kit.db import Base, JSONType, UTCDateTime


class CarrierPrefix(Base):
    __tablename__ = "carrier_prefixes"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)  # E.164 with '+'
    carrier: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BindMode(enum.StrEnum):
    TRANSCEIVER = "transceiver"
    TRANSMITTER_RECEIVER = "transmitter+receiver"


class Connection(Base):
    """A carrier connection an operator configured: an SMPP 3.4 account at an SMSC (the
    columns below), or another channel's account (`type` names it) whose own settings live
    in `settings`. Secrets are stored as given: Herald must present them."""

    __tablename__ = "connections"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(16))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    system_id: Mapped[str] = mapped_column(String(16))
    password: Mapped[str] = mapped_column(String(64))
    system_type: Mapped[str] = mapped_column(String(13))
    tps: Mapped[int] = mapped_column(Integer)  # submissions per second on this connection
    window: Mapped[int] = mapped_column(Integer)  # submit_sm awaiting their response at most
    bind_mode: Mapped[str] = mapped_column(String(32))
    # The settings of a connection that is not SMPP (tokens, mailbox, ...), by its type.
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
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
    channel_type: Mapped[str] = mapped_column(String(16), default="SMS")  # of the messages
    country_alpha2: Mapped[str | None] = mapped_column(String(2), nullable=True)
    carrier: Mapped[str | None] = mapped_column(String(64), nullable=True)
    prefix: Mapped[str | None] = mapped_column(String(16), nullable=True)
    priority: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
