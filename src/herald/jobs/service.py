"""Durable one-off jobs in Herald's ``jobs`` table: enqueued in the caller's transaction, claimed by one
worker under a lease (``leases.claim_rows``), completed, or retried with backoff until spent.

Callers enqueue inside the transaction that causes the work, so the job commits with it or not at all
(the outbox). The ``JobLane`` (``job_lane.py``) runs them by kind.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, update
from sqlalchemy.orm import Session

from herald.db.base import utcnow
from herald.jobs.leases import QueueState, any_due, claim_rows
from herald.jobs.models import Job

DEFAULT_LEASE = timedelta(seconds=60)
jobs_table = cast(Table, Job.__table__)


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
        state=QueueState.AVAILABLE,
    )
    session.add(job)
    session.flush()
    return job.id


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
                state=QueueState.DISCARDED,
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


def anything_due(session: Session, kinds: Sequence[str]) -> bool:
    return any_due(session, jobs_table, [jobs_table.c.kind.in_(list(kinds))])


def extend_leases(session: Session, *, job_ids: Sequence[int], worker: str, lease: timedelta) -> None:
    """Keep running jobs with their worker: a job longer than one lease is not claimed a second time."""
    session.execute(
        update(jobs_table)
        .where(jobs_table.c.id.in_(list(job_ids)), jobs_table.c.locked_by == worker)
        .where(jobs_table.c.state == QueueState.RUNNING)
        .values(locked_until=utcnow() + lease)
    )


def complete(session: Session, *, job_id: int, worker: str) -> bool:
    """Mark a claimed job done; False when the lease was lost (another worker took it over)."""
    jobs = jobs_table
    result = session.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.locked_by == worker, jobs.c.state == QueueState.RUNNING)
        .values(state=QueueState.COMPLETED, finished_at=utcnow(), locked_until=None)
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
    if job is None or job.locked_by != worker or job.state != QueueState.RUNNING:
        return None
    job.last_error = error[:2000]
    job.locked_by = None
    job.locked_until = None
    if job.attempts >= job.max_attempts:
        job.state = QueueState.DISCARDED
        job.finished_at = utcnow()
    else:
        job.state = QueueState.AVAILABLE
        job.run_at = utcnow() + (retry_in if retry_in is not None else backoff(job.attempts))
    return job.state
