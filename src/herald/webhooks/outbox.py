"""The outbox of webhook deliveries and the attempt log.

Deliveries are written in the transaction that records their event (``on_recorded``, the ledger's
subscriber): one per (event, enabled endpoint of the account whose shape receives it). The worker's
webhooks lane (``lane.py``) sends them; the functions below show, resend and recover them. Everything runs
in the caller's transaction and never commits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from herald.db.base import utcnow
from herald.errors import Conflict, FieldProblem, InvalidInput, NotFound
from herald.interactions import service as interactions_service
from herald.interactions.records import Recorded
from herald.jobs.leases import PENDING_STATES, QueueState
from herald.messages import service as messages_service
from herald.webhooks import service as webhooks_service
from herald.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, deliveries_table
from herald.webhooks.schemas import DELIVERY_STATES, AttemptView, DeliveryView, EndpointStatus
from herald.webhooks.shapes import shapes


def on_recorded(session: Session, recorded: Recorded) -> None:
    """The ledger's subscriber: write one delivery per (event, enabled endpoint that wants it), in the
    recording transaction, so an event never commits without its deliveries."""
    if not recorded.events:
        return
    endpoints = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.dialect, WebhookEndpoint.event_types).where(
            WebhookEndpoint.account_id == recorded.account_id,
            WebhookEndpoint.status == EndpointStatus.ENABLED,
        )
    ).all()
    if not endpoints:
        return
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for endpoint_id, dialect, event_types in endpoints:
        wanted = set(event_types)
        shape = shapes.get(dialect)
        if shape is None:
            continue  # an endpoint of a dialect this build no longer has: nothing could be sent to it
        for event in recorded.events:
            if event.type not in wanted or not shape.receives(event.type, event.channel):
                continue
            rows.append(
                {
                    "account_id": recorded.account_id,
                    "endpoint_id": endpoint_id,
                    "interaction_id": event.interaction_id,
                    "event_type": event.type,
                    "state": QueueState.AVAILABLE,
                    "run_at": now,
                    "attempts": 0,
                    "created_at": now,
                }
            )
    if rows:
        session.execute(insert(deliveries_table), rows)


def list_deliveries(
    session: Session,
    *,
    account_id: int,
    public_id: str,
    interaction_id: int | None = None,
    state: str | None = None,
    after_id: int | None = None,
    limit: int = 100,
) -> list[DeliveryView]:
    """The endpoint's deliveries, oldest first (``state`` as the API names it: pending, failed, ...)."""
    endpoint = webhooks_service.load(session, account_id=account_id, public_id=public_id)
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if interaction_id is not None:
        query = query.where(WebhookDelivery.interaction_id == interaction_id)
    if state is not None:
        internal = [k for k, v in DELIVERY_STATES.items() if v == state]
        query = query.where(WebhookDelivery.state.in_(internal))
    if after_id is not None:
        query = query.where(WebhookDelivery.id > after_id)
    rows = session.scalars(query.order_by(WebhookDelivery.id).limit(limit))
    return [_delivery_view(row, endpoint.public_id) for row in rows]


def list_attempts(
    session: Session,
    *,
    account_id: int,
    public_id: str,
    interaction_id: int | None = None,
    after_id: int | None = None,
    limit: int = 100,
) -> list[AttemptView]:
    """The endpoint's attempt log, oldest first, optionally for one event."""
    endpoint = webhooks_service.load(session, account_id=account_id, public_id=public_id)
    query = select(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint.id)
    if interaction_id is not None:
        query = query.where(WebhookAttempt.interaction_id == interaction_id)
    if after_id is not None:
        query = query.where(WebhookAttempt.id > after_id)
    rows = session.scalars(query.order_by(WebhookAttempt.id).limit(limit))
    return [
        AttemptView(
            id=row.id,
            delivery_id=row.delivery_id,
            endpoint_id=endpoint.public_id,
            interaction_id=row.interaction_id,
            attempt=row.attempt,
            attempted_at=row.attempted_at,
            status_code=row.status_code,
            latency_ms=row.latency_ms,
            outcome=row.outcome,
            response_excerpt=row.response_excerpt,
            error=row.error,
        )
        for row in rows
    ]


