"""Commands and views of the ledger, free of any wire format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from herald.interactions.handoff import RecordedEvent
from herald.interactions.types import InteractionType

MAX_BATCH = 10_000
MAX_EVENT_ID_LENGTH = 200


@dataclass(frozen=True)
class NewInteraction:
    """One validated event to append; ``index`` is its position in the request, for error reports."""

    index: int
    message_id: int
    contact_id: int
    type: InteractionType
    occurred_at: datetime
    event_id: str | None
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Rejection:
    index: int
    reason: str


@dataclass
class IngestResult:
    """What one ``record`` call did: the events it appended (``events``, in ingest order, as handed on to
    the ledger's subscribers), those it counted as duplicates and those it rejected."""

    recorded: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    events: list[RecordedEvent] = field(default_factory=list)


@dataclass(frozen=True)
class InteractionView:
    id: int
    message_id: int
    contact_id: int
    contact_email: str | None
    contact_phone: str | None
    type: str
    occurred_at: datetime
    event_id: str | None
    metadata: dict[str, Any]
    recorded_at: datetime


@dataclass(frozen=True)
class InteractionFilter:
    message_id: int | None = None
    contact_id: int | None = None
    type: InteractionType | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None


@dataclass(frozen=True)
class ReportQuery:
    """``count`` of one message's interactions of one type between two whole days of the account's zone,
    after the first ``skip`` of them in report order."""

    interaction_type: InteractionType
    from_date: date
    to_date: date
    skip: int
    count: int
    descending: bool


@dataclass(frozen=True)
class ReportRow:
    id: int
    contact_id: int
    contact_email: str | None
    occurred_s: int
    send_s: int | None


@dataclass(frozen=True)
class ReportSlice:
    rows: list[ReportRow]
    interaction_type: str
    total_rows: int
    timezone: str


@dataclass(frozen=True)
class FirstSendRow:
    """A contact's first ``sends`` row of a message."""

    interaction_id: int
    occurred_at: datetime
