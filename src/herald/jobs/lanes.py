"""A lane: one named kind of due work that the worker runs (webhook deliveries and one-off jobs today;
campaign sends, tracking flushes and rollups next).

Each lane owns its queue (a table with the lease columns of ``leases.py``), its claim, its concurrency and
what running one item means. The worker knows lanes only through this interface, so a new kind of work is
a new ``Lane`` registered at the composition root (``herald.wiring.lanes``), never a branch in the worker.

A lane's database methods run on the worker's database thread, each inside the transaction of one turn of
the worker loop (what finished is recorded and more is claimed in one commit); ``run`` runs on the event
loop. Outcomes are recorded by the worker that holds the lease; a lane must fence them by that lease so a
late outcome of a row taken over by another worker changes nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import timedelta
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from herald.jobs.leases import QueueCount

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


class Lane(ABC, Generic[Item, Outcome]):
    """One kind of due work: claim items in a transaction, run them on the loop, record their outcomes.

    ``concurrency`` is how many of its items may be in flight in one worker (each lane has its own
    setting); ``min_lease`` is the shortest lease that still outlives one item's run (the worker leases
    every lane's rows for at least that long); ``heartbeat`` lanes have their leases renewed while items
    run, for work that may take longer than a lease.
    """

    def __init__(
        self, *, name: str, concurrency: int, min_lease: timedelta = timedelta(0), heartbeat: bool = False
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"lane {name!r} needs a concurrency of 1 or more")
        self.name = name
        self.concurrency = concurrency
        self.min_lease = min_lease
        self.heartbeat = heartbeat

    async def start(self) -> None:
        """Open what running items needs (an HTTP session, a connection pool), on the worker's loop."""

    async def stop(self) -> None:
        """Close what ``start`` opened, after the last item finished."""

    @abstractmethod
    def any_due(self, session: Session) -> bool:
        """Whether ``claim`` would take anything now; a cheap probe, run in a read transaction."""

    @abstractmethod
    def claim(self, session: Session, *, worker: str, limit: int, lease: timedelta) -> list[Item]:
        """Lease up to ``limit`` due items to ``worker`` and return what running them needs."""

    @abstractmethod
    async def run(self, item: Item) -> Outcome:
        """Do one item's work. An item's own failure is an outcome, not an exception; an exception leaves
        the item leased, so it is taken again after its lease."""

    @abstractmethod
    def record(self, session: Session, *, worker: str, outcomes: Sequence[Outcome]) -> None:
        """Write what the outcomes came to (done, retry later, given up), fenced by ``worker``'s lease."""

    def extend(self, session: Session, *, worker: str, items: Sequence[Item], lease: timedelta) -> None:
        """Renew the leases of items still running (``heartbeat`` lanes only)."""

    @abstractmethod
    def release_all(self, session: Session) -> int:
        """Make every leased row available again: for the one worker that owns a SQLite queue, at start,
        when every lease it finds was its dead predecessor's. Returns how many."""

    def tidy(self, session: Session) -> bool:
        """Housekeeping while the worker is idle (retention), one small chunk per call; True while there
        is more to do now. Called at most hourly."""
        return False

    @abstractmethod
    def counts(self, session: Session) -> list[QueueCount]:
        """Rows per kind and state, as ``herald jobs`` shows them."""
