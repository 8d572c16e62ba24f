"""Commands of the ledger, free of any wire format (its bulk records are in ``records.py``)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from herald.interactions.types import InteractionType

MAX_BATCH = 10_000
MAX_EVENT_ID_LENGTH = 200


class InteractionFilter(BaseModel):
    """Which rows a listing shows; every given condition must hold."""

    model_config = ConfigDict(frozen=True)

    message_id: int | None = None
    contact_id: int | None = None
    type: InteractionType | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None


class ReportQuery(BaseModel):
    """``count`` of one message's interactions of one type between two whole days of the account's zone,
    after the first ``skip`` of them in report order."""

    model_config = ConfigDict(frozen=True)

    interaction_type: InteractionType
    from_date: date
    to_date: date
    skip: int
    count: int
    descending: bool
