"""The worker lane of webhook deliveries: claim due outbox rows with their signed requests, send them over
aiohttp, and record each attempt (``delivery.py`` holds the database side, ``sender.py`` the HTTP side)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

import structlog
from sqlalchemy.orm import Session

from herald.db.base import utcnow
from herald.jobs import leases
from herald.jobs.lanes import Lane
from herald.jobs.leases import QueueCount
from herald.webhooks import delivery
from herald.webhooks.delivery import RetryPolicy, SecretCache
from herald.webhooks.models import deliveries_table
from herald.webhooks.records import Outcome, Outgoing
from herald.webhooks.schemas import DELIVERY_STATES
from herald.webhooks.secrets import SecretBox
from herald.webhooks.sender import Sender

log = structlog.get_logger()
PRUNE_CHUNK = 5000


class WebhookLane(Lane[Outgoing, Outcome]):
    """Deliveries in ``run_at`` order; failed attempts come back on the retry schedule (``policy``)."""

    def __init__(
        self,
        *,
        concurrency: int,
        open_box: Callable[[], SecretBox],
        policy: RetryPolicy,
        timeout_s: float,
        allow_private: bool,
        retention: timedelta | None,
    ) -> None:
        # An attempt in flight must end before its lease does: the timeout plus a margin.
        super().__init__(name="webhooks", concurrency=concurrency, min_lease=timedelta(seconds=timeout_s + 5))
        self.policy = policy
        self._open_box = open_box  # opened at start: ``herald jobs`` counts rows without the key
        self.secrets: SecretCache | None = None
        self.timeout_s = timeout_s
        self.allow_private = allow_private
        self.retention = retention
        self.delivered = 0  # for the log line at stop
        self._pruned = 0
        self._sender: Sender | None = None

    async def start(self) -> None:
        self.secrets = SecretCache(self._open_box())
        self._sender = Sender(
            timeout_s=self.timeout_s, allow_private=self.allow_private, concurrency=self.concurrency
        )
        await self._sender.__aenter__()

    async def stop(self) -> None:
        if self._sender is not None:
            await self._sender.__aexit__(None, None, None)
            self._sender = None
        log.info("webhook.lane_stopped", delivered=self.delivered)

    def any_due(self, session: Session) -> bool:
        return delivery.anything_due(session)

    def claim(self, session: Session, *, worker: str, limit: int, lease: timedelta) -> list[Outgoing]:
        assert self.secrets is not None, "the lane is not started"
        return delivery.claim_deliveries(
            session,
            worker=worker,
            limit=limit,
            lease=lease,
            secrets=self.secrets,
            max_attempts=self.policy.max_attempts,
        )

    async def run(self, item: Outgoing) -> Outcome:
        assert self._sender is not None, "the lane is not started"
        return await self._sender.send(item)

    def record(self, session: Session, *, worker: str, outcomes: Sequence[Outcome]) -> None:
        delivery.record_outcomes(session, worker=worker, outcomes=outcomes, policy=self.policy)
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

    def release_all(self, session: Session) -> int:
        return leases.release_all(session, deliveries_table)

    def tidy(self, session: Session) -> bool:
        """Delete finished deliveries older than the retention, with their attempts, a chunk at a time."""
        if self.retention is None:
            return False
        cut_off = utcnow() - self.retention
        removed = delivery.prune(session, finished_before=cut_off, limit=PRUNE_CHUNK)
        self._pruned += removed
        if removed >= PRUNE_CHUNK:
            return True
        if self._pruned:
            log.info("webhook.pruned", deliveries=self._pruned, finished_before=cut_off.isoformat())
            self._pruned = 0
        return False

    def counts(self, session: Session) -> list[QueueCount]:
        table = deliveries_table
        return [
            QueueCount(
                queue=row.queue,
                kind=row.kind,
                state=DELIVERY_STATES.get(row.state, row.state),
                count=row.count,
            )
            for row in leases.queue_counts(session, queue=self.name, table=table, kind=table.c.event_type)
        ]
