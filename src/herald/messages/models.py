"""Messages (email, SMS, MMS), their tags and their target and excluded lists and segments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from herald.db.base import Base, UTCDateTime, utcnow


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index(None, "account_id", "channel", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(8))
    type: Mapped[str] = mapped_column(String(32))
    sender: Mapped[str] = mapped_column(String(200), default="")
    campaign_description: Mapped[str] = mapped_column(String(500), default="")
    subject: Mapped[str | None] = mapped_column(String(500), default=None)
    body: Mapped[str] = mapped_column(Text, default="")
    google_analytics_tags: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    throttling_method: Mapped[str] = mapped_column(String(8), default="None")
    throttling_hours: Mapped[int | None] = mapped_column(Integer, default=None)
    status: Mapped[str] = mapped_column(String(16), default="Draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MessageTag(Base):
    """One tag of a message, in the order given; a table so that filtering by tag uses an index."""

    __tablename__ = "message_tags"
    __table_args__ = (Index(None, "tag", "message_id"),)

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    tag: Mapped[str] = mapped_column(String(200))


class MessageTarget(Base):
    """A list or segment a message goes to (``excluded`` false) or must skip (``excluded`` true)."""

    __tablename__ = "message_targets"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    target_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
