"""Deliveries to a real local HTTP receiver, signed and checked with the ``standardwebhooks`` package."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from standardwebhooks import Webhook

from herald.db.base import utcnow
from herald.db.engine import Database
from herald.interactions.models import Interaction
from herald.settings import Settings
from herald.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.conftest import TenantKey
from tests.factories import create_contact, create_message, event, record
from tests.webhooks.receiver import Receiver, Reply
from tests.webhooks.support import eventually, make_endpoint, running_worker


def _sms_setup(client: TestClient, tenant: TenantKey) -> tuple[int, int]:
    contact = create_contact(client, tenant, phone="+27792899967", email="sms@example.com")
    message = create_message(client, tenant, channel="sms", subject=None, campaign_description="Spring sale")
    return message["id"], contact["id"]


def _states(database: Database) -> list[str]:
    with database.read() as session:
        return list(session.scalars(select(WebhookDelivery.state).order_by(WebhookDelivery.id)))


def test_native_delivery_is_signed_and_carries_the_ledger_row(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    message_id, contact_id = _sms_setup(client, tenant)
    with Receiver() as receiver:
        created = make_endpoint(settings, database, tenant.account_id, f"{receiver.url}/hook", ["replies"])
        record(
            client,
            tenant,
            [
                event(message_id, contact_id, "sends", "2026-03-01T10:00:00Z"),
                event(
                    message_id,
                    contact_id,
                    "replies",
                    "2026-03-01T10:05:00Z",
                    metadata={"text": "STOP"},
                    event_id="r-1",
                ),
            ],
        )
        with running_worker(settings, database):
            got = receiver.wait_for(1)
    request = got[0]
    assert request.method == "POST"
    assert request.path == "/hook"
    assert request.headers["Content-Type"] == "application/json"
    payload = Webhook(created.secret).verify(request.body, request.headers)
    assert payload["type"] == "replies"
    assert payload["timestamp"] == "2026-03-01T10:05:00Z"
    assert payload["data"]["metadata"] == {"text": "STOP"}
    assert payload["data"]["event_id"] == "r-1"
    assert payload["data"]["contact_id"] == contact_id
    assert payload["data"]["channel"] == "sms"
    assert request.headers["webhook-id"].startswith("msg_")
    assert _states(database) == ["completed"]


def test_senderguide_payload_has_the_vendor_shape(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    message_id, contact_id = _sms_setup(client, tenant)
    email_message = create_message(client, tenant, channel="email")["id"]
    with Receiver() as receiver:
        created = make_endpoint(
            settings,
            database,
            tenant.account_id,
            receiver.url,
            ["replies", "bounces", "failures"],
            dialect="senderguide",
        )
        sent = record(client, tenant, [event(message_id, contact_id, "sends", "2026-03-01T10:00:00Z")])
        assert sent["recorded"] == 1
        record(
            client,
            tenant,
            [
                event(message_id, contact_id, "replies", "2026-03-01T10:05:00Z", metadata={"text": "STOP"}),
                event(
                    message_id,
                    contact_id,
                    "bounces",
                    "2026-03-01T10:06:00Z",
                    metadata={"bounce_type": "soft", "reason": "policy-related"},
                ),
                event(
                    message_id,
                    contact_id,
                    "failures",
                    "2026-03-01T10:07:00Z",
                    metadata={"error_code": "E42", "reason": "unreachable"},
                ),
                # email events never reach a SenderGuide SMS webhook
                event(email_message, contact_id, "bounces", "2026-03-01T10:08:00Z"),
            ],
        )
        with running_worker(settings, database):
            got = receiver.wait_for(3)
    payloads = [Webhook(created.secret).verify(r.body, r.headers) for r in got]
    by_type = {p["type"]: p for p in payloads}
    assert set(by_type) == {"reply", "bounce", "failed"}
    with database.read() as session:
        send_id = session.scalar(select(Interaction.id).where(Interaction.type == "sends"))
    reply = by_type["reply"]
    assert reply["id"] == created.view.public_id
    assert reply["timestamp"] == "2026-03-01T10:05:00+00:00"
    assert reply["data"]["reply"] == {"content": "STOP", "received_timestamp": "2026-03-01T10:05:00+00:00"}
    transaction = reply["data"]["transaction"]
    assert transaction["id"] == send_id
    assert transaction["custom_id"] == ""
    assert transaction["campaign"] == {"name": "Spring sale"}
    assert transaction["sent_timestamp"] == "2026-03-01T10:00:00+00:00"
    assert transaction["recipient"] == {"mobile_number": "27792899967"}
    assert set(reply["data"]) == {"transaction", "reply"}
    assert by_type["bounce"]["data"]["bounce"] == {
        "message": "policy-related",
        "type": "soft",
        "received_timestamp": "2026-03-01T10:06:00+00:00",
    }
    assert set(by_type["bounce"]["data"]) == {"transaction", "bounce"}
    assert by_type["failed"]["data"]["transaction"]["error_code"] == "E42"
    assert set(by_type["failed"]["data"]) == {"transaction"}
    assert len(got) == 3


def test_get_verb_sends_the_fields_as_query_parameters_with_basic_auth(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    message_id, contact_id = _sms_setup(client, tenant)
    with Receiver() as receiver:
        created = make_endpoint(
            settings,
            database,
            tenant.account_id,
            f"{receiver.url}/in?source=herald",
            ["replies"],
            dialect="senderguide",
            verb="GET",
            auth_username="hook-user",
            auth_password="p@ss:w0rd",
        )
        record(
            client,
            tenant,
            [
                event(
                    message_id, contact_id, "replies", "2026-03-01T10:05:00Z", metadata={"text": "Yes please"}
                ),
            ],
        )
        with running_worker(settings, database):
            got = receiver.wait_for(1)
    request = got[0]
    assert request.method == "GET"
    assert request.body == b""
    expected = "Basic " + base64.b64encode(b"hook-user:p@ss:w0rd").decode()
    assert request.headers["Authorization"] == expected
    params = dict(parse_qsl(request.query_string, keep_blank_values=True))
    assert params["source"] == "herald"
    assert params["type"] == "reply"
    assert params["id"] == created.view.public_id
    assert params["data.reply.content"] == "Yes please"
    assert params["data.transaction.recipient.mobile_number"] == "27792899967"
    assert params["data.transaction.id"] == ""  # no send recorded for this contact
    signed = request.query_string.split("source=herald&", 1)[1]
    Webhook(created.secret).verify(signed, request.headers, json_parse=False)


def _fast(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update={"webhook_retry_schedule": "0.2,0.2,0.2,0.2,0.2,0.2", **changes})


def test_an_outage_loses_nothing(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    message_id, contact_id = _sms_setup(client, tenant)
    outage = {"left": 12}

    def answer(_request: Any) -> Reply:
        if outage["left"] > 0:
            outage["left"] -= 1
            return Reply(status=503, body="down for maintenance")
        return Reply()

    with Receiver(answer) as receiver:
        created = make_endpoint(settings, database, tenant.account_id, receiver.url, ["sends"])
        rows = [event(message_id, contact_id, "sends", f"2026-03-01T10:00:{n:02d}Z") for n in range(8)]
        record(client, tenant, rows)
        with running_worker(_fast(settings), database):
            eventually(lambda: _states(database).count("completed") == 8, message=str(_states(database)))
        got = receiver.received()
    delivered_ids = {
        r.headers["webhook-id"] for r in got if Webhook(created.secret).verify(r.body, r.headers)
    }
    assert len(delivered_ids) == 8
    with database.read() as session:
        outcomes = list(session.scalars(select(WebhookAttempt.outcome)))
    assert outcomes.count("delivered") == 8
    assert outcomes.count("retrying") == 12


def test_retry_after_is_honoured(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    message_id, contact_id = _sms_setup(client, tenant)
    first = {"done": False}

    def answer(_request: Any) -> Reply:
        if not first["done"]:
            first["done"] = True
            return Reply(status=429, headers={"Retry-After": "2"})
        return Reply()

    with Receiver(answer) as receiver:
        make_endpoint(settings, database, tenant.account_id, receiver.url, ["sends"])
        record(client, tenant, [event(message_id, contact_id, "sends", "2026-03-01T10:00:00Z")])
        with running_worker(_fast(settings), database):
            got = receiver.wait_for(2)
    assert got[1].at - got[0].at >= 1.9


def test_410_disables_the_endpoint(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    message_id, contact_id = _sms_setup(client, tenant)
    with Receiver(lambda _r: Reply(status=410, body="gone")) as receiver:
        make_endpoint(settings, database, tenant.account_id, receiver.url, ["sends"])
        record(client, tenant, [event(message_id, contact_id, "sends", "2026-03-01T10:00:00Z")])
        with running_worker(_fast(settings), database):
            receiver.wait_for(1)
            eventually(lambda: _states(database) == ["discarded"])
            record(client, tenant, [event(message_id, contact_id, "sends", "2026-03-01T10:01:00Z")])
        assert len(receiver.received()) == 1
    with database.read() as session:
        endpoint = session.scalars(select(WebhookEndpoint)).one()
    assert endpoint.status == "disabled"
    assert endpoint.disabled_reason == "the endpoint answered 410 Gone"
    assert _states(database) == ["discarded"]  # no delivery is written for a disabled endpoint


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    message_id, contact_id = _sms_setup(client, tenant)

    def answer(request: Any) -> Reply:
        if request.path == "/moved":
            return Reply(status=200)
        return Reply(status=301, headers={"Location": "/moved"})

    with Receiver(answer) as receiver:
        make_endpoint(settings, database, tenant.account_id, f"{receiver.url}/old", ["sends"])
        record(client, tenant, [event(message_id, contact_id, "sends", "2026-03-01T10:00:00Z")])
        with running_worker(_fast(settings, webhook_retry_schedule="0.1"), database):
            eventually(lambda: _states(database) == ["discarded"])
        assert {r.path for r in receiver.received()} == {"/old"}
    with database.read() as session:
        attempt = session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)).first()
    assert attempt is not None
    assert attempt.status_code == 301
    assert attempt.error is not None
    assert "not followed" in attempt.error


def test_a_slow_receiver_times_out_and_is_retried(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    message_id, contact_id = _sms_setup(client, tenant)
    calls = {"n": 0}

    def answer(_request: Any) -> Reply:
        calls["n"] += 1
        return Reply(delay_s=1.5) if calls["n"] == 1 else Reply()

    with Receiver(answer) as receiver:
        make_endpoint(settings, database, tenant.account_id, receiver.url, ["sends"])
        record(client, tenant, [event(message_id, contact_id, "sends", "2026-03-01T10:00:00Z")])
        with running_worker(_fast(settings, webhook_timeout_seconds=0.3), database):
            eventually(lambda: _states(database) == ["completed"])
    with database.read() as session:
        first = session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)).first()
    assert first is not None
    assert first.status_code is None
    assert first.error == "no answer within 0.3 s"


def test_attempts_run_out_then_recover_sends_again(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    message_id, contact_id = _sms_setup(client, tenant)
    healthy = {"yes": False}
    with Receiver(lambda _r: Reply() if healthy["yes"] else Reply(status=500)) as receiver:
        created = make_endpoint(settings, database, tenant.account_id, receiver.url, ["sends"])
        record(client, tenant, [event(message_id, contact_id, "sends", "2026-03-01T10:00:00Z")])
        with running_worker(_fast(settings, webhook_retry_schedule="0.1,0.1"), database):
            eventually(lambda: _states(database) == ["discarded"])
            assert len(receiver.received()) == 3
            healthy["yes"] = True
            from herald.webhooks import outbox

            with database.write() as session:
                count = outbox.recover(
                    session,
                    account_id=tenant.account_id,
                    public_id=created.view.public_id,
                    since=utcnow() - timedelta(hours=1),
                )
            assert count == 1
            eventually(lambda: _states(database) == ["completed"])


def test_five_days_of_failures_disable_the_endpoint(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    message_id, contact_id = _sms_setup(client, tenant)
    with Receiver(lambda _r: Reply(status=500)) as receiver:
        make_endpoint(settings, database, tenant.account_id, receiver.url, ["sends"])
        with database.write() as session:
            session.execute(
                update(WebhookEndpoint).values(failing_since=utcnow() - timedelta(days=5, seconds=1))
            )
        record(client, tenant, [event(message_id, contact_id, "sends", "2026-03-01T10:00:00Z")])
        with running_worker(_fast(settings), database):
            eventually(lambda: _states(database) == ["discarded"])
    with database.read() as session:
        endpoint = session.scalars(select(WebhookEndpoint)).one()
    assert endpoint.status == "disabled"
    assert endpoint.disabled_reason == "every attempt failed for 5 days"


def test_a_success_clears_the_failure_record(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    message_id, contact_id = _sms_setup(client, tenant)
    with Receiver() as receiver:
        make_endpoint(settings, database, tenant.account_id, receiver.url, ["sends"])
        with database.write() as session:
            session.execute(update(WebhookEndpoint).values(failing_since=utcnow() - timedelta(days=1)))
        record(client, tenant, [event(message_id, contact_id, "sends", "2026-03-01T10:00:00Z")])
        with running_worker(settings, database):
            eventually(lambda: _states(database) == ["completed"])
    with database.read() as session:
        assert session.scalars(select(WebhookEndpoint.failing_since)).one() is None


def test_during_rotation_both_secrets_sign(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    from herald.webhooks import service
    from herald.webhooks.secrets import load_secret_box

    message_id, contact_id = _sms_setup(client, tenant)
    with Receiver() as receiver:
        created = make_endpoint(settings, database, tenant.account_id, receiver.url, ["sends"])
        with database.write() as session:
            rotated = service.rotate_secret(
                session,
                account_id=tenant.account_id,
                public_id=created.view.public_id,
                grace=timedelta(hours=1),
                box=load_secret_box(settings.secret_key, settings.secret_key_file),
            )
        record(client, tenant, [event(message_id, contact_id, "sends", "2026-03-01T10:00:00Z")])
        with running_worker(settings, database):
            request = receiver.wait_for(1)[0]
    assert rotated.secret != created.secret
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(created.secret).verify(request.body, request.headers)
    Webhook(rotated.secret).verify(request.body, request.headers)


def test_private_addresses_are_refused_at_delivery(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    message_id, contact_id = _sms_setup(client, tenant)
    with Receiver() as receiver:
        # saved while private addresses were allowed; the worker now runs with them forbidden
        make_endpoint(settings, database, tenant.account_id, receiver.url, ["sends"])
        record(client, tenant, [event(message_id, contact_id, "sends", "2026-03-01T10:00:00Z")])
        strict = _fast(settings, webhook_allow_private=False, webhook_retry_schedule="0.1")
        with running_worker(strict, database):
            eventually(lambda: _states(database) == ["discarded"])
        assert receiver.received() == []
    with database.read() as session:
        errors = list(session.scalars(select(WebhookAttempt.error)))
    assert errors
    assert all(e is not None and "private or local address" in e for e in errors)


def test_deliveries_commit_with_their_events(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    message_id, contact_id = _sms_setup(client, tenant)
    make_endpoint(settings, database, tenant.account_id, "http://127.0.0.1:9/x", ["sends", "replies"])
    make_endpoint(settings, database, tenant.account_id, "http://127.0.0.1:9/y", ["replies"])
    make_endpoint(settings, database, tenant.account_id, "http://127.0.0.1:9/z", ["sends"], status="disabled")
    result = record(
        client,
        tenant,
        [
            event(message_id, contact_id, "sends", "2026-03-01T10:00:00Z"),
            event(message_id, contact_id, "replies", "2026-03-01T10:01:00Z"),
            event(message_id, 999_999, "replies", "2026-03-01T10:01:00Z"),  # rejected: no delivery
        ],
    )
    assert result["recorded"] == 2
    with database.read() as session:
        rows = session.execute(
            select(WebhookDelivery.event_type, WebhookDelivery.state).order_by(WebhookDelivery.id)
        ).all()
    assert sorted(tuple(r) for r in rows) == [
        ("replies", "available"),
        ("replies", "available"),
        ("sends", "available"),
    ]


def test_the_payload_is_built_the_same_on_every_attempt(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    message_id, contact_id = _sms_setup(client, tenant)
    calls = {"n": 0}

    def answer(_request: Any) -> Reply:
        calls["n"] += 1
        return Reply(status=500) if calls["n"] < 3 else Reply()

    with Receiver(answer) as receiver:
        make_endpoint(settings, database, tenant.account_id, receiver.url, ["sends"])
        record(client, tenant, [event(message_id, contact_id, "sends", "2026-03-01T10:00:00Z")])
        with running_worker(_fast(settings), database):
            got = receiver.wait_for(3)
    assert len({r.body for r in got}) == 1
    assert len({r.headers["webhook-id"] for r in got}) == 1
    assert orjson.loads(got[0].body)["type"] == "sends"


def test_deleting_an_endpoint_mid_delivery_does_not_stop_the_worker(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    from herald.webhooks import service

    message_id, contact_id = _sms_setup(client, tenant)
    with Receiver(lambda r: Reply(delay_s=1.0) if r.path == "/slow" else Reply()) as receiver:
        slow = make_endpoint(settings, database, tenant.account_id, f"{receiver.url}/slow", ["sends"])
        record(client, tenant, [event(message_id, contact_id, "sends", "2026-03-01T10:00:00Z")])
        with running_worker(settings, database):
            receiver.wait_for(1)
            with database.write() as session:
                service.delete_endpoint(session, account_id=tenant.account_id, public_id=slow.view.public_id)
            make_endpoint(settings, database, tenant.account_id, f"{receiver.url}/fast", ["sends"])
            record(client, tenant, [event(message_id, contact_id, "sends", "2026-03-01T10:01:00Z")])
            got = receiver.wait_for(2)
            eventually(lambda: _states(database) == ["completed"])
    assert [r.path for r in got] == ["/slow", "/fast"]
    with database.read() as session:
        assert session.scalars(select(WebhookAttempt.outcome)).all() == ["delivered"]


def test_finished_deliveries_older_than_the_retention_are_pruned(
    client: TestClient, tenant: TenantKey, settings: Settings, database: Database
) -> None:
    message_id, contact_id = _sms_setup(client, tenant)
    with Receiver() as receiver:
        make_endpoint(settings, database, tenant.account_id, receiver.url, ["sends"])
        record(
            client,
            tenant,
            [event(message_id, contact_id, "sends", f"2026-03-01T10:00:0{n}Z") for n in range(3)],
        )
        with running_worker(settings, database):
            eventually(lambda: _states(database) == ["completed"] * 3)
        with database.write() as session:  # the first two finished long ago
            first_two = select(WebhookDelivery.id).order_by(WebhookDelivery.id).limit(2).scalar_subquery()
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(first_two))
                .values(run_at=utcnow() - timedelta(days=31))
            )
        with running_worker(settings, database) as worker:
            worker._next_prune = 0  # due now rather than 5 s after start
            eventually(lambda: len(_states(database)) == 1)
    with database.read() as session:
        assert (
            session.scalars(select(WebhookAttempt.delivery_id)).all()
            == session.scalars(select(WebhookDelivery.id)).all()
        )
