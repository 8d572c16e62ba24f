"""All SQL of the ledger: appends, counters, listings and the report's seeks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    Table,
    and_,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from herald.db import dialect
from herald.interactions.models import (
    BLOCK_IDS,
    BUCKET_SECONDS,
    DAY_SECONDS,
    MINUTE_SECONDS,
    FirstSend,
    Interaction,
    InteractionCount,
    InteractionDayCount,
    InteractionFineCount,
    InteractionMinuteCount,
)
from herald.interactions.schemas import InteractionFilter
from herald.interactions.types import InteractionType
from herald.types import chunked

CHUNK = 10_000  # ids per lookup; each lookup passes them as one parameter (dialect.member_of)
SENDS = InteractionType.SENDS.value
FIRST_SEND_CHUNK = 200  # message ids per statement: below SQLite's 500 terms of one compound select

ledger = cast(Table, Interaction.__table__)
days = cast(Table, InteractionDayCount.__table__)
coarse = cast(Table, InteractionCount.__table__)
minutes = cast(Table, InteractionMinuteCount.__table__)
fine = cast(Table, InteractionFineCount.__table__)
first_sends = cast(Table, FirstSend.__table__)


def existing_event_ids(session: Session, *, account_id: int, event_ids: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunked(sorted(set(event_ids)), CHUNK):
        found.update(
            session.scalars(
                select(Interaction.event_id).where(
                    Interaction.account_id == account_id,
                    dialect.member_of(session, Interaction.event_id, chunk),
                )
            )
        )
    return found


# What ``append`` takes per row, in this order (the id is added by ``append``).
LEDGER_COLUMNS = (
    "account_id",
    "message_id",
    "contact_id",
    "contact_email",
    "contact_phone",
    "type",
    "occurred_at",
    "occurred_s",
    "event_id",
    "metadata",
    "recorded_at",
)


def append(session: Session, rows: Sequence[tuple[Any, ...]]) -> list[int]:
    """Insert ledger rows (values in ``LEDGER_COLUMNS`` order) and return their ids, in the same order.

    Ids are reserved first and written explicitly, so the batch goes in through the driver's bulk path.
    """
    if not rows:
        return []
    ids = dialect.allocate_ids(session, ledger, len(rows))
    dialect.bulk_insert(
        session,
        ledger,
        ("id", *LEDGER_COLUMNS),
        [(row_id, *row) for row, row_id in zip(rows, ids, strict=True)],
    )
    return ids


def add_counts(
    session: Session,
    *,
    day_rows: Sequence[tuple[Any, ...]],
    coarse_rows: Sequence[tuple[Any, ...]],
    minute_rows: Sequence[tuple[Any, ...]],
    fine_rows: Sequence[tuple[Any, ...]],
) -> None:
    dialect.add_to_counters(session, days, keys=("message_id", "type", "day_s"), column="n", rows=day_rows)
    dialect.add_to_counters(
        session, coarse, keys=("message_id", "type", "bucket_s"), column="n", rows=coarse_rows
    )
    dialect.add_to_counters(
        session, minutes, keys=("message_id", "type", "minute_s"), column="n", rows=minute_rows
    )
    dialect.add_to_counters(
        session, fine, keys=("message_id", "type", "second_s", "block"), column="n", rows=fine_rows
    )


def keep_first_sends(session: Session, rows: Sequence[tuple[int, int, int]]) -> None:
    dialect.keep_minimum(
        session, first_sends, keys=("message_id", "contact_id"), column="first_send_s", rows=rows
    )


def list_after(
    session: Session, *, account_id: int, where: InteractionFilter, after_id: int | None, limit: int
) -> Sequence[Row[Any]]:
    """Rows of the account in ingest order (id), after ``after_id``; ``limit + 1`` to tell if more exist."""
    conditions: list[ColumnElement[bool]] = [ledger.c.account_id == account_id]
    if after_id is not None:
        conditions.append(ledger.c.id > after_id)
    if where.message_id is not None:
        conditions.append(ledger.c.message_id == where.message_id)
    if where.contact_id is not None:
        conditions.append(ledger.c.contact_id == where.contact_id)
    if where.type is not None:
        conditions.append(ledger.c.type == where.type.value)
    if where.occurred_from is not None:
        conditions.append(ledger.c.occurred_at >= where.occurred_from)
    if where.occurred_to is not None:
        conditions.append(ledger.c.occurred_at < where.occurred_to)
    statement = select(Interaction).where(and_(*conditions)).order_by(ledger.c.id).limit(limit + 1)
    return session.execute(statement).all()


def row(session: Session, *, interaction_id: int) -> Interaction | None:
    return session.get(Interaction, interaction_id) if 1 <= interaction_id < 2**63 else None


def rows(session: Session, *, ids: Sequence[int]) -> list[Interaction]:
    found: list[Interaction] = []
    for chunk in chunked(sorted(set(ids)), CHUNK):
        found.extend(
            session.scalars(select(Interaction).where(dialect.member_of(session, Interaction.id, chunk)))
        )
    return found


def first_send_rows(session: Session, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, Any]]:
    """The first ``sends`` row (id, occurred_at) of each (message, contact). One short seek of the
    (contact_id, id) index per pair, whatever the planner knows about the table."""
    found: dict[tuple[int, int], tuple[int, Any]] = {}
    for message_id, contact_id in pairs:
        first = session.execute(
            select(Interaction.id, Interaction.occurred_at)
            .where(
                Interaction.contact_id == contact_id,
                Interaction.message_id == message_id,
                Interaction.type == SENDS,
            )
            .order_by(Interaction.id)
            .limit(1)
        ).first()
        if first is not None:
            found[(message_id, contact_id)] = (int(first[0]), first[1])
    return found


def first_send_seconds(
    session: Session, *, message_ids: Sequence[int], from_s: int | None, to_s: int | None
) -> dict[int, int]:
    """Each message's earliest ``sends`` second with ``from_s <= occurred_s < to_s``.

    One statement per chunk of ids; each message's value is a correlated ``ORDER BY occurred_s LIMIT 1``
    subquery over the ids (a ``UNION ALL`` of one-row selects, which both databases accept as a derived
    table), i.e. one seek in ``ix_interactions_report`` (message_id, type, occurred_s, id) on both
    databases, however many sends the message has.
    """
    result: dict[int, int] = {}
    for chunk in chunked(sorted({i for i in message_ids if 1 <= i < 2**63}), FIRST_SEND_CHUNK):
        wanted = union_all(*(select(literal(i, BigInteger).label("message_id")) for i in chunk)).subquery(
            "wanted"
        )
        first = (
            select(Interaction.occurred_s)
            .where(Interaction.message_id == wanted.c.message_id, Interaction.type == SENDS)
            .order_by(Interaction.occurred_s)
            .limit(1)
        )
        if from_s is not None:
            first = first.where(Interaction.occurred_s >= from_s)
        if to_s is not None:
            first = first.where(Interaction.occurred_s < to_s)
        seconds = first.correlate(wanted).scalar_subquery()
        for message_id, second in session.execute(select(wanted.c.message_id, seconds)):
            if second is not None:
                result[int(message_id)] = int(second)
    return result


_LAST_ID = "SELECT max(id) FROM interactions WHERE message_id = :message_id"


def last_id(session: Session, *, message_id: int) -> int:
    """The message's newest ledger id (0 without rows): one seek of ``ix_interactions_message_seq``."""
    rows = dialect.fetch_all(session, _LAST_ID, {"message_id": message_id})
    return int(rows[0][0] or 0) if rows else 0


