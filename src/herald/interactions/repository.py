"""All SQL of the ledger: appends, counters, listings and the report's seeks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, UnaryExpression, and_, delete, func, insert, select, tuple_
from sqlalchemy.orm import Session

from herald.contacts.models import Contact
from herald.db import dialect
from herald.interactions.models import (
    BLOCK_IDS,
    BUCKET_SECONDS,
    FirstSend,
    Interaction,
    InteractionCount,
    InteractionFineCount,
)
from herald.interactions.schemas import InteractionFilter
from herald.messages.models import Message

CHUNK = 900  # stays under every driver's bound-parameter limit

ledger = cast(Table, Interaction.__table__)
coarse = cast(Table, InteractionCount.__table__)
fine = cast(Table, InteractionFineCount.__table__)
first_sends = cast(Table, FirstSend.__table__)


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def messages_of_account(session: Session, *, account_id: int, ids: Iterable[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sorted(set(ids))):
        found.update(
            session.scalars(select(Message.id).where(Message.account_id == account_id, Message.id.in_(chunk)))
        )
    return found


def contacts_of_account(
    session: Session, *, account_id: int, ids: Iterable[int]
) -> dict[int, tuple[str | None, str | None]]:
    found: dict[int, tuple[str | None, str | None]] = {}
    for chunk in _chunks(sorted(set(ids))):
        rows = session.execute(
            select(Contact.id, Contact.email, Contact.phone).where(
                Contact.account_id == account_id, Contact.id.in_(chunk)
            )
        )
        found.update({row.id: (row.email, row.phone) for row in rows})
    return found


def existing_event_ids(session: Session, *, account_id: int, event_ids: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(set(event_ids))):
        found.update(
            session.scalars(
                select(Interaction.event_id).where(
                    Interaction.account_id == account_id, Interaction.event_id.in_(chunk)
                )
            )
        )
    return found


def append(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ledger rows and return their ids, in the order of ``rows``."""
    if not rows:
        return []
    result = session.execute(insert(ledger).returning(ledger.c.id, sort_by_parameter_order=True), rows)
    return [row[0] for row in result]


def add_counts(
    session: Session, *, coarse_rows: Sequence[dict[str, Any]], fine_rows: Sequence[dict[str, Any]]
) -> None:
    dialect.add_to_counters(
        session, coarse, keys=("message_id", "type", "bucket_s"), column="n", rows=coarse_rows
    )
    dialect.add_to_counters(
        session, fine, keys=("message_id", "type", "second_s", "block"), column="n", rows=fine_rows
    )


def keep_first_sends(session: Session, rows: Sequence[dict[str, Any]]) -> None:
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


# --- the report ----------------------------------------------------------------------------------------


def sum_coarse(session: Session, *, message_id: int, kind: str, lo: int, hi: int) -> int:
    """Events in whole buckets [lo, hi); both bounds are multiples of BUCKET_SECONDS."""
    if lo >= hi:
        return 0
    total = session.scalar(
        select(func.sum(coarse.c.n)).where(
            coarse.c.message_id == message_id,
            coarse.c.type == kind,
            coarse.c.bucket_s >= lo,
            coarse.c.bucket_s < hi,
        )
    )
    return int(total or 0)


def sum_fine(session: Session, *, message_id: int, kind: str, lo: int, hi: int) -> int:
    if lo >= hi:
        return 0
    total = session.scalar(
        select(func.sum(fine.c.n)).where(
            fine.c.message_id == message_id, fine.c.type == kind, fine.c.second_s >= lo, fine.c.second_s < hi
        )
    )
    return int(total or 0)


def locate_bucket(
    session: Session, *, message_id: int, kind: str, lo: int, hi: int, skip: int, descending: bool
) -> tuple[int, int] | None:
    """The bucket holding the row after ``skip`` rows of [lo, hi) in report order, and the rows before it."""
    order = (coarse.c.bucket_s.desc(),) if descending else (coarse.c.bucket_s,)
    running = func.sum(coarse.c.n).over(order_by=order, rows=(None, 0)).label("running")
    inner = (
        select(coarse.c.bucket_s, coarse.c.n, running)
        .where(
            coarse.c.message_id == message_id,
            coarse.c.type == kind,
            coarse.c.bucket_s >= lo,
            coarse.c.bucket_s < hi,
        )
        .subquery()
    )
    ordering = inner.c.bucket_s.desc() if descending else inner.c.bucket_s
    row = session.execute(
        select(inner.c.bucket_s, inner.c.n, inner.c.running)
        .where(inner.c.running > skip)
        .order_by(ordering)
        .limit(1)
    ).first()
    if row is None:
        return None
    return int(row.bucket_s), int(row.running) - int(row.n)


