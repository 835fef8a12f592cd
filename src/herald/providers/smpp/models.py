"""What the SMPP connections must remember in the database.

One Herald message goes out as N submit_sm parts, each with its own carrier message id and
its own delivery receipt. `message_parts` maps every part back to its message (so a receipt
of part 2 is never matched to part 1), remembers parts that were accepted before a retry
(so a throttled message never loses the mapping of the parts already sent), and marks parts
whose submit went unanswered (so sending them again is counted as a resend).
`part_receipts` holds receipts that arrived before the submit_sm_resp that names their id.
`mo_parts` holds the parts of a long message a person sent until the last part is in: each
part is stored before the SMSC is told it arrived, so a restart loses none.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from herald.kit.db import Base, UTCDateTime


class MessagePart(Base):
    __tablename__ = "message_parts"
    __table_args__ = (
        Index("ix_message_parts_carrier_ref", "provider_name", "carrier_message_id"),
        Index("ix_message_parts_open", "provider_name", "reported_at"),
    )

    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    part_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    parts_total: Mapped[int] = mapped_column(Integer)
    provider_name: Mapped[str] = mapped_column(String(64))
    # None while the submit of this part has no known answer.
    carrier_message_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    status: Mapped[str | None] = mapped_column(String(16), nullable=True)  # from its receipt
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    in_doubt: Mapped[bool] = mapped_column(Boolean, default=False)
    resends: Mapped[int] = mapped_column(Integer, default=0)
    # When the message's outcome was handed to settlement (or the message ended otherwise).
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PartReceipt(Base):
    __tablename__ = "part_receipts"
    __table_args__ = (Index("ix_part_receipts_ref", "provider_name", "carrier_message_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    provider_name: Mapped[str] = mapped_column(String(64))
    carrier_message_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MoPart(Base):
    __tablename__ = "mo_parts"
    __table_args__ = (
        # An SMSC that sends a part again (its deliver_sm_resp was lost) stores nothing new.
        UniqueConstraint(
            "provider_name",
            "source",
            "destination",
            "reference",
            "parts_total",
            "part_number",
            name="uq_mo_parts_part",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    provider_name: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))  # as the SMSC wrote them
    destination: Mapped[str] = mapped_column(String(32))
    reference: Mapped[int] = mapped_column(Integer)  # the UDH concatenation reference
    parts_total: Mapped[int] = mapped_column(Integer)
    part_number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