# --- the report ----------------------------------------------------------------------------------------
# Plain SQL, compiled once: a report page runs these four statements and nothing else.

_DAYS = (
    "SELECT day_s, n FROM interaction_day_counts"
    " WHERE message_id = :message_id AND type = :kind AND day_s >= :lo AND day_s < :hi"
    " ORDER BY day_s"
)
_BUCKETS = (
    "SELECT bucket_s, n FROM interaction_counts"
    " WHERE message_id = :message_id AND type = :kind AND bucket_s >= :lo AND bucket_s < :hi"
    " ORDER BY bucket_s"
)
_MINUTES = (
    "SELECT minute_s, n FROM interaction_minute_counts"
    " WHERE message_id = :message_id AND type = :kind AND minute_s >= :lo AND minute_s < :hi"
    " ORDER BY minute_s"
)
_CELLS = (
    "SELECT second_s, block, n FROM interaction_fine_counts"
    " WHERE message_id = :message_id AND type = :kind AND second_s >= :lo AND second_s < :hi"
    " ORDER BY second_s, block"
)
_PAGE = (
    "SELECT page.id, page.contact_id, page.contact_email, page.occurred_s, first_sends.first_send_s"
    " FROM (SELECT id, contact_id, contact_email, occurred_s FROM interactions"
    "       WHERE message_id = :message_id AND type = :kind AND {start} AND {far}"
    "       ORDER BY {order} LIMIT :count OFFSET :skip) AS page"
    " LEFT JOIN first_sends"
    "   ON first_sends.message_id = :message_id AND first_sends.contact_id = page.contact_id"
    " ORDER BY {page_order}"
)
_PAGE_ASCENDING = _PAGE.format(
    start="(occurred_s, id) >= (:second, :first_id)",
    far="occurred_s < :bound",
    order="occurred_s, id",
    page_order="page.occurred_s, page.id",
)
_PAGE_DESCENDING = _PAGE.format(
    start="(occurred_s, id) <= (:second, :first_id)",
    far="occurred_s >= :bound",
    order="occurred_s DESC, id DESC",
    page_order="page.occurred_s DESC, page.id DESC",
)


