"""The interaction ledger (append-only, one row per event) and the counters that make reports cheap.

Reports order rows by (``occurred_s``, ``id``): the second shown to clients, then the ingest sequence.
Two counter tables let a page number become a narrow index seek without ``OFFSET`` over the whole set and
give totals without ``COUNT(*)``; both are written in the same transaction as the rows they count:

* ``interaction_day_counts``: events per (message, type, UTC day), so long ranges sum few rows.
* ``interaction_counts``: events per (message, type, 15-minute bucket). Every time zone in use today is a
  whole number of quarter hours from UTC, so a report's day boundaries fall on bucket boundaries.
* ``interaction_minute_counts``: events per (message, type, minute), between the two.
* ``interaction_fine_counts``: events per (message, type, second, block of 1024 ids). Inside one bucket the
  page's first row is found by summing these, then skipping fewer than 1024 rows in the index.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from herald.db.base import Base, BigIntId, UTCDateTime, utcnow

DAY_SECONDS = 86_400
BUCKET_SECONDS = 900
MINUTE_SECONDS = 60
BLOCK_IDS = 1024


class Interaction(Base):
    __tablename__ = "interactions"
    __table_args__ = (
        # Covering for the report page: its rows are read from the index alone, in order, so a page of
        # rows scattered over a month costs what a page of neighbours does (no table lookup per row).
        Index(
            "ix_interactions_report", "message_id", "type", "occurred_s", "id", "contact_id", "contact_email"
        ),
        Index("ix_interactions_account_seq", "account_id", "id"),
        Index("ix_interactions_message_seq", "message_id", "id"),
        Index("ix_interactions_contact_seq", "contact_id", "id"),
        UniqueConstraint("account_id", "event_id"),
        # Ids are the ingest sequence that clients page on: never reuse one, even after deletes.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    # No foreign key: the ledger is append-only history and outlives a deleted contact (its email and
    # phone are copied onto each row for that reason).
    contact_id: Mapped[int] = mapped_column(Integer)
    contact_email: Mapped[str | None] = mapped_column(String(320), default=None)
    contact_phone: Mapped[str | None] = mapped_column(String(16), default=None)
    type: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    occurred_s: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[str | None] = mapped_column(String(200), default=None)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InteractionDayCount(Base):
    """Events per (message, type, UTC day): a month-long range is 30 rows, not 2,880 buckets."""

    __tablename__ = "interaction_day_counts"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    day_s: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class InteractionCount(Base):
    __tablename__ = "interaction_counts"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    bucket_s: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class InteractionMinuteCount(Base):
    """Events per (message, type, minute): a dense quarter hour is walked as 15 rows, then at most 60
    seconds of cells, instead of every cell of the quarter hour."""

    __tablename__ = "interaction_minute_counts"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    minute_s: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class InteractionFineCount(Base):
    __tablename__ = "interaction_fine_counts"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    second_s: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    block: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class FirstSend(Base):
    """Each contact's first ``sends`` time per message: the ``send_date`` of every report row."""

    __tablename__ = "first_sends"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_send_s: Mapped[int] = mapped_column(BigInteger)
