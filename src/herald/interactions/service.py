"""The ledger's behaviour: append events (with their counters), list them, and page the report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from herald.db import dialect
from herald.db.base import utcnow
from herald.errors import NotFound
from herald.interactions import repository
from herald.interactions.models import BLOCK_IDS, BUCKET_SECONDS, DAY_SECONDS, MINUTE_SECONDS, Interaction
from herald.interactions.schemas import (
    IngestResult,
    InteractionFilter,
    InteractionView,
    NewInteraction,
    Rejection,
    ReportPage,
    ReportQuery,
    ReportRow,
)
from herald.timezones import day_window
from herald.webhooks import service as webhooks_service
from herald.webhooks.schemas import NewEvent

REPORT_PAGE_SIZE = 100


def record(
    session: Session, *, account_id: int, events: Sequence[NewInteraction], rejected: Sequence[Rejection] = ()
) -> IngestResult:
    """Append events to the ledger with their counters, first-send times and webhook deliveries (the
    outbox), in the caller's transaction: an event never commits without its deliveries.

    Idempotent per ``event_id``: an id seen before (in the ledger or earlier in the batch) counts as a
    duplicate and is stored once. Events naming another account's message or contact are rejected.
    Writers of one account are serialized, so ingest ids become visible in order (see ``serialize_writers``).
    """
    result = IngestResult(rejected=list(rejected))
    if not events:
        return result
    dialect.serialize_writers(session, scope="ingest", key=account_id)
    messages = repository.messages_of_account(
        session, account_id=account_id, ids=(e.message_id for e in events)
    )
    contacts = repository.contacts_of_account(
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
    webhooks_service.enqueue_deliveries(
        session,
        account_id=account_id,
        events=[
            NewEvent(interaction_id=row_id, type=str(event.type), message_id=event.message_id)
            for event, row_id in zip(accepted, ids, strict=True)
        ],
        channels=messages,
    )
    result.recorded = len(ids)
    result.ids = ids
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


# Where an open-ended range stops: the end of year 9999.
END_OF_TIME_S = 253_402_300_800


def day_bounds(first: date, last: date, timezone: str) -> tuple[int, int]:
    """Epoch seconds of [start of ``first``, start of the day after ``last``) in ``timezone``."""
    lo, hi = day_window(first, last, timezone)
    assert lo is not None
    return lo, END_OF_TIME_S if hi is None else hi


def report_page(
    session: Session, *, account_id: int, timezone: str, message_id: int, query: ReportQuery
) -> ReportPage:
    """One page of a message's interactions of one type, in (interaction second, id) order.

    Totals come from the counters and the page's first row is found by walking them, so every page costs
    about the same whatever its number: four statements, none of which counts ledger rows. Read-only.
    Raises NotFound for a message of another account.
    """
    if not repository.owns_message(session, account_id=account_id, message_id=message_id):
        raise NotFound("message not found")
    lo, hi = day_bounds(query.from_date, query.to_date, timezone)
    kind = str(query.interaction_type)
    parts: list[tuple[int, list[tuple[int, ...]]]] = [
        (level, _LEVELS[level][1](session, message_id=message_id, kind=kind, lo=a, hi=b))
        for a, b, level in _parts(lo, hi)
    ]
    total = sum(unit[-1] for _, units in parts for unit in units)
    skip = (query.page - 1) * REPORT_PAGE_SIZE
    rows: list[ReportRow] = []
    if skip < total:
        rows = _seek_page(
            session,
            message_id=message_id,
            kind=kind,
            parts=parts,
            skip=skip,
            lo=lo,
            hi=hi,
            descending=query.descending,
        )
    return ReportPage(
        rows=rows,
        interaction_type=kind,
        page=query.page,
        page_size=REPORT_PAGE_SIZE,
        total_rows=total,
        timezone=timezone,
    )


# Counter levels, coarsest first: (seconds a unit covers, how to read the units of a range). The last
# level's units are (second, id block, events) cells; the others' are (start, events).
_LEVELS: tuple[tuple[int, Any], ...] = (
    (DAY_SECONDS, repository.day_units),
    (BUCKET_SECONDS, repository.buckets),
    (MINUTE_SECONDS, repository.minute_units),
    (1, repository.cells),
)
_CELL_LEVEL = len(_LEVELS) - 1


def _parts(lo: int, hi: int, level: int = 0) -> list[tuple[int, int, int]]:
    """Cover [lo, hi) with whole units of the coarsest level that fits, finer levels at the ragged ends."""
    if lo >= hi:
        return []
    if level == _CELL_LEVEL:
        return [(lo, hi, level)]
    width = _LEVELS[level][0]
    inner_lo = -(-lo // width) * width
    inner_hi = hi // width * width
    if inner_lo >= inner_hi:
        return _parts(lo, hi, level + 1)
    return [*_parts(lo, inner_lo, level + 1), (inner_lo, inner_hi, level), *_parts(inner_hi, hi, level + 1)]


def _walk(units: list[tuple[int, ...]], skip: int, descending: bool) -> tuple[tuple[int, ...], int] | int:
    """The unit holding the row after ``skip`` rows and the rows left to skip inside it, or the rows
    still to skip after all of ``units``."""
    for unit in reversed(units) if descending else units:
        size = unit[-1]
        if skip < size:
            return unit, skip
        skip -= size
    return skip


def _seek_page(
    session: Session,
    *,
    message_id: int,
    kind: str,
    parts: list[tuple[int, list[tuple[int, ...]]]],
    skip: int,
    lo: int,
    hi: int,
    descending: bool,
) -> list[ReportRow]:
    for level, units in reversed(parts) if descending else parts:
        found = _walk(units, skip, descending)
        if isinstance(found, int):
            skip = found
            continue
        unit, skip = found
        while level < _CELL_LEVEL:
            start, width = unit[0], _LEVELS[level][0]
            level += 1
            inside = _LEVELS[level][1](session, message_id=message_id, kind=kind, lo=start, hi=start + width)
            deeper = _walk(inside, skip, descending)
            if isinstance(deeper, int):
                return []  # the levels disagree; rebuild_counters repairs them
            unit, skip = deeper
        second, block, _ = unit
        raw = repository.page_rows(
            session,
            message_id=message_id,
            kind=kind,
            second=second,
            block=block,
            skip=skip,
            bound=lo if descending else hi,
            count=REPORT_PAGE_SIZE,
            descending=descending,
        )
        return [
            ReportRow(id=i, contact_id=c, contact_email=e, occurred_s=s, send_s=f) for i, c, e, s, f in raw
        ]
    return []


def rebuild_counters(session: Session, *, message_id: int) -> None:
    """Recompute one message's counters from its ledger rows (after a bulk load or to repair)."""
    repository.rebuild_derived(session, message_id=message_id)
