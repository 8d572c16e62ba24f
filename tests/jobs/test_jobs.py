"""Durable jobs: enqueued with the caller's transaction, claimed once, leased, retried, discarded."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from herald.db.base import utcnow
from herald.db.engine import Database
from herald.jobs import service as jobs_service
from herald.jobs.models import Job


def test_a_job_enqueued_in_a_rolled_back_transaction_never_exists(database: Database) -> None:
    class Boom(Exception):
        pass

    def enqueue_then_fail() -> None:
        with database.write() as session:
            jobs_service.enqueue(session, kind="webhook.deliver", payload={"delivery_id": 1})
            raise Boom

    with pytest.raises(Boom):
        enqueue_then_fail()
    with database.read() as session:
        assert session.scalars(select(Job)).all() == []


def test_a_claimed_job_is_not_claimed_again_until_its_lease_expires(database: Database) -> None:
    with database.write() as session:
        job_id = jobs_service.enqueue(session, kind="k", payload={"n": 1})
    with database.write() as session:
        first = jobs_service.claim(session, worker="a", lease=timedelta(seconds=60))
    with database.write() as session:
        assert jobs_service.claim(session, worker="b") == []
    assert [(j.id, j.payload, j.attempt) for j in first] == [(job_id, {"n": 1}, 1)]
    with database.write() as session:  # worker "a" died: its lease runs out
        job = session.get(Job, job_id)
        assert job is not None
        job.locked_until = utcnow() - timedelta(seconds=1)
    with database.write() as session:
        again = jobs_service.claim(session, worker="b")
    assert [(j.id, j.attempt) for j in again] == [(job_id, 2)]
    with database.write() as session:
        assert jobs_service.complete(session, job_id=job_id, worker="a") is False
        assert jobs_service.complete(session, job_id=job_id, worker="b") is True


def test_claims_follow_priority_then_run_at_and_skip_future_jobs(database: Database) -> None:
    now = utcnow()
    with database.write() as session:
        low = jobs_service.enqueue(
            session, kind="k", payload={}, priority=0, run_at=now - timedelta(minutes=5)
        )
        high = jobs_service.enqueue(session, kind="k", payload={}, priority=5)
        jobs_service.enqueue(session, kind="k", payload={}, run_at=now + timedelta(hours=1))
        other = jobs_service.enqueue(session, kind="other", payload={})
    with database.write() as session:
        taken = jobs_service.claim(session, worker="w", limit=1, kinds=["k"])
    assert [j.id for j in taken] == [high]
    with database.write() as session:
        taken = jobs_service.claim(session, worker="w", limit=10, kinds=["k"])
    assert [j.id for j in taken] == [low]
    with database.write() as session:
        assert [j.id for j in jobs_service.claim(session, worker="w")] == [other]


def test_a_failed_job_is_retried_later_and_discarded_when_attempts_are_spent(database: Database) -> None:
    with database.write() as session:
        job_id = jobs_service.enqueue(session, kind="k", payload={}, max_attempts=2)
    for expected in ("available", "discarded"):
        with database.write() as session:
            claimed = jobs_service.claim(session, worker="w")
            assert [j.id for j in claimed] == [job_id]
        with database.write() as session:
            state = jobs_service.fail(session, job_id=job_id, worker="w", error="503", retry_in=timedelta(0))
        assert state == expected
    with database.read() as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert (job.state, job.attempts, job.last_error) == ("discarded", 2, "503")


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    assert timedelta(seconds=7.5) <= jobs_service.backoff(1) <= timedelta(seconds=15)
    assert timedelta(seconds=60) <= jobs_service.backoff(4) <= timedelta(seconds=120)
    assert jobs_service.backoff(30) <= timedelta(hours=1)


def test_concurrent_workers_never_take_the_same_job(database: Database) -> None:
    with database.write() as session:
        for n in range(200):
            jobs_service.enqueue(session, kind="k", payload={"n": n})
    taken: list[list[int]] = [[], [], []]

    def work(slot: int) -> None:
        while True:
            with database.write() as session:
                batch = jobs_service.claim(session, worker=f"w{slot}", limit=7)
            if not batch:
                return
            taken[slot].extend(j.id for j in batch)

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    every = [job_id for ids in taken for job_id in ids]
    assert len(every) == len(set(every)) == 200
