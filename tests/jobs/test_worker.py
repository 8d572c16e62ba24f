"""The worker runs registered job kinds: a success completes the job, a failure is recorded for a retry."""

from __future__ import annotations

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
    async def greet(_job: ClaimedJob) -> None:
        return None

    with database.write() as session:
        job_id = jobs_service.enqueue(session, kind="greet", payload={})
    with database.write() as session:
        claimed = jobs_service.claim(session, worker="dead-one", kinds=["greet"])
    assert [job.id for job in claimed] == [job_id]
    # the lease is still valid, yet a worker that owns the queue (SQLite's embedded one) takes it back
    with running_worker(settings, database, handlers={"greet": greet}, owns_queue=True):
        eventually(lambda: _job(database, job_id).state == "completed")
