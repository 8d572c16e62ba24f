"""The worker: one asyncio loop that claims due items of every lane, runs them, and records what happened.
Embedded beside ``herald serve`` by default; ``herald worker`` runs it alone, on any number of hosts
against PostgreSQL. It knows nothing of what a lane does (``lanes.py``).

Database work runs on one dedicated thread (the session is not shared between threads), the items on the
event loop. Each turn of the loop records the outcomes of every lane gathered since the last turn and
claims more, in one transaction, so the database sees one commit per batch, not per item.
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
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import IO, Any, TypeVar

import structlog
from sqlalchemy.orm import Session

from herald.db.engine import Database
from herald.jobs.lanes import Lane
from herald.settings import Settings

log = structlog.get_logger()
T = TypeVar("T")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(eq=False)
class _Track:
    """One lane as the loop sees it: what it has in flight, what finished since the last turn, and how
    many items this turn asks it for."""

    lane: Lane[Any, Any]
    in_flight: dict[asyncio.Task[Any], Any] = field(default_factory=dict)
    finished: list[Any] = field(default_factory=list)
    wanted: int = 0
    claimed: int = 0

    def room(self, stopping: bool) -> int:
        """Claim in batches: when nothing of the lane runs, or a quarter of its slots are free."""
        concurrency = self.lane.concurrency
        free = concurrency - len(self.in_flight)
        if stopping or not (not self.in_flight or free >= concurrency // 4):
            return 0
        return free


class Worker:
    """Runs its lanes until ``stop`` is set, then finishes what it has in flight and records it."""

    RETRY_PAUSE_S = 1.0
    TIDY_EVERY_S = 3600.0

    def __init__(
        self,
        settings: Settings,
        database: Database,
        *,
        lanes: Sequence[Lane[Any, Any]],
        owns_queue: bool = False,
        poll_seconds: float = 0.1,
        name: str | None = None,
    ) -> None:
        names = [lane.name for lane in lanes]
        if len(set(names)) != len(names):
            raise ValueError(f"lane names must be unique: {names}")
        self.settings = settings
        self.database = database
        self.lanes = list(lanes)
        self.owns_queue = owns_queue
        self.poll_seconds = poll_seconds
        self.name = name or worker_name()
        # A killed worker's items are taken again once its lease passes; an item in flight must never
        # outlive the lease, or a second worker would run it too: every lane says how long that takes.
        self.lease = max(
            [timedelta(seconds=settings.worker_lease_seconds), *(lane.min_lease for lane in self.lanes)]
        )
        self._next_tidy = time.monotonic() + 5  # not in the start-up rush
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
            released = await self._db(self._release_everything)
            if released:
                log.info("worker.recovered", items=released)
        tracks = [_Track(lane) for lane in self.lanes]
        started: list[Lane[Any, Any]] = []
        try:
            for lane in self.lanes:
                await lane.start()
                started.append(lane)
            log.info(
                "worker.started",
                worker=self.name,
                lanes={lane.name: lane.concurrency for lane in self.lanes},
            )
            self.started.set()
            await self._loop(stop, tracks)
        finally:
            for lane in reversed(started):
                await lane.stop()
        log.info("worker.stopped", worker=self.name)

    async def _loop(self, stop: asyncio.Event, tracks: list[_Track]) -> None:
        next_heartbeat = time.monotonic() + self.lease.total_seconds() / 3
        while True:
            for track in tracks:
                track.wanted = track.room(stop.is_set())
                track.claimed = 0
            heartbeat = time.monotonic() >= next_heartbeat and any(
                track.lane.heartbeat and track.in_flight for track in tracks
            )
            finished = any(track.finished for track in tracks)
            failed = False
            if not (finished or any(track.in_flight for track in tracks)) and any(
                track.wanted for track in tracks
            ):
                # Idle: look first in a read transaction, so that an idle worker never takes SQLite's
                # write lock from the server ten times a second.
                try:
                    due = await self._db(partial(self._due, tracks), write=False)
                except Exception:
                    log.exception("worker.poll_failed")
                    due, failed = set(), True
                for track in tracks:
                    if track.lane.name not in due:
                        track.wanted = 0
            if finished or heartbeat or any(track.wanted for track in tracks):
                try:
                    claimed = await self._db(partial(self._turn, tracks, heartbeat=heartbeat))
                except Exception:  # the database is away: keep the outcomes and try again
                    log.exception("worker.turn_failed", pending=sum(len(track.finished) for track in tracks))
                    failed = True
                else:
                    if heartbeat:
                        next_heartbeat = time.monotonic() + self.lease.total_seconds() / 3
                    for track, items in zip(tracks, claimed, strict=True):
                        track.finished = []
                        track.claimed = len(items)
                        for item in items:
                            track.in_flight[asyncio.create_task(track.lane.run(item))] = item
            in_flight = {task: track for track in tracks for task in track.in_flight}
            if failed:
                if stop.is_set() and not in_flight:
                    break  # what stays unrecorded is still leased; the lease brings it back
                await asyncio.sleep(self.RETRY_PAUSE_S)  # not cut short by stop: no busy loop
            elif stop.is_set() and not in_flight and not any(track.finished for track in tracks):
                break
            if in_flight:
                full = any(track.wanted and track.claimed >= track.wanted for track in tracks)
                done, _ = await asyncio.wait(
                    set(in_flight),
                    timeout=0 if full else self.poll_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for task in done:
                    track = in_flight[task]
                    track.in_flight.pop(task)
                    try:
                        track.finished.append(task.result())
                    except Exception:  # never expected: left leased, so it is retried after the lease
                        log.exception("worker.item_failed", lane=track.lane.name)
            elif not failed and not any(track.claimed for track in tracks):
                await self._tidy_when_due()
                await self._pause(stop, self.poll_seconds)

    def _due(self, tracks: list[_Track], session: Session) -> set[str]:
        return {track.lane.name for track in tracks if track.wanted and track.lane.any_due(session)}

    def _turn(self, tracks: list[_Track], session: Session, *, heartbeat: bool) -> list[list[Any]]:
        """One transaction per turn of the loop: record what finished in every lane, renew the leases of
        long items, then claim what each lane asked for (in the order the lanes were registered)."""
        for track in tracks:
            if track.finished:
                track.lane.record(session, worker=self.name, outcomes=track.finished)
            if heartbeat and track.lane.heartbeat and track.in_flight:
                track.lane.extend(
                    session, worker=self.name, items=list(track.in_flight.values()), lease=self.lease
                )
        return [
            track.lane.claim(session, worker=self.name, limit=track.wanted, lease=self.lease)
            if track.wanted > 0
            else []
            for track in tracks
        ]

    def _release_everything(self, session: Session) -> int:
        return sum(lane.release_all(session) for lane in self.lanes)

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

    async def _tidy_when_due(self) -> None:
        """While idle, at most hourly: each lane's housekeeping, a chunk per transaction until done."""
        if time.monotonic() < self._next_tidy:
            return
        self._next_tidy = time.monotonic() + self.TIDY_EVERY_S
        for lane in self.lanes:
            try:
                while await self._db(lane.tidy):
                    pass
            except Exception:  # the database is away; the next hour tries again
                log.exception("worker.tidy_failed", lane=lane.name)

    @staticmethod
    async def _pause(stop: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)
