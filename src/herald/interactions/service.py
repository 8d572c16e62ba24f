"""The ledger's behaviour: append events with their counters and hand them on, look them up and list them.

The report's paging over the counters lives in ``report.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from herald.contacts import service as contacts_service
from herald.db import dialect
from herald.db.base import utcnow
from herald.interactions import handoff, repository
from herald.interactions.models import BLOCK_IDS, BUCKET_SECONDS, DAY_SECONDS, MINUTE_SECONDS, Interaction
from herald.interactions.records import (
    FirstSendRow,
    IngestResult,
    InteractionView,
    NewInteraction,
    Recorded,
    RecordedEvent,
    Rejection,
)
from herald.interactions.schemas import InteractionFilter
from herald.messages import service as messages_service


def record(
    session: Session, *, account_id: int, events: Sequence[NewInteraction], rejected: Sequence[Rejection] = ()
) -> IngestResult:
    """Append events to the ledger with their counters and first-send times, and hand what was recorded
    on to the ledger's subscribers (the webhook outbox, ...) in the caller's transaction: an event never
    commits without what it causes. Returns what was recorded (``result.events``).

    Idempotent per ``event_id``: an id seen before (in the ledger or earlier in the batch) counts as a
    duplicate and is stored once. Events naming another account's message or contact are rejected.
    Writers of one account are serialized, so ingest ids become visible in order (see ``serialize_writers``).
    """
    result = IngestResult(rejected=list(rejected))
    if not events:
        return result
    dialect.serialize_writers(session, scope="ingest", key=account_id)
    messages = messages_service.channels_of_account(
        session, account_id=account_id, ids=(e.message_id for e in events)
    )
    contacts = contacts_service.addresses_of_account(
        session, account_id=account_id, ids=(e.contact_id for e in events)
    )
    seen = repository.existing_event_ids(
        session, account_id=account_id, event_ids=(e.event_id for e in events if e.event_id is not None)
    )
    accepted: list[NewInteraction] = []
    for event in events:
        if event.message_id not in messages:
            result.rejected.append(Rejection(event.index, f"message_id {event.message_id} not found"))
        elif event.contact_id not in contacts:
            result.rejected.append(Rejection(event.index, f"contact_id {event.contact_id} not found"))
        elif event.event_id is not None and event.event_id in seen:
            result.duplicates += 1
        else:
            if event.event_id is not None:
                seen.add(event.event_id)
            accepted.append(event)
    result.rejected.sort(key=lambda r: r.index)
    now = utcnow()
    rows: list[tuple[Any, ...]] = []
    for event in accepted:
        email, phone = contacts[event.contact_id]
        rows.append(
            (
                account_id,
                event.message_id,
                event.contact_id,
                email,
                phone,
                str(event.type),
                event.occurred_at,
                int(event.occurred_at.timestamp() // 1),
                event.event_id,
                event.metadata,
                now,
            )
        )
    ids = repository.append(session, rows)
    _count(session, accepted, ids)
    result.recorded = len(ids)
    result.ids = ids
    result.events = [
        RecordedEvent(
            interaction_id=row_id,
            message_id=event.message_id,
            contact_id=event.contact_id,
            type=str(event.type),
            channel=messages[event.message_id],
            occurred_at=event.occurred_at,
        )
        for event, row_id in zip(accepted, ids, strict=True)
    ]
    handoff.hand_on(session, Recorded(account_id=account_id, events=result.events))
    return result


def _count(session: Session, events: Sequence[NewInteraction], ids: Sequence[int]) -> None:
    days: Counter[tuple[int, str, int]] = Counter()
    buckets: Counter[tuple[int, str, int]] = Counter()
    minutes: Counter[tuple[int, str, int]] = Counter()
    cells: Counter[tuple[int, str, int, int]] = Counter()
    first: dict[tuple[int, int], int] = {}
    for event, row_id in zip(events, ids, strict=True):
        second = int(event.occurred_at.timestamp() // 1)
        kind = str(event.type)
        days[(event.message_id, kind, second - second % DAY_SECONDS)] += 1
        buckets[(event.message_id, kind, second - second % BUCKET_SECONDS)] += 1
        minutes[(event.message_id, kind, second - second % MINUTE_SECONDS)] += 1
        cells[(event.message_id, kind, second, row_id // BLOCK_IDS)] += 1
        if kind == "sends":
            key = (event.message_id, event.contact_id)
            if key not in first or second < first[key]:
                first[key] = second
    repository.add_counts(
        session,
        day_rows=[(*key, n) for key, n in days.items()],
        coarse_rows=[(*key, n) for key, n in buckets.items()],
        minute_rows=[(*key, n) for key, n in minutes.items()],
        fine_rows=[(*key, n) for key, n in cells.items()],
    )
    repository.keep_first_sends(session, [(*key, second) for key, second in first.items()])


def list_interactions(
    session: Session, *, account_id: int, where: InteractionFilter, after_id: int | None, limit: int
) -> list[InteractionView]:
    """Up to ``limit + 1`` rows in ingest order after ``after_id`` (one extra tells a next page exists)."""
    rows = repository.list_after(session, account_id=account_id, where=where, after_id=after_id, limit=limit)
    return [_view(row[0]) for row in rows]


def get_interaction(session: Session, *, account_id: int, interaction_id: int) -> InteractionView | None:
    """One ledger row of the account, or None (also for another account's id)."""
    row = repository.row(session, interaction_id=interaction_id)
    return _view(row) if row is not None and row.account_id == account_id else None


def events_by_id(session: Session, *, ids: Sequence[int]) -> dict[int, InteractionView]:
    """Ledger rows by id, whatever their account: for consumers that hold ids from their own
    account-scoped rows (webhook deliveries). Ids no longer in the ledger are absent."""
    return {row.id: _view(row) for row in repository.rows(session, ids=ids)}


def first_sends(session: Session, *, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], FirstSendRow]:
    """The first ``sends`` row of each (message, contact) that has one: its id and time."""
    return {
        pair: FirstSendRow(interaction_id=row_id, occurred_at=at)
        for pair, (row_id, at) in repository.first_send_rows(session, pairs).items()
    }


def first_send_seconds(
    session: Session, *, message_ids: Sequence[int], from_s: int | None = None, to_s: int | None = None
) -> dict[int, int]:
    """Each message's earliest ``sends`` time (epoch seconds) in ``[from_s, to_s)``; messages without a
    send there are absent. One index seek per message, however many sends it has."""
    return repository.first_send_seconds(session, message_ids=message_ids, from_s=from_s, to_s=to_s)


def _view(row: Interaction) -> InteractionView:
    return InteractionView(
        id=row.id,
        message_id=row.message_id,
        contact_id=row.contact_id,
        contact_email=row.contact_email,
        contact_phone=row.contact_phone,
        type=row.type,
        occurred_at=row.occurred_at,
        event_id=row.event_id,
        metadata=row.meta,
        recorded_at=row.recorded_at,
    )


def rebuild_counters(session: Session, *, message_id: int) -> None:
    """Recompute one message's counters from its ledger rows (after a bulk load or to repair)."""
    repository.rebuild_derived(session, message_id=message_id)


def report_totals(session: Session) -> dict[tuple[int, str], int]:
    """Every message's report total per interaction type, as the report computes it (from the counters)."""
    return repository.counter_totals(session)


def ledger_totals(session: Session) -> dict[tuple[int, str], int]:
    """Every message's ledger rows per interaction type, counted (a full scan: for checks, not requests)."""
    return repository.row_totals(session)
