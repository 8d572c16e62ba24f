"""Durable jobs in Herald's own database: enqueued in the caller's transaction, claimed by one worker.

Callers enqueue inside the transaction that causes the work, so the job commits with it or not at all
(the outbox). Workers claim with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of them on any
number of hosts never take the same job; on SQLite the claim is one ``UPDATE ... RETURNING`` inside the
single writer's ``BEGIN IMMEDIATE``. A claim is a lease: a worker that dies mid-job leaves it ``running``
until ``locked_until`` passes, and the next claim takes it again. See docs/adr/0005-durable-jobs.md.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, func, literal, select, update
from sqlalchemy.orm import Session

from herald.db.base import utcnow
from herald.jobs.models import Job

AVAILABLE, RUNNING, COMPLETED, DISCARDED = "available", "running", "completed", "discarded"
DEFAULT_LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    run_at: datetime | None = None,
    priority: int = 0,
    max_attempts: int = 20,
) -> int:
    """Add a job in the caller's transaction; it becomes visible to workers when that transaction commits."""
    job = Job(
        kind=kind,
        payload=payload,
        run_at=run_at or utcnow(),
        priority=priority,
        max_attempts=max_attempts,
        state=AVAILABLE,
    )
    session.add(job)
    session.flush()
    return job.id


jobs_table = cast(Table, Job.__table__)


def claim(
    session: Session,
    *,
    worker: str,
    limit: int = 10,
    kinds: Sequence[str] | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> list[ClaimedJob]:
    """Take up to ``limit`` due jobs (and jobs whose lease expired) for ``worker``, highest priority first.

    Commit right after claiming, so other workers see the lease; then run the jobs.
    """
    jobs = jobs_table
    where = [jobs.c.kind.in_(list(kinds))] if kinds else []
    rows = claim_rows(
        session,
        jobs,
        worker=worker,
        limit=limit,
        lease=lease,
        order_by=(jobs.c.priority.desc(), jobs.c.run_at, jobs.c.id),
        returning=(jobs.c.id, jobs.c.kind, jobs.c.payload, jobs.c.attempts, jobs.c.max_attempts),
        where=where,
    )
    spent = [int(r[0]) for r in rows if int(r[3]) > int(r[4])]
    if spent:  # taken back from a worker that died during the last allowed attempt
        session.execute(
            update(jobs)
            .where(jobs.c.id.in_(spent))
            .values(
                state=DISCARDED,
                finished_at=utcnow(),
                locked_by=None,
                locked_until=None,
                last_error="attempts spent (the worker stopped during the last one)",
            )
        )
    claimed = [
        ClaimedJob(id=int(r[0]), kind=r[1], payload=r[2], attempt=int(r[3]))
        for r in rows
        if int(r[0]) not in spent
    ]
    return sorted(claimed, key=lambda job: job.id)


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
    """The claim of any queue table with the lease columns (state, run_at, attempts, locked_by,
    locked_until): the rows due, or whose lease expired, become ``running`` for ``worker``.

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
            .values(state=RUNNING, locked_by=worker, locked_until=now + lease, attempts=table.c.attempts + 1)
            .returning(*returning)
        )
        claimed.extend(tuple(row) for row in session.execute(statement))
    return claimed


def due_rows(table: Table, now: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """What a claim takes, in claim order: rows whose lease expired, then available rows that are due."""
    return (
        and_(table.c.state == RUNNING, table.c.locked_until < now),
        and_(table.c.state == AVAILABLE, table.c.run_at <= now),
    )


def any_due(session: Session, table: Table, where: Sequence[ColumnElement[bool]] = ()) -> bool:
    """Whether a claim on ``table`` would take anything: two index probes, in a read transaction."""
    now = utcnow()
    return any(
        session.execute(select(table.c.id).where(due, *where).limit(1)).first() is not None
        for due in due_rows(table, now)
    )


def anything_due(session: Session, kinds: Sequence[str]) -> bool:
    return any_due(session, jobs_table, [jobs_table.c.kind.in_(list(kinds))])


def extend_leases(session: Session, *, job_ids: Sequence[int], worker: str, lease: timedelta) -> None:
    """Keep running jobs with their worker: a job longer than one lease is not claimed a second time."""
    session.execute(
        update(jobs_table)
        .where(jobs_table.c.id.in_(list(job_ids)), jobs_table.c.locked_by == worker)
        .where(jobs_table.c.state == RUNNING)
        .values(locked_until=utcnow() + lease)
    )


def release_all(session: Session, table: Table) -> int:
    """Make every running row of ``table`` available again: for a worker that owns the whole queue (the
    embedded worker on SQLite) at start-up, when any lease it finds was held by its own dead past."""
    result = session.execute(
        update(table)
        .where(table.c.state == RUNNING)
        .values(state=AVAILABLE, locked_by=None, locked_until=None, run_at=utcnow())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def complete(session: Session, *, job_id: int, worker: str) -> bool:
    """Mark a claimed job done; False when the lease was lost (another worker took it over)."""
    jobs = jobs_table
    result = session.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.locked_by == worker, jobs.c.state == RUNNING)
        .values(state=COMPLETED, finished_at=utcnow(), locked_until=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def backoff(attempt: int, *, base_s: float = 15.0, cap_s: float = 3600.0) -> timedelta:
    """Exponential backoff with full jitter: attempt 1 waits up to 15 s, doubling up to an hour."""
    ceiling = min(cap_s, base_s * 2 ** max(attempt - 1, 0))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def fail(
    session: Session, *, job_id: int, worker: str, error: str, retry_in: timedelta | None = None
) -> str | None:
    """Record a failed attempt: the job runs again after ``retry_in`` (default: ``backoff``), or is
    discarded once its attempts are spent. Returns the new state, or None when the lease was lost."""
    job = session.get(Job, job_id, with_for_update=True)
    if job is None or job.locked_by != worker or job.state != RUNNING:
        return None
    job.last_error = error[:2000]
    job.locked_by = None
    job.locked_until = None
    if job.attempts >= job.max_attempts:
        job.state = DISCARDED
        job.finished_at = utcnow()
    else:
        job.state = AVAILABLE
        job.run_at = utcnow() + (retry_in if retry_in is not None else backoff(job.attempts))
    return job.state


@dataclass(frozen=True)
class QueueCount:
    queue: str
    kind: str
    state: str
    count: int


def queue_counts(
    session: Session, tables: Sequence[tuple[str, Table, ColumnElement[Any] | None]]
) -> list[QueueCount]:
    """How many rows each queue holds per kind and state: what ``herald jobs`` shows."""
    counts: list[QueueCount] = []
    for name, table, kind_column in tables:
        kind = kind_column if kind_column is not None else literal(name)
        rows = session.execute(
            select(kind, table.c.state, func.count())
            .group_by(kind, table.c.state)
            .order_by(kind, table.c.state)
        )
        counts.extend(QueueCount(queue=name, kind=str(k), state=str(s), count=int(n)) for k, s, n in rows)
    return counts
