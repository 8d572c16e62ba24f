"""The worker: one asyncio loop that claims due webhook deliveries and jobs, runs them, and records what
happened. Embedded beside ``herald serve`` by default; ``herald worker`` runs it alone, on any number of
hosts against PostgreSQL.

Database work runs on one dedicated thread (the session is not shared between threads), HTTP on the event
loop. Each turn of the loop records the outcomes gathered since the last turn in one transaction, so the
database sees one commit per batch, not per delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from typing import IO, Any, TypeVar, cast

import structlog
from sqlalchemy.orm import Session

from herald.db.base import utcnow
from herald.db.engine import Database
from herald.jobs import service as jobs_service
from herald.jobs.registry import JobHandler
from herald.jobs.service import ClaimedJob
from herald.settings import Settings
from herald.webhooks import delivery
from herald.webhooks.models import deliveries_table
from herald.webhooks.secrets import load_secret_box
from herald.webhooks.sender import Sender

log = structlog.get_logger()
T = TypeVar("T")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """Runs until ``stop`` is set, then finishes what it has in flight and records it."""

    RETRY_PAUSE_S = 1.0
    PRUNE_EVERY_S = 3600.0

    def __init__(
        self,
        settings: Settings,
        database: Database,
        *,
        owns_queue: bool = False,
        handlers: dict[str, JobHandler] | None = None,
        poll_seconds: float = 0.1,
        name: str | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.owns_queue = owns_queue
        self.handlers = dict(handlers or {})
        self.poll_seconds = poll_seconds
        self.name = name or worker_name()
        self.concurrency = settings.webhook_concurrency
        # A killed worker's deliveries and jobs are taken again once its lease passes; an attempt in
        # flight must never outlive the lease, or a second worker would send it too.
        self.lease = timedelta(
            seconds=max(settings.worker_lease_seconds, settings.webhook_timeout_seconds + 5)
        )
        self.policy = delivery.RetryPolicy.from_setting(settings.webhook_retry_schedule)
        self.secrets = delivery.SecretCache(load_secret_box(settings.secret_key, settings.secret_key_file))
        self.delivered = 0  # for the log line at stop
        self.retention = (
            timedelta(days=settings.webhook_retention_days) if settings.webhook_retention_days > 0 else None
        )
        self._next_prune = time.monotonic() + 5  # not in the start-up rush
        self._ownership: IO[str] | None = None
        self.started = threading.Event()  # set once start-up (taking back the queue) is done
        self._db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="herald-worker-db")

    async def _db(self, work: Callable[[Session], T], *, write: bool = True) -> T:
        def run() -> T:
            with self.database.write() if write else self.database.read() as session:
                return work(session)

        return await asyncio.get_running_loop().run_in_executor(self._db_thread, run)

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await self._run(stop)
        finally:
            self._db_thread.shutdown(wait=True)
            if self._ownership is not None:
                self._ownership.close()  # releases the lock

    async def _run(self, stop: asyncio.Event) -> None:
        if self.owns_queue and self._take_queue_ownership():
            released = await self._db(_release_everything)
            if released:
                log.info("worker.recovered", deliveries_and_jobs=released)
        log.info("worker.started", worker=self.name, concurrency=self.concurrency)
        self.started.set()
        in_flight: dict[asyncio.Task[Any], str] = {}
        running_jobs: dict[asyncio.Task[Any], ClaimedJob] = {}
        outcomes: list[delivery.Outcome] = []
        finished_jobs: list[tuple[ClaimedJob, BaseException | None]] = []
        next_heartbeat = time.monotonic() + self.lease.total_seconds() / 3
        async with Sender(
            timeout_s=self.settings.webhook_timeout_seconds,
            allow_private=self.settings.webhook_allow_private,
            concurrency=self.concurrency,
        ) as sender:
            while True:
                room = self.concurrency - len(in_flight)
                # Claim in batches: when nothing runs, or a quarter of the slots are free.
                claim = room if not stop.is_set() and (not in_flight or room >= self.concurrency // 4) else 0
                claimed = 0
                heartbeat = bool(running_jobs) and time.monotonic() >= next_heartbeat
                failed = False
                if claim > 0 and not (outcomes or finished_jobs or in_flight):
                    # Idle: look first in a read transaction, so that an idle worker never takes
                    # SQLite's write lock from the server ten times a second.
                    try:
                        if not await self._db(self._anything_due, write=False):
                            claim = 0
                    except Exception:
                        log.exception("worker.poll_failed")
                        claim, failed = 0, True
                if outcomes or finished_jobs or claim > 0 or heartbeat:
                    try:
                        outgoing, jobs = await self._db(
                            partial(
                                self._turn,
                                outcomes=outcomes,
                                finished_jobs=finished_jobs,
                                claim=claim,
                                extend=[job.id for job in running_jobs.values()] if heartbeat else [],
                            )
                        )
                    except Exception:  # the database is away: keep the outcomes and try again
                        log.exception("worker.turn_failed", pending=len(outcomes) + len(finished_jobs))
                        failed = True
                    else:
                        outcomes, finished_jobs = [], []
                        if heartbeat:
                            next_heartbeat = time.monotonic() + self.lease.total_seconds() / 3
                        for out in outgoing:
                            in_flight[asyncio.create_task(sender.send(out))] = "delivery"
                        for job in jobs:
                            job_task = asyncio.create_task(self._run_job(job))
                            in_flight[job_task] = "job"
                            running_jobs[job_task] = job
                        claimed = len(outgoing) + len(jobs)
                if failed:
                    if stop.is_set() and not in_flight:
                        break  # what stays unrecorded is still leased; the lease brings it back
                    await asyncio.sleep(self.RETRY_PAUSE_S)  # not cut short by stop: no busy loop
                elif stop.is_set() and not in_flight and not (outcomes or finished_jobs):
                    break
                if in_flight:
                    done, _ = await asyncio.wait(
                        set(in_flight),
                        timeout=0 if claim and claimed >= claim else self.poll_seconds,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    for task in done:
                        kind = in_flight.pop(task)
                        running_jobs.pop(task, None)
                        try:
                            result = task.result()
                        except Exception:  # never expected: left leased, so it is retried after the lease
                            log.exception("worker.task_failed", kind=kind)
                            continue
                        if kind == "delivery":
                            outcomes.append(cast(delivery.Outcome, result))
                        else:
                            finished_jobs.append(cast(tuple[ClaimedJob, BaseException | None], result))
                elif not claimed and not failed:
                    await self._prune_when_due()
                    await self._pause(stop, self.poll_seconds)
        log.info("worker.stopped", worker=self.name, delivered=self.delivered)

    def _take_queue_ownership(self) -> bool:
        """Only one worker at a time may take back *every* running row of a SQLite queue at start-up: it
        holds an exclusive lock on a file beside the database for its lifetime. Without the lock (another
        embedded worker runs), this one relies on leases like any other."""
        path = self.settings.sqlite_path()
        if path is None:
            return False
        handle = open(f"{path}.worker-lock", "a")  # noqa: SIM115 (held for the worker's lifetime)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            log.warning("worker.queue_owned_elsewhere", database=str(path))
            return False
        self._ownership = handle
        return True

    def _anything_due(self, session: Session) -> bool:
        kinds = list(self.handlers) if self.handlers else None
        return delivery.anything_due(session) or (
            kinds is not None and jobs_service.anything_due(session, kinds)
        )

    def _turn(
        self,
        session: Session,
        *,
        outcomes: list[delivery.Outcome],
        finished_jobs: list[tuple[ClaimedJob, BaseException | None]],
        claim: int,
        extend: list[int],
    ) -> tuple[list[delivery.Outgoing], list[ClaimedJob]]:
        """One transaction per turn of the loop: record what finished, then claim up to ``claim`` more
        (deliveries first, then jobs)."""
        self._record(session, outcomes=outcomes, jobs=finished_jobs)
        if extend:
            jobs_service.extend_leases(session, job_ids=extend, worker=self.name, lease=self.lease)
        if claim <= 0:
            return [], []
        outgoing = delivery.claim_deliveries(
            session,
            worker=self.name,
            limit=claim,
            lease=self.lease,
            secrets=self.secrets,
            max_attempts=self.policy.max_attempts,
        )
        jobs: list[ClaimedJob] = []
        if self.handlers and claim > len(outgoing):
            jobs = jobs_service.claim(
                session,
                worker=self.name,
                limit=claim - len(outgoing),
                kinds=list(self.handlers),
                lease=self.lease,
            )
        return outgoing, jobs

    async def _prune_when_due(self) -> None:
        """While idle, at most hourly: delete finished deliveries older than the retention, in chunks."""
        if self.retention is None or time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + self.PRUNE_EVERY_S
        cut_off = utcnow() - self.retention
        removed = 0
        try:
            while True:
                chunk = await self._db(partial(delivery.prune, finished_before=cut_off))
                removed += chunk
                if chunk < 5000:
                    break
        except Exception:  # the database is away; the next hour tries again
            log.exception("worker.prune_failed")
        if removed:
            log.info("webhook.pruned", deliveries=removed, finished_before=cut_off.isoformat())

    @staticmethod
    async def _pause(stop: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)

    async def _run_job(self, job: ClaimedJob) -> tuple[ClaimedJob, BaseException | None]:
        try:
            await self.handlers[job.kind](job)
        except asyncio.CancelledError as error:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the worker itself is being cancelled
            return job, error  # the handler cancelled something of its own and let it escape
        except Exception as error:  # a job's failure is recorded and retried, never fatal to the worker
            return job, error
        return job, None

    def _record(
        self,
        session: Session,
        *,
        outcomes: list[delivery.Outcome],
        jobs: list[tuple[ClaimedJob, BaseException | None]],
    ) -> None:
        delivery.record_outcomes(session, worker=self.name, outcomes=outcomes, policy=self.policy)
        for outcome in outcomes:
            if outcome.delivered:
                self.delivered += 1
            else:
                log.debug(
                    "webhook.attempt_failed",
                    delivery_id=outcome.delivery_id,
                    attempt=outcome.attempt,
                    status=outcome.status,
                    error=outcome.error,
                )
        for job, error in jobs:
            if error is None:
                jobs_service.complete(session, job_id=job.id, worker=self.name)
            else:
                state = jobs_service.fail(session, job_id=job.id, worker=self.name, error=repr(error))
                log.warning("job.failed", job_id=job.id, kind=job.kind, state=state, error=repr(error))


def _release_everything(session: Session) -> int:
    return jobs_service.release_all(session, jobs_service.jobs_table) + jobs_service.release_all(
        session, deliveries_table
    )
