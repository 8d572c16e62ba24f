"""The worker runs registered job kinds: a success completes the job, a failure is recorded for a retry."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlalchemy import select

from herald.db.engine import Database
from herald.jobs import service as jobs_service
from herald.jobs.models import Job
from herald.jobs.service import ClaimedJob
from herald.settings import Settings
from tests.webhooks.support import eventually, running_worker


def _job(database: Database, job_id: int) -> Job:
    with database.read() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def test_the_worker_runs_a_registered_job_and_completes_it(settings: Settings, database: Database) -> None:
    seen: list[dict[str, object]] = []

    async def greet(job: ClaimedJob) -> None:
        seen.append(job.payload)

    with database.write() as session:
        job_id = jobs_service.enqueue(session, kind="greet", payload={"name": "Ada"})
    with running_worker(settings, database, handlers={"greet": greet}):
        eventually(lambda: _job(database, job_id).state == "completed")
    assert seen == [{"name": "Ada"}]


def test_a_failing_job_is_put_back_with_its_error(settings: Settings, database: Database) -> None:
    async def explode(job: ClaimedJob) -> None:
        raise RuntimeError(f"cannot handle {job.payload['n']}")

    with database.write() as session:
        job_id = jobs_service.enqueue(session, kind="explode", payload={"n": 7})
    with running_worker(settings, database, handlers={"explode": explode}):
        eventually(
            lambda: _job(database, job_id).attempts == 1 and _job(database, job_id).state == "available"
        )
    job = _job(database, job_id)
    assert job.last_error is not None
    assert "cannot handle 7" in job.last_error


def test_kinds_without_a_handler_are_left_alone(settings: Settings, database: Database) -> None:
    async def greet(_job: ClaimedJob) -> None:
        return None

    with database.write() as session:
        other = jobs_service.enqueue(session, kind="someone-else", payload={})
        mine = jobs_service.enqueue(session, kind="greet", payload={})
    with running_worker(settings, database, handlers={"greet": greet}):
        eventually(lambda: _job(database, mine).state == "completed")
    with database.read() as session:
        assert session.scalar(select(Job.state).where(Job.id == other)) == "available"


def test_the_embedded_worker_takes_back_what_it_held_when_it_died(
    settings: Settings, database: Database
) -> None:
    """On SQLite the embedded worker owns the whole queue, so a running job it finds at start is its dead
    predecessor's; on PostgreSQL other workers may be alive, so only the lease decides."""

    async def greet(_job: ClaimedJob) -> None:
        return None

    with database.write() as session:
        job_id = jobs_service.enqueue(session, kind="greet", payload={})
    with database.write() as session:
        claimed = jobs_service.claim(session, worker="dead-one", kinds=["greet"])
    assert [job.id for job in claimed] == [job_id]
    with running_worker(settings, database, handlers={"greet": greet}, owns_queue=True):
        if settings.is_sqlite:
            eventually(lambda: _job(database, job_id).state == "completed")
        else:
            time.sleep(1)
            assert (_job(database, job_id).state, _job(database, job_id).locked_by) == ("running", "dead-one")


def test_only_one_worker_owns_a_sqlite_queue(settings: Settings, database: Database) -> None:
    async def greet(_job: ClaimedJob) -> None:
        return None

    with running_worker(settings, database, handlers={"greet": greet}, owns_queue=True) as owner:
        assert owner.started.wait(10)
        with database.write() as session:
            job_id = jobs_service.enqueue(session, kind="never-run-here", payload={})
        with database.write() as session:
            jobs_service.claim(session, worker="alive-elsewhere", kinds=["never-run-here"])
        # a second would-be owner starts while the first still holds the queue: it takes nothing back
        with running_worker(settings, database, handlers={"never-run-here": greet}, owns_queue=True):
            time.sleep(0.5)
            assert _job(database, job_id).locked_by == "alive-elsewhere"


def test_a_job_longer_than_its_lease_is_not_started_twice(settings: Settings, database: Database) -> None:
    runs: list[int] = []

    async def slow(job: ClaimedJob) -> None:
        runs.append(job.attempt)
        await asyncio.sleep(4)

    quick = settings.model_copy(update={"worker_lease_seconds": 0.1, "webhook_timeout_seconds": 0.1})
    # the lease is stretched to timeout + 5 s = 5.1 s at least; the heartbeat renews it every third
    with database.write() as session:
        job_id = jobs_service.enqueue(session, kind="slow", payload={})
    with running_worker(quick, database, handlers={"slow": slow}):
        eventually(lambda: _job(database, job_id).state == "completed", timeout=30)
    assert runs == [1]


def test_a_job_whose_worker_died_in_its_last_attempt_is_discarded(database: Database) -> None:
    with database.write() as session:
        job_id = jobs_service.enqueue(session, kind="greet", payload={}, max_attempts=1)
    with database.write() as session:
        jobs_service.claim(session, worker="dies", kinds=["greet"], lease=timedelta(seconds=-1))
    with database.write() as session:
        assert jobs_service.claim(session, worker="next", kinds=["greet"]) == []
    job = _job(database, job_id)
    assert job.state == "discarded"
    assert job.last_error is not None
    assert "attempts spent" in job.last_error
