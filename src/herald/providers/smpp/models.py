"""What the SMPP connections must remember in the database besides the book of parts
(which messaging keeps for every channel, see herald.messaging.parts).

`mo_parts` holds the parts of a long message a person sent until the last part is in: each
part is stored before the SMSC is told it arrived, so a restart loses none.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from herald.kit.db import Base, UTCDateTime


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
