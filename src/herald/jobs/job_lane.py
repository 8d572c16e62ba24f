"""The lane of one-off jobs (the ``jobs`` table), each run by the handler of its kind.

Handlers are coroutines that take the claimed job (id, kind, payload, attempt), reload what they need by
id, and are idempotent: a job whose worker died mid-run is run again. Raising records the error and
retries the job with backoff until its ``max_attempts`` are spent.

Handlers are listed at the composition root (``herald.wiring.JOB_HANDLERS``); a module marks a handler
with ``@handles("kind")`` so that a test can find every marked handler and prove it is listed there (a
handler nobody registered would silently never run).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session

from herald.jobs import leases
from herald.jobs import service as jobs_service
from herald.jobs.lanes import Lane
from herald.jobs.leases import QueueCount
from herald.jobs.service import ClaimedJob

log = structlog.get_logger()

JobHandler = Callable[[ClaimedJob], Awaitable[None]]
HANDLED_KIND = "__herald_job_kind__"


def handles(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Mark a coroutine as the handler of jobs of ``kind``; list it in ``herald.wiring.JOB_HANDLERS``."""

    def mark(handler: JobHandler) -> JobHandler:
        setattr(handler, HANDLED_KIND, kind)
        return handler

    return mark


JobOutcome = tuple[ClaimedJob, BaseException | None]


class JobLane(Lane[ClaimedJob, JobOutcome]):
    """Claims due jobs of the kinds it has handlers for (highest priority first) and runs them."""

    def __init__(self, *, handlers: Mapping[str, JobHandler], concurrency: int) -> None:
        super().__init__(name="jobs", concurrency=concurrency, heartbeat=True)
        self.handlers = dict(handlers)

    def any_due(self, session: Session) -> bool:
        return bool(self.handlers) and jobs_service.anything_due(session, list(self.handlers))

    def claim(self, session: Session, *, worker: str, limit: int, lease: timedelta) -> list[ClaimedJob]:
        if not self.handlers:
            return []
        return jobs_service.claim(session, worker=worker, limit=limit, kinds=list(self.handlers), lease=lease)

    async def run(self, item: ClaimedJob) -> JobOutcome:
        try:
            await self.handlers[item.kind](item)
        except asyncio.CancelledError as error:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the worker itself is being cancelled
            return item, error  # the handler cancelled something of its own and let it escape
        except Exception as error:  # a job's failure is recorded and retried, never fatal to the worker
            return item, error
        return item, None

    def record(self, session: Session, *, worker: str, outcomes: Sequence[JobOutcome]) -> None:
        for job, error in outcomes:
            if error is None:
                jobs_service.complete(session, job_id=job.id, worker=worker)
            else:
                state = jobs_service.fail(session, job_id=job.id, worker=worker, error=repr(error))
                log.warning("job.failed", job_id=job.id, kind=job.kind, state=state, error=repr(error))

    def extend(self, session: Session, *, worker: str, items: Sequence[ClaimedJob], lease: timedelta) -> None:
        jobs_service.extend_leases(session, job_ids=[job.id for job in items], worker=worker, lease=lease)

    def release_all(self, session: Session) -> int:
        return leases.release_all(session, jobs_service.jobs_table)

    def counts(self, session: Session) -> list[QueueCount]:
        table = jobs_service.jobs_table
        return leases.queue_counts(session, queue=self.name, table=table, kind=table.c.kind)


def handled_kind(candidate: Any) -> str | None:
    """The job kind a callable was marked to handle with ``@handles``, if any."""
    kind = getattr(candidate, HANDLED_KIND, None)
    return kind if isinstance(kind, str) else None
