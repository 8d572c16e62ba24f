"""What must never stop or fool the delivery worker: bad rows, odd answers, stale outcomes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from herald.db.base import utcnow
from herald.db.engine import Database
from herald.errors import InvalidInput
from herald.settings import Settings
from herald.webhooks import delivery, records
from herald.webhooks import shapes as payloads
from herald.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from herald.webhooks.secrets import SecretBox, load_secret_box
from tests.conftest import TenantKey
from tests.factories import create_contact, create_message, event, record
from tests.webhooks.receiver import Receiver
from tests.webhooks.support import eventually, make_endpoint, running_worker


def _setup(client: TestClient, tenant: TenantKey) -> tuple[int, int]:
    contact = create_contact(client, tenant, phone="+27792899967", email="r@example.com")
    message = create_message(client, tenant, channel="sms", subject=None)
    return message["id"], contact["id"]


def _one_queued_send(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> delivery.SecretCache:
    """One delivery queued for an endpoint nobody listens on; the cache to claim it with."""
    message_id, contact_id = _setup(client, tenant)
    make_endpoint(settings, database, tenant.account_id, "http://127.0.0.1:9/x", ["sends"])
    record(client, tenant, [event(message_id, contact_id, "sends", "2026-03-01T10:00:00Z")])
    return delivery.SecretCache(load_secret_box(settings.secret_key, settings.secret_key_file))


def _outcome_of(out: records.Outgoing, status: int, **extra: Any) -> records.Outcome:
    return records.Outcome(
        delivery_id=out.delivery_id,
        endpoint_id=out.endpoint_id,
        interaction_id=out.interaction_id,
        attempt=out.attempt,
        status=status,
        latency_ms=5,
        lease_until=out.lease_until,
        **extra,
    )


def _state_by_endpoint(database: Database) -> dict[int, str]:
    with database.read() as session:
        return dict(session.execute(select(WebhookDelivery.endpoint_id, WebhookDelivery.state)).all())


def test_a_url_the_client_library_cannot_use_fails_its_attempt_not_the_worker(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    message_id, contact_id = _setup(client, tenant)
    with Receiver() as receiver:
        broken = make_endpoint(settings, database, tenant.account_id, f"{receiver.url}/a", ["sends"])
        healthy = make_endpoint(settings, database, tenant.account_id, f"{receiver.url}/b", ["sends"])
        with database.write() as session:  # as if saved by an older version that did not check ports
            session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == broken.view.id)
                .values(url="http://127.0.0.1:99999/a")
            )
        record(client, tenant, [event(message_id, contact_id, "sends", "2026-03-01T10:00:00Z")])
        quick = settings.model_copy(update={"webhook_retry_schedule": "0.1"})
        with running_worker(quick, database):
            eventually(
                lambda: (
                    _state_by_endpoint(database)
                    == {broken.view.id: "discarded", healthy.view.id: "completed"}
                )
            )
    with database.read() as session:
        errors = session.scalars(
            select(WebhookAttempt.error).where(WebhookAttempt.endpoint_id == broken.view.id)
        ).all()
    assert errors
    assert all(error is not None for error in errors)


def test_a_secret_the_key_cannot_open_discards_that_delivery_only(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    message_id, contact_id = _setup(client, tenant)
    with Receiver() as receiver:
        unreadable = make_endpoint(settings, database, tenant.account_id, f"{receiver.url}/a", ["sends"])
        healthy = make_endpoint(settings, database, tenant.account_id, f"{receiver.url}/b", ["sends"])
        foreign = SecretBox([Fernet.generate_key().decode()]).seal("whsec_c2VjcmV0")
        with database.write() as session:
            session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == unreadable.view.id)
                .values(secret_token=foreign)
            )
        record(client, tenant, [event(message_id, contact_id, "sends", "2026-03-01T10:00:00Z")])
        with running_worker(settings, database):
            eventually(
                lambda: (
                    _state_by_endpoint(database)
                    == {unreadable.view.id: "discarded", healthy.view.id: "completed"}
                )
            )
        assert [r.path for r in receiver.received()] == ["/b"]
    with database.read() as session:
        error = session.scalar(
            select(WebhookDelivery.last_error).where(WebhookDelivery.endpoint_id == unreadable.view.id)
        )
    assert error is not None
    assert "cannot build the request" in error


def test_an_outcome_of_an_earlier_claim_does_not_touch_the_current_one(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    cache = _one_queued_send(client, tenant, settings, database)
    policy = delivery.RetryPolicy.from_setting("60,60,60")
    with database.write() as session:
        [first] = delivery.claim_deliveries(
            session, worker="w", limit=10, lease=timedelta(seconds=-1), secrets=cache
        )
    # the lease ran out; the same worker claims the row again (a recover, or a restart, in between)
    with database.write() as session:
        [second] = delivery.claim_deliveries(
            session, worker="w", limit=10, lease=timedelta(seconds=60), secrets=cache
        )
    late_success = _outcome_of(first, 200)
    with database.write() as session:
        delivery.record_outcomes(session, worker="w", outcomes=[late_success], policy=policy)
    with database.read() as session:
        row = session.scalars(select(WebhookDelivery)).one()
        attempts = session.scalars(select(WebhookAttempt)).all()
    assert (row.state, row.attempts) == ("running", 2)
    assert attempts == []
    current_failure = _outcome_of(second, 500)
    for _ in range(2):  # a turn retried after an unclear commit records nothing twice
        with database.write() as session:
            delivery.record_outcomes(session, worker="w", outcomes=[current_failure], policy=policy)
    with database.read() as session:
        row = session.scalars(select(WebhookDelivery)).one()
        assert session.scalars(select(WebhookAttempt.status_code)).all() == [500]
    assert (row.state, row.last_status) == ("available", 500)


def test_retry_after_never_shortens_the_schedule(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    cache = _one_queued_send(client, tenant, settings, database)
    two_days = delivery.RetryPolicy.from_setting(str(2 * 86400))
    with database.write() as session:
        [out] = delivery.claim_deliveries(
            session, worker="w", limit=1, lease=timedelta(seconds=60), secrets=cache
        )
    outcome = _outcome_of(out, 503, retry_after=timedelta(seconds=10))
    with database.write() as session:
        delivery.record_outcomes(session, worker="w", outcomes=[outcome], policy=two_days)
    with database.read() as session:
        run_at = session.scalars(select(WebhookDelivery.run_at)).one()
    assert run_at > utcnow() + timedelta(days=1, hours=23)


@pytest.mark.parametrize("value", ["99999999999999", "²", "Tue, 99 Foo 9999 99:99:99 GMT", "-5", "1e9"])
def test_odd_retry_after_values_are_ignored_or_clamped(value: str) -> None:
    parsed = delivery.parse_retry_after(value, utcnow())
    assert parsed is None or timedelta(0) <= parsed <= timedelta(seconds=delivery.MAX_RETRY_AFTER_SECONDS)


def test_a_get_url_keeps_its_query_and_drops_no_payload() -> None:
    assert payloads.with_query("http://h/p?a=1", "b=2") == "http://h/p?a=1&b=2"
    assert payloads.with_query("http://h/p", "b=2") == "http://h/p?b=2"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:99999/h", "http://127.0.0.1:0/h", "http://127.0.0.1/h#x?y"]
)
def test_urls_with_bad_ports_or_fragments_are_refused(
    settings: Settings, database: Database, tenant: TenantKey, url: str
) -> None:
    with pytest.raises(InvalidInput):
        make_endpoint(settings, database, tenant.account_id, url, ["sends"])
