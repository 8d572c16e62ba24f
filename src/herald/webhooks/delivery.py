"""The database side of delivering webhooks: claim due deliveries with everything needed to send them,
and record what happened (attempt log, retry schedule, endpoint health), one transaction per batch.

The HTTP side lives in ``sender.py``; ``lane.py`` joins them into the worker's webhooks lane.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import orjson
import structlog
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from herald.accounts import service as accounts_service
from herald.db.base import utcnow
from herald.interactions import service as interactions_service
from herald.jobs.leases import FINISHED_STATES, QueueState, any_due, claim_rows
from herald.messages import service as messages_service
from herald.settings import parse_retry_schedule
from herald.webhooks import shapes
from herald.webhooks.models import WebhookEndpoint, attempts_table
from herald.webhooks.models import deliveries_table as deliveries
from herald.webhooks.records import EventFacts, Outcome, Outgoing
from herald.webhooks.schemas import EndpointStatus
from herald.webhooks.secrets import SecretBox
from herald.webhooks.service import disable
from herald.webhooks.shapes import PayloadShape

log = structlog.get_logger()

# Seconds between attempts: 12 attempts over about 39 hours, each delay jittered by up to ±20 %.
DEFAULT_SCHEDULE: tuple[float, ...] = (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200, 43200)
DISABLE_AFTER = timedelta(days=5)
MAX_RETRY_AFTER = timedelta(days=1)
MAX_RETRY_AFTER_SECONDS = 10**7  # anything larger is clamped before it can overflow a timedelta
EXCERPT_CHARS = 500
USER_AGENT = "Herald-Webhooks/1"


@dataclass(frozen=True)
class RetryPolicy:
    """When to try again: ``delays[n-1]`` seconds after the n-th failed attempt; none left → failed."""

    delays: tuple[float, ...] = DEFAULT_SCHEDULE
    jitter: float = 0.2

    @classmethod
    def from_setting(cls, schedule: str | None) -> RetryPolicy:
        """``HERALD_WEBHOOK_RETRY_SCHEDULE`` ("1,5,30") is taken literally, without jitter."""
        delays = parse_retry_schedule(schedule)
        return cls() if delays is None else cls(delays=delays, jitter=0.0)

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    def delay_after(self, attempt: int) -> timedelta | None:
        if attempt > len(self.delays):
            return None
        base = self.delays[attempt - 1]
        factor = random.uniform(1 - self.jitter, 1 + self.jitter) if self.jitter else 1.0
        return timedelta(seconds=base * factor)


@dataclass
class _Keys:
    stamp: datetime
    signers: list[Webhook]
    password: str | None


class SecretCache:
    """Decrypted signing keys per endpoint, kept while the endpoint row is unchanged (``updated_at``)."""

    def __init__(self, box: SecretBox) -> None:
        self.box = box
        self._keys: dict[int, _Keys] = {}

    def keys(self, endpoint: WebhookEndpoint, now: datetime) -> _Keys:
        cached = self._keys.get(endpoint.id)
        rotating = endpoint.previous_secret_until is not None and endpoint.previous_secret_until > now
        stamp = endpoint.updated_at
        if cached is None or cached.stamp != stamp or (len(cached.signers) > 1) != rotating:
            signers = [Webhook(self.box.open(endpoint.secret_token))]
            if rotating and endpoint.previous_secret_token:
                signers.append(Webhook(self.box.open(endpoint.previous_secret_token)))
            password = self.box.open(endpoint.auth_password_token) if endpoint.auth_password_token else None
            cached = _Keys(stamp=stamp, signers=signers, password=password)
            self._keys[endpoint.id] = cached
        return cached


def anything_due(session: Session) -> bool:
    return any_due(session, deliveries)


def claim_deliveries(
    session: Session,
    *,
    worker: str,
    limit: int,
    lease: timedelta,
    secrets: SecretCache,
    max_attempts: int | None = None,
) -> list[Outgoing]:
    """Lease up to ``limit`` due deliveries to ``worker`` and build their signed requests. Commit before
    sending. Rows that cannot be sent are finished here, each with its reason, so one bad row never holds
    up the queue: an endpoint disabled meanwhile, a secret the key cannot open, or a row whose attempts
    ran out while its worker died mid-attempt (``max_attempts``)."""
    rows = claim_rows(
        session,
        deliveries,
        worker=worker,
        limit=limit,
        lease=lease,
        order_by=(deliveries.c.run_at, deliveries.c.id),
        returning=(
            deliveries.c.id,
            deliveries.c.endpoint_id,
            deliveries.c.interaction_id,
            deliveries.c.attempts,
            deliveries.c.locked_until,
            deliveries.c.account_id,
        ),
    )
    if not rows:
        return []
    endpoints = {
        e.id: e
        for e in session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.id.in_({int(r[1]) for r in rows}))
        )
    }
    endpoint_shapes = {e.id: shapes.shapes.get(e.dialect) for e in endpoints.values()}
    with_first_send = {
        int(r[2]) for r in rows if (shape := endpoint_shapes.get(r[1])) is not None and shape.needs_first_send
    }
    facts = _facts(session, {int(r[2]): int(r[5]) for r in rows}, with_first_send=with_first_send)
    now = utcnow()
    outgoing: list[Outgoing] = []
    unsendable: dict[int, str] = {}
    for delivery_id, endpoint_id, interaction_id, attempt, lease_until, _account_id in rows:
        endpoint = endpoints.get(endpoint_id)
        shape = endpoint_shapes.get(endpoint_id)
        event = facts.get(interaction_id)
        if endpoint is None or endpoint.status != EndpointStatus.ENABLED:
            unsendable[delivery_id] = "endpoint disabled"
        elif shape is None:
            unsendable[delivery_id] = f"no payload shape {endpoint.dialect!r} is registered"
        elif event is None:
            unsendable[delivery_id] = "the event is no longer in the ledger"
        elif max_attempts is not None and attempt > max_attempts:
            unsendable[delivery_id] = "attempts spent (the worker stopped during the last one)"
        else:
            try:
                keys = secrets.keys(endpoint, now)
                outgoing.append(
                    _request(endpoint, shape, event, int(delivery_id), int(attempt), lease_until, keys)
                )
            except Exception as error:  # one endpoint's broken secret or data must not stop the others
                log.exception("webhook.unsendable", delivery_id=delivery_id, endpoint_id=endpoint_id)
                unsendable[delivery_id] = f"cannot build the request: {error}"[:1000]
    if unsendable:
        session.execute(
            update(deliveries)
            .where(deliveries.c.id == bindparam("b_id"))
            .values(
                state=QueueState.DISCARDED,
                last_error=bindparam("b_error"),
                run_at=now,
                finished_at=now,
                locked_by=None,
                locked_until=None,
            ),
            [{"b_id": delivery_id, "b_error": reason} for delivery_id, reason in unsendable.items()],
        )
    return outgoing


def _request(
    endpoint: WebhookEndpoint,
    shape: PayloadShape,
    event: EventFacts,
    delivery_id: int,
    attempt: int,
    lease_until: datetime,
    keys: _Keys,
) -> Outgoing:
    payload = shape.build(endpoint.public_id, event)
    message_id = f"msg_{delivery_id}"
    timestamp = utcnow().replace(microsecond=0)
    headers = {
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
    }
    url = endpoint.url
    body: bytes | None = None
    if endpoint.verb == "GET":
        signed = shapes.query_string(payload)
        url = shapes.with_query(url, signed)
    else:
        body = orjson.dumps(payload)
        signed = body.decode("utf-8")
        headers["Content-Type"] = "application/json"
    headers["webhook-signature"] = " ".join(
        signer.sign(msg_id=message_id, timestamp=timestamp, data=signed) for signer in keys.signers
    )
    if endpoint.auth_username and keys.password is not None:
        credentials = f"{endpoint.auth_username}:{keys.password}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
    return Outgoing(
        delivery_id=delivery_id,
        endpoint_id=endpoint.id,
        interaction_id=event.interaction_id,
        attempt=attempt,
        method=endpoint.verb,
        url=url,
        body=body,
        headers=headers,
        lease_until=lease_until,
        endpoint_failing=endpoint.failing_since is not None,
    )


def _facts(session: Session, accounts: dict[int, int], *, with_first_send: set[int]) -> dict[int, EventFacts]:
    """The facts of each interaction (id → its account), from the ledger, its message and its account;
    the contact's first send only for ``with_first_send`` (the shapes that show it)."""
    events = interactions_service.events_by_id(session, ids=list(accounts))
    if not events:
        return {}
    headings = messages_service.headings_by_id(session, ids={e.message_id for e in events.values()})
    zones = accounts_service.timezones_by_id(session, ids=set(accounts.values()))
    sends = interactions_service.first_sends(
        session, pairs={(e.message_id, e.contact_id) for e in events.values() if e.id in with_first_send}
    )
    facts: dict[int, EventFacts] = {}
    for event in events.values():
        heading = headings.get(event.message_id)
        first = sends.get((event.message_id, event.contact_id))
        facts[event.id] = EventFacts(
            interaction_id=event.id,
            type=event.type,
            message_id=event.message_id,
            contact_id=event.contact_id,
            contact_email=event.contact_email,
            contact_phone=event.contact_phone,
            occurred_at=event.occurred_at,
            recorded_at=event.recorded_at,
            event_id=event.event_id,
            metadata=dict(event.metadata or {}),
            channel=heading.channel if heading is not None else "",
            campaign_name=heading.campaign_description if heading is not None else "",
            timezone=zones.get(accounts[event.id], "UTC"),
            send_id=first.interaction_id if first is not None else None,
            sent_at=first.occurred_at if first is not None else None,
        )
    return facts