def locate_cell(
    session: Session, *, message_id: int, kind: str, lo: int, hi: int, skip: int, descending: bool
) -> tuple[int, int, int] | None:
    """The (second, id block) cell holding the row after ``skip`` rows of [lo, hi), and the rows before it."""
    order = (fine.c.second_s.desc(), fine.c.block.desc()) if descending else (fine.c.second_s, fine.c.block)
    running = func.sum(fine.c.n).over(order_by=order, rows=(None, 0)).label("running")
    inner = (
        select(fine.c.second_s, fine.c.block, fine.c.n, running)
        .where(
            fine.c.message_id == message_id, fine.c.type == kind, fine.c.second_s >= lo, fine.c.second_s < hi
        )
        .subquery()
    )
    ordering = (
        (inner.c.second_s.desc(), inner.c.block.desc()) if descending else (inner.c.second_s, inner.c.block)
    )
    row = session.execute(
        select(inner.c.second_s, inner.c.block, inner.c.n, inner.c.running)
        .where(inner.c.running > skip)
        .order_by(*ordering)
        .limit(1)
    ).first()
    if row is None:
        return None
    return int(row.second_s), int(row.block), int(row.running) - int(row.n)


def rows_from_cell(
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
) -> Sequence[Row[Any, Any, Any, Any]]:
    """``count`` rows in report order starting ``skip`` rows into a cell (skip < BLOCK_IDS), up to ``bound``.

    ``bound`` is the range's far end: exclusive ``hi`` ascending, inclusive ``lo`` descending.
    """
    key = tuple_(ledger.c.occurred_s, ledger.c.id)
    ordering: tuple[UnaryExpression[Any] | ColumnElement[Any], ...]
    if descending:
        start = key <= tuple_(second, block * BLOCK_IDS + BLOCK_IDS - 1)
        far = ledger.c.occurred_s >= bound
        ordering = (ledger.c.occurred_s.desc(), ledger.c.id.desc())
    else:
        start = key >= tuple_(second, block * BLOCK_IDS)
        far = ledger.c.occurred_s < bound
        ordering = (ledger.c.occurred_s, ledger.c.id)
    statement = (
        select(ledger.c.id, ledger.c.contact_id, ledger.c.contact_email, ledger.c.occurred_s)
        .where(ledger.c.message_id == message_id, ledger.c.type == kind, start, far)
        .order_by(*ordering)
        .limit(count)
        .offset(skip)
    )
    return session.execute(statement).all()


def first_send_seconds(session: Session, *, message_id: int, contact_ids: Iterable[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for chunk in _chunks(sorted(set(contact_ids))):
        rows = session.execute(
            select(first_sends.c.contact_id, first_sends.c.first_send_s).where(
                first_sends.c.message_id == message_id, first_sends.c.contact_id.in_(chunk)
            )
        )
        found.update({int(r.contact_id): int(r.first_send_s) for r in rows})
    return found


def rebuild_derived(session: Session, *, message_id: int) -> None:
    """Recompute a message's counters and first sends from its ledger rows (bulk loads, repairs)."""
    for table in (coarse, fine, first_sends):
        session.execute(delete(table).where(table.c.message_id == message_id))
    of_message = ledger.c.message_id == message_id
    bucket = (ledger.c.occurred_s - ledger.c.occurred_s % BUCKET_SECONDS).label("bucket_s")
    session.execute(
        insert(coarse).from_select(
            ["message_id", "type", "bucket_s", "n"],
            select(ledger.c.message_id, ledger.c.type, bucket, func.count())
            .where(of_message)
            .group_by(ledger.c.message_id, ledger.c.type, bucket),
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
