"""The claim of any queue table: rows leased to one worker at a time, in the caller's transaction.

A queue table has the lease columns ``state``, ``run_at``, ``attempts``, ``locked_by`` and ``locked_until``
(the ``jobs`` table, the webhook outbox, and the queues of later lanes). Workers claim with ``FOR UPDATE
SKIP LOCKED`` on PostgreSQL, so any number of them on any number of hosts never take the same row; on
SQLite the claim is one ``UPDATE ... RETURNING`` inside the single writer's ``BEGIN IMMEDIATE``. A claim is
a lease: a worker that dies mid-item leaves the row ``running`` until ``locked_until`` passes, and the next
claim takes it again. See docs/adr/0005-durable-jobs.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, literal, select, update
from sqlalchemy.orm import Session

from herald.db.base import utcnow


class QueueState(StrEnum):
    """Where a queue row is: waiting (``available``, due at ``run_at``), leased (``running``), finished
    well (``completed``) or given up (``discarded``). Every queue table uses these four words."""

    AVAILABLE = "available"
    RUNNING = "running"
    COMPLETED = "completed"
    DISCARDED = "discarded"


PENDING_STATES = (QueueState.AVAILABLE, QueueState.RUNNING)
FINISHED_STATES = (QueueState.COMPLETED, QueueState.DISCARDED)


def claim_rows(
    session: Session,
    table: Table,
    *,
    worker: str,
    limit: int,
    lease: timedelta,
    order_by: Sequence[ColumnElement[Any]],
    returning: Sequence[ColumnElement[Any]],
    where: Sequence[ColumnElement[bool]] = (),
) -> list[tuple[Any, ...]]:
    """The rows due, or whose lease expired, become ``running`` for ``worker``; returns ``returning``.

    One statement: ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING``. PostgreSQL
    workers skip each other's rows; SQLite drops the clause, its single writer already excludes others.
    """
    now = utcnow()
    claimed: list[tuple[Any, ...]] = []
    # Two passes, each a narrow range of the (state, run_at, ...) index read in order: rows whose lease
    # expired (a dead worker's), then available rows that are due. One OR of both would read and sort
    # the whole due backlog to keep ``limit`` rows.
    for due in due_rows(table, now):
        wanted = limit - len(claimed)
        if wanted <= 0:
            break
        candidates = (
            select(table.c.id)
            .where(due, *where)
            .order_by(*order_by)
            .limit(wanted)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(table)
            .where(table.c.id.in_(candidates.scalar_subquery()))
            .values(
                state=QueueState.RUNNING,
                locked_by=worker,
                locked_until=now + lease,
                attempts=table.c.attempts + 1,
            )
            .returning(*returning)
        )
        claimed.extend(tuple(row) for row in session.execute(statement))
    return claimed


def due_rows(table: Table, now: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """What a claim takes, in claim order: rows whose lease expired, then available rows that are due."""
    return (
        and_(table.c.state == QueueState.RUNNING, table.c.locked_until < now),
        and_(table.c.state == QueueState.AVAILABLE, table.c.run_at <= now),
    )


def any_due(session: Session, table: Table, where: Sequence[ColumnElement[bool]] = ()) -> bool:
    """Whether a claim on ``table`` would take anything: two index probes, in a read transaction."""
    now = utcnow()
    return any(
        session.execute(select(table.c.id).where(due, *where).limit(1)).first() is not None
        for due in due_rows(table, now)
    )


def release_all(session: Session, table: Table) -> int:
    """Make every running row of ``table`` available again: for a worker that owns the whole queue (the
    embedded worker on SQLite) at start-up, when any lease it finds was held by its own dead past."""
    result = session.execute(
        update(table)
        .where(table.c.state == QueueState.RUNNING)
        .values(state=QueueState.AVAILABLE, locked_by=None, locked_until=None, run_at=utcnow())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class QueueCount:
    queue: str
    kind: str
    state: str
    count: int


def queue_counts(
    session: Session, *, queue: str, table: Table, kind: ColumnElement[Any] | None = None
) -> list[QueueCount]:
    """How many rows ``table`` holds per kind (``kind`` column, else the queue's name) and state."""
    kind_column = kind if kind is not None else literal(queue)
    rows = session.execute(
        select(kind_column, table.c.state, func.count())
        .group_by(kind_column, table.c.state)
        .order_by(kind_column, table.c.state)
    )
    return [QueueCount(queue=queue, kind=str(k), state=str(s), count=int(n)) for k, s, n in rows]