def resend(session: Session, *, account_id: int, public_id: str, interaction_id: int) -> DeliveryView:
    """Send one event to the endpoint again now (whatever its earlier outcome), keeping its
    ``webhook-id`` so receivers can tell it is the same event. Raises NotFound for an unknown event."""
    endpoint = webhooks_service.load(session, account_id=account_id, public_id=public_id)
    webhooks_service.require_enabled(endpoint)
    now = utcnow()
    delivery = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.interaction_id == interaction_id)
        .order_by(WebhookDelivery.id)
        .limit(1)
        .with_for_update()  # a worker's claim and this change of state never interleave
    ).first()
    if delivery is None:
        event = interactions_service.get_interaction(
            session, account_id=account_id, interaction_id=interaction_id
        )
        if event is None:
            raise NotFound("interaction not found")
        kind = event.type
        heading = messages_service.headings_by_id(session, ids={event.message_id}).get(event.message_id)
        channel = heading.channel if heading is not None else None
        # An endpoint is sent only events its shape can carry (a shape may know a few types or channels).
        shape = shapes.get(endpoint.dialect)
        if shape is None or not shape.receives(kind, channel):
            raise Conflict(
                "this webhook does not receive that event",
                problems=[FieldProblem("interaction_id", f"a {kind} event of a {channel} message")],
            )
        delivery = WebhookDelivery(
            account_id=account_id,
            endpoint_id=endpoint.id,
            interaction_id=interaction_id,
            event_type=kind,
            state=QueueState.AVAILABLE,
            run_at=now,
            attempts=0,
            created_at=now,
        )
        session.add(delivery)
    elif delivery.state != QueueState.RUNNING:
        delivery.state = QueueState.AVAILABLE
        delivery.run_at = now
        delivery.attempts = 0
        delivery.finished_at = None
    session.flush()
    return _delivery_view(delivery, endpoint.public_id)


def recover(
    session: Session, *, account_id: int, public_id: str, since: datetime, until: datetime | None = None
) -> int:
    """Queue again every failed delivery of the endpoint created in [since, until); returns how many."""
    endpoint = webhooks_service.load(session, account_id=account_id, public_id=public_id)
    for name, moment in (("since", since), ("until", until)):
        try:
            if moment is not None:
                moment.astimezone(UTC)
        except OverflowError:
            raise InvalidInput(
                f"{name} is out of range",
                problems=[FieldProblem(name, "is outside the years 1 to 9999 in UTC")],
            ) from None
    webhooks_service.require_enabled(endpoint)
    query = update(deliveries_table).where(
        deliveries_table.c.endpoint_id == endpoint.id,
        deliveries_table.c.state == QueueState.DISCARDED,
        deliveries_table.c.created_at >= since,
    )
    if until is not None:
        query = query.where(deliveries_table.c.created_at < until)
    result = session.execute(
        query.values(state=QueueState.AVAILABLE, run_at=utcnow(), attempts=0, finished_at=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _delivery_view(row: WebhookDelivery, endpoint_public_id: str) -> DeliveryView:
    pending = row.state in PENDING_STATES
    return DeliveryView(
        id=row.id,
        endpoint_id=endpoint_public_id,
        interaction_id=row.interaction_id,
        event_type=row.event_type,
        state=DELIVERY_STATES.get(row.state, row.state),
        attempts=row.attempts,
        next_attempt_at=row.run_at if pending else None,
        last_status=row.last_status,
        last_error=row.last_error,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


def attempt_outcomes(session: Session) -> dict[str, int]:
    """How many attempts the log keeps per outcome (delivered, retrying, failed, gone), every account."""
    rows = session.execute(
        select(WebhookAttempt.outcome, func.count())
        .group_by(WebhookAttempt.outcome)
        .order_by(WebhookAttempt.outcome)
    )
    return {str(outcome): int(count) for outcome, count in rows}