def day_units(session: Session, *, message_id: int, kind: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """(UTC day start, events) of the whole days in [lo, hi), oldest first."""
    if lo >= hi:
        return []
    rows = dialect.fetch_all(session, _DAYS, {"message_id": message_id, "kind": kind, "lo": lo, "hi": hi})
    return cast(list[tuple[int, int]], rows)


def buckets(session: Session, *, message_id: int, kind: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """(bucket start, events) of the whole buckets in [lo, hi), oldest first."""
    if lo >= hi:
        return []
    rows = dialect.fetch_all(session, _BUCKETS, {"message_id": message_id, "kind": kind, "lo": lo, "hi": hi})
    return cast(list[tuple[int, int]], rows)


def minute_units(session: Session, *, message_id: int, kind: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """(minute start, events) of the whole minutes in [lo, hi), oldest first."""
    if lo >= hi:
        return []
    rows = dialect.fetch_all(session, _MINUTES, {"message_id": message_id, "kind": kind, "lo": lo, "hi": hi})
    return cast(list[tuple[int, int]], rows)


def cells(session: Session, *, message_id: int, kind: str, lo: int, hi: int) -> list[tuple[int, int, int]]:
    """(second, id block, events) of the cells in [lo, hi), in report order."""
    if lo >= hi:
        return []
    rows = dialect.fetch_all(session, _CELLS, {"message_id": message_id, "kind": kind, "lo": lo, "hi": hi})
    return cast(list[tuple[int, int, int]], rows)


def page_rows(
    session: Session,
    *,
    message_id: int,
    kind: str,
    second: int,
    block: int,
    skip: int,
    bound: int,
    count: int,
    descending: bool,
) -> list[tuple[int, int, str | None, int, int | None]]:
    """``count`` rows in report order from ``skip`` rows into a cell (skip < BLOCK_IDS), up to ``bound``,
    each with its contact's first send: (id, contact_id, contact_email, occurred_s, first_send_s).

    ``bound`` is the range's far end: exclusive ``hi`` ascending, inclusive ``lo`` descending.
    """
    first_id = block * BLOCK_IDS + (BLOCK_IDS - 1 if descending else 0)
    statement = _PAGE_DESCENDING if descending else _PAGE_ASCENDING
    rows = dialect.fetch_all(
        session,
        statement,
        {
            "message_id": message_id,
            "kind": kind,
            "second": second,
            "first_id": first_id,
            "bound": bound,
            "count": count,
            "skip": skip,
        },
    )
    return cast(list[tuple[int, int, str | None, int, int | None]], rows)


def rebuild_derived(session: Session, *, message_id: int) -> None:
    """Recompute a message's counters and first sends from its ledger rows (bulk loads, repairs)."""
    for table in (days, coarse, minutes, fine, first_sends):
        session.execute(delete(table).where(table.c.message_id == message_id))
    of_message = ledger.c.message_id == message_id
    widths = (
        (days, "day_s", DAY_SECONDS),
        (coarse, "bucket_s", BUCKET_SECONDS),
        (minutes, "minute_s", MINUTE_SECONDS),
    )
    for table, column, width in widths:
        # Floor to the unit's start (SQL's % truncates towards zero; events before 1970 are negative).
        start = (ledger.c.occurred_s - ((ledger.c.occurred_s % width) + width) % width).label(column)
        session.execute(
            insert(table).from_select(
                ["message_id", "type", column, "n"],
                select(ledger.c.message_id, ledger.c.type, start, func.count())
                .where(of_message)
                .group_by(ledger.c.message_id, ledger.c.type, start),
            )
        )
    block = (ledger.c.id // BLOCK_IDS).label("block")
    session.execute(
        insert(fine).from_select(
            ["message_id", "type", "second_s", "block", "n"],
            select(ledger.c.message_id, ledger.c.type, ledger.c.occurred_s, block, func.count())
            .where(of_message)
            .group_by(ledger.c.message_id, ledger.c.type, ledger.c.occurred_s, block),
        )
    )
    session.execute(
        insert(first_sends).from_select(
            ["message_id", "contact_id", "first_send_s"],
            select(ledger.c.message_id, ledger.c.contact_id, func.min(ledger.c.occurred_s))
            .where(of_message, ledger.c.type == "sends")
            .group_by(ledger.c.message_id, ledger.c.contact_id),
        )
    )


def counter_totals(session: Session) -> dict[tuple[int, str], int]:
    rows = session.execute(
        select(days.c.message_id, days.c.type, func.sum(days.c.n)).group_by(days.c.message_id, days.c.type)
    )
    return {(int(m), str(t)): int(n) for m, t, n in rows}


def row_totals(session: Session) -> dict[tuple[int, str], int]:
    rows = session.execute(
        select(ledger.c.message_id, ledger.c.type, func.count()).group_by(ledger.c.message_id, ledger.c.type)
    )
    return {(int(m), str(t)): int(n) for m, t, n in rows}