def record_outcomes(
    session: Session, *, worker: str, outcomes: Sequence[Outcome], policy: RetryPolicy
) -> None:
    """Write the attempt log and each delivery's next state; update endpoint health (a success clears the
    failure record, 5 days of failures or a 410 disable the endpoint). Rows whose lease this worker lost
    are left to their new owner."""
    if not outcomes:
        return
    # Only outcomes of the claim that still holds its row count: a row taken over after a lost lease,
    # queued again by resend/recover/disable, deleted with its endpoint, or already recorded (a turn
    # retried after an unclear commit) keeps its newer state, and no attempt is logged twice.
    held = {
        (int(row_id), lease)
        for row_id, lease in session.execute(
            select(deliveries.c.id, deliveries.c.locked_until)
            .where(
                deliveries.c.id.in_({o.delivery_id for o in outcomes}),
                deliveries.c.locked_by == worker,
                deliveries.c.state == QueueState.RUNNING,
            )
            .with_for_update()
        )
    }
    outcomes = [o for o in outcomes if (o.delivery_id, o.lease_until) in held]
    if not outcomes:
        return
    now = utcnow()
    changes: list[dict[str, Any]] = []
    for o in outcomes:
        delay = None if (o.delivered or o.gone) else policy.delay_after(o.attempt)
        if delay is not None and o.retry_after is not None:
            delay = max(delay, min(o.retry_after, MAX_RETRY_AFTER))
        changes.append(
            {
                "b_id": o.delivery_id,
                "b_status": o.status,
                "b_error": o.error,
                # finished (delivered, or failed for good), or back in the queue after ``delay``
                "b_state": (QueueState.COMPLETED if o.delivered else QueueState.DISCARDED)
                if delay is None
                else QueueState.AVAILABLE,
                "b_run_at": now if delay is None else now + delay,
                "b_finished_at": now if delay is None else None,
            }
        )
    session.execute(
        update(deliveries)
        .where(deliveries.c.id == bindparam("b_id"))
        .values(
            state=bindparam("b_state"),
            run_at=bindparam("b_run_at"),
            last_status=bindparam("b_status"),
            last_error=bindparam("b_error"),
            finished_at=bindparam("b_finished_at"),
            locked_by=None,
            locked_until=None,
        ),
        changes,
    )
    session.execute(
        insert(attempts_table),
        [
            {
                "delivery_id": o.delivery_id,
                "endpoint_id": o.endpoint_id,
                "interaction_id": o.interaction_id,
                "attempt": o.attempt,
                "attempted_at": now,
                "status_code": o.status,
                "latency_ms": o.latency_ms,
                "outcome": _outcome_name(o, policy),
                "response_excerpt": o.excerpt,
                "error": o.error,
            }
            for o in outcomes
        ],
    )
    _update_health(session, outcomes, now)


def _update_health(session: Session, outcomes: Sequence[Outcome], now: datetime) -> None:
    recovered: set[int] = set()
    healthy: set[int] = set()
    failing: set[int] = set()
    gone: set[int] = set()
    for o in outcomes:
        if o.delivered:
            healthy.add(o.endpoint_id)
            if o.endpoint_failing:
                recovered.add(o.endpoint_id)
        elif o.gone:
            gone.add(o.endpoint_id)
        else:
            failing.add(o.endpoint_id)
    failing -= healthy | gone
    if recovered:
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id.in_(recovered), WebhookEndpoint.failing_since.is_not(None))
            .values(failing_since=None)
        )
    if not (gone or failing):
        return
    for endpoint in session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(gone | failing))):
        if endpoint.status != EndpointStatus.ENABLED:
            continue
        if endpoint.id in gone:
            disable(session, endpoint, reason="the endpoint answered 410 Gone")
        elif endpoint.failing_since is None:
            endpoint.failing_since = now
        elif now - endpoint.failing_since >= DISABLE_AFTER:
            disable(session, endpoint, reason="every attempt failed for 5 days")


def _outcome_name(outcome: Outcome, policy: RetryPolicy) -> str:
    if outcome.delivered:
        return "delivered"
    if outcome.gone:
        return "gone"
    return "retrying" if outcome.attempt <= len(policy.delays) else "failed"


def prune(session: Session, *, finished_before: datetime, limit: int = 5000) -> int:
    """Delete up to ``limit`` finished deliveries (delivered or failed) that finished before the cut-off,
    with their attempts; returns how many. Small chunks keep each write transaction short."""
    ids = list(
        session.scalars(
            select(deliveries.c.id)
            .where(deliveries.c.state.in_(FINISHED_STATES), deliveries.c.run_at < finished_before)
            .limit(limit)
        )
    )
    if ids:
        session.execute(delete(attempts_table).where(attempts_table.c.delivery_id.in_(ids)))
        session.execute(delete(deliveries).where(deliveries.c.id.in_(ids)))
    return len(ids)


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """``Retry-After`` as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return timedelta(seconds=min(int(value), MAX_RETRY_AFTER_SECONDS))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        return None
    try:
        return min(max(moment - now, timedelta(0)), timedelta(seconds=MAX_RETRY_AFTER_SECONDS))
    except OverflowError:
        return None
