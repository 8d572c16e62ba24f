"""Native /v1/webhooks: endpoints, their secrets, the deliveries written at ingest, resend, recover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.conftest import TEST_SECRET_KEY, TenantKey
from tests.factories import create_contact, create_message, event, record

from herald.api.app import create_app
from herald.api.native.webhooks.schemas import DeliveryStateName
from herald.db.engine import Database
from herald.settings import Settings
from herald.webhooks import service as webhooks_service
from herald.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from herald.webhooks.schemas import DELIVERY_STATES, EndpointPolicy, EndpointSpec
from herald.webhooks.secrets import SecretBox

URL = "https://hooks.example.com/herald"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def create_webhook(client: TestClient, tenant: TenantKey, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"url": URL, "event_types": ["opens", "clicks"]}
    payload.update(fields)
    response = client.post("/v1/webhooks", json=payload, headers=tenant.bearer)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def fields_of(problem: dict[str, Any]) -> list[str]:
    return [error["field"] for error in problem.get("errors", [])]


def record_events(client: TestClient, tenant: TenantKey, kinds: list[str]) -> list[int]:
    """Record one event of each kind (one contact, one message) and return their interaction ids."""
    contact = create_contact(client, tenant, email=f"ada@{tenant.name}.example.com")
    message = create_message(client, tenant)
    rows = [event(message["id"], contact["id"], kind, "2026-11-26T10:00:00Z") for kind in kinds]
    assert record(client, tenant, rows)["recorded"] == len(kinds)
    page = client.get(
        "/v1/interactions", params={"message_id": message["id"], "limit": 1000}, headers=tenant.bearer
    ).json()
    return [row["id"] for row in page["data"]][-len(kinds) :]


def deliveries(client: TestClient, tenant: TenantKey, webhook_id: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"/v1/webhooks/{webhook_id}/deliveries", params=params, headers=tenant.bearer)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


def endpoint_row(database: Database, webhook_id: str) -> WebhookEndpoint:
    with database.read() as session:
        row = session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.public_id == webhook_id)).one()
        session.expunge(row)
        return row


# --- create ------------------------------------------------------------------------------------------


def test_create_answers_201_with_location_and_a_secret_shown_only_there(
    client: TestClient, tenant: TenantKey
) -> None:
    created = create_webhook(
        client,
        tenant,
        url=URL,
        event_types=["bounces", "complaints", "bounces"],
        verb="GET",
        description="bounce handling",
        auth={"username": "herald", "password": "pa55word"},
    )
    secret = created.pop("secret")
    assert secret.startswith("whsec_")
    assert len(secret) > 40
    assert {k: v for k, v in created.items() if k not in ("id", "created_at", "updated_at")} == {
        "dialect": "native",
        "url": URL,
        "verb": "GET",
        "event_types": ["bounces", "complaints"],
        "description": "bounce handling",
        "auth": {"username": "herald", "password": "********"},
        "status": "enabled",
        "disabled_reason": None,
        "failing_since": None,
        "secret_rotating_until": None,
    }
    webhook_id = created["id"]
    answers = [
        client.get(f"/v1/webhooks/{webhook_id}", headers=tenant.bearer),
        client.get("/v1/webhooks", headers=tenant.bearer),
        client.patch(f"/v1/webhooks/{webhook_id}", json={"description": "x"}, headers=tenant.bearer),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert secret not in answer.text
        assert "whsec_" not in answer.text
        assert "pa55word" not in answer.text
    assert answers[0].json() == {**created, "description": "bounce handling"}


def test_create_location_names_the_new_webhook(client: TestClient, tenant: TenantKey) -> None:
    response = client.post("/v1/webhooks", json={"url": URL, "event_types": ["sends"]}, headers=tenant.bearer)
    assert response.status_code == 201
    assert response.headers["location"] == f"/v1/webhooks/{response.json()['id']}"
    assert client.get(response.headers["location"], headers=tenant.bearer).status_code == 200


def test_defaults_are_an_enabled_post_webhook_without_auth(client: TestClient, tenant: TenantKey) -> None:
    created = create_webhook(client, tenant, event_types=["sends"])
    assert (created["verb"], created["status"], created["auth"], created["description"]) == (
        "POST",
        "enabled",
        None,
        None,
    )


def test_a_webhook_can_be_created_disabled(client: TestClient, tenant: TenantKey) -> None:
    created = create_webhook(client, tenant, status="disabled")
    assert created["status"] == "disabled"


def test_invalid_settings_are_a_400_naming_every_field(client: TestClient, tenant: TenantKey) -> None:
    response = client.post(
        "/v1/webhooks",
        json={
            "url": "ftp://files.example.com/in",
            "event_types": ["opens", "views"],
            "verb": "PUT",
            "auth": {"username": "her:ald"},
        },
        headers=tenant.bearer,
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "invalid_input"
    assert fields_of(problem) == ["url", "event_types.1", "verb", "auth.password", "auth.username"]
    assert client.get("/v1/webhooks", headers=tenant.bearer).json()["data"] == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "https://user:pw@hooks.example.com/", "event_types": ["opens"]}, "url"),
        ({"url": "/relative/path", "event_types": ["opens"]}, "url"),
        ({"url": URL, "event_types": []}, "event_types"),
        ({"url": URL, "event_types": ["opens"], "auth": {"password": "only"}}, "auth.username"),
    ],
)
def test_each_rule_is_a_400_naming_its_field(
    client: TestClient, tenant: TenantKey, payload: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/webhooks", json=payload, headers=tenant.bearer)
    assert response.status_code == 400, response.text
    assert fields_of(response.json()) == [field]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"event_types": ["opens"]}, "url"),
        ({"url": URL}, "event_types"),
        ({"url": URL, "event_types": ["opens"], "status": "paused"}, "status"),
        ({"url": URL, "event_types": ["opens"], "secret": "whsec_mine"}, "secret"),
        ({"url": "https://hooks.example.com/\x00", "event_types": ["opens"]}, "url"),
        ({"url": "https://hooks.example.com/" + "a" * 2000, "event_types": ["opens"]}, "url"),
        ({"url": URL, "event_types": "opens"}, "event_types"),
    ],
)
def test_a_body_that_does_not_fit_the_schema_is_a_422(
    client: TestClient, tenant: TenantKey, payload: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/webhooks", json=payload, headers=tenant.bearer)
    assert response.status_code == 422, response.text
    assert field in fields_of(response.json())


def test_private_addresses_are_refused_unless_the_server_allows_them(
    settings: Settings, database: Database, tenant: TenantKey
) -> None:
    strict = settings.model_copy(update={"webhook_allow_private": False})
    with TestClient(create_app(strict, database), raise_server_exceptions=False) as client:
        for url in ("http://127.0.0.1:8080/hook", "http://[::1]/hook", "http://10.0.0.7/hook"):
            response = client.post(
                "/v1/webhooks", json={"url": url, "event_types": ["opens"]}, headers=tenant.bearer
            )
            assert response.status_code == 400, response.text
            assert fields_of(response.json()) == ["url"]


# --- list --------------------------------------------------------------------------------------------


def test_list_pages_through_every_webhook_of_both_dialects(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey, database: Database
) -> None:
    made = [create_webhook(client, tenant, description=f"hook {n}")["id"] for n in range(4)]
    create_webhook(client, other_tenant)
    with database.write() as session:
        legacy = webhooks_service.create_endpoint(
            session,
            account_id=tenant.account_id,
            spec=EndpointSpec(dialect="senderguide", url=URL, event_types=["deliveries"]),
            box=SecretBox([TEST_SECRET_KEY]),
            policy=EndpointPolicy(allow_private=True),
        )
    made.append(legacy.view.public_id)
    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/webhooks", params=params, headers=tenant.bearer).json()
        seen.extend(page["data"])
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert [row["id"] for row in seen] == made
    assert [row["dialect"] for row in seen] == ["native"] * 4 + ["senderguide"]
    assert client.get("/v1/webhooks", params={"cursor": "!!"}, headers=tenant.bearer).status_code == 400
    assert client.get("/v1/webhooks", params={"limit": 0}, headers=tenant.bearer).status_code == 422


# --- patch -------------------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_given(client: TestClient, tenant: TenantKey) -> None:
    created = create_webhook(client, tenant, description="first", auth={"username": "u", "password": "p"})
    response = client.patch(
        f"/v1/webhooks/{created['id']}",
        json={"url": "https://other.example.com/in", "event_types": ["replies", "failures"]},
        headers=tenant.bearer,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["url"], body["event_types"]) == ("https://other.example.com/in", ["replies", "failures"])
    assert (body["description"], body["auth"], body["verb"]) == (
        "first",
        {"username": "u", "password": "********"},
        "POST",
    )
    assert body["updated_at"] > created["updated_at"]
    cleared = client.patch(f"/v1/webhooks/{created['id']}", json={"description": None}, headers=tenant.bearer)
    assert cleared.json()["description"] is None


def test_patch_auth_null_removes_basic_auth_and_a_new_username_keeps_the_password(
    client: TestClient, tenant: TenantKey, database: Database
) -> None:
    webhook_id = create_webhook(client, tenant, auth={"username": "u", "password": "p"})["id"]
    box = SecretBox([TEST_SECRET_KEY])
    renamed = client.patch(
        f"/v1/webhooks/{webhook_id}", json={"auth": {"username": "v"}}, headers=tenant.bearer
    )
    assert renamed.json()["auth"] == {"username": "v", "password": "********"}
    row = endpoint_row(database, webhook_id)
    assert row.auth_password_token is not None
    assert box.open(row.auth_password_token) == "p"
    removed = client.patch(f"/v1/webhooks/{webhook_id}", json={"auth": None}, headers=tenant.bearer)
    assert removed.status_code == 200
    assert removed.json()["auth"] is None
    row = endpoint_row(database, webhook_id)
    assert (row.auth_username, row.auth_password_token) == (None, None)
    half = client.patch(f"/v1/webhooks/{webhook_id}", json={"auth": {"password": "q"}}, headers=tenant.bearer)
    assert half.status_code == 400
    assert fields_of(half.json()) == ["auth.username"]


def test_patch_refuses_invalid_results_and_nulls_without_changing_anything(
    client: TestClient, tenant: TenantKey
) -> None:
    created = create_webhook(client, tenant)
    webhook_id = created.pop("secret") and created["id"]
    bad = client.patch(
        f"/v1/webhooks/{webhook_id}",
        json={"event_types": ["opens", "nope"], "verb": "put"},
        headers=tenant.bearer,
    )
    assert bad.status_code == 400
    assert fields_of(bad.json()) == ["event_types.1", "verb"]
    nulls = client.patch(
        f"/v1/webhooks/{webhook_id}",
        json={"url": None, "status": None, "auth": {"username": None}},
        headers=tenant.bearer,
    )
    assert nulls.status_code == 400
    assert fields_of(nulls.json()) == ["url", "status", "auth.username"]
    assert (
        client.patch(f"/v1/webhooks/{webhook_id}", json={"colour": "red"}, headers=tenant.bearer).status_code
        == 422
    )
    assert client.get(f"/v1/webhooks/{webhook_id}", headers=tenant.bearer).json() == created


def test_disabling_fails_pending_deliveries_and_re_enabling_clears_the_failure_record(
    client: TestClient, tenant: TenantKey, database: Database
) -> None:
    webhook_id = create_webhook(client, tenant, event_types=["opens"])["id"]
    record_events(client, tenant, ["opens"])
    assert [d["state"] for d in deliveries(client, tenant, webhook_id)] == ["pending"]
    disabled = client.patch(f"/v1/webhooks/{webhook_id}", json={"status": "disabled"}, headers=tenant.bearer)
    assert disabled.status_code == 200
    assert (disabled.json()["status"], disabled.json()["disabled_reason"]) == (
        "disabled",
        "disabled through the API",
    )
    assert [d["state"] for d in deliveries(client, tenant, webhook_id)] == ["failed"]
    with database.write() as session:
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.public_id == webhook_id)
            .values(failing_since=datetime(2026, 11, 1, tzinfo=UTC))
        )
    assert client.get(f"/v1/webhooks/{webhook_id}", headers=tenant.bearer).json()["failing_since"] == (
        "2026-11-01T00:00:00Z"
    )
    enabled = client.patch(f"/v1/webhooks/{webhook_id}", json={"status": "enabled"}, headers=tenant.bearer)
    assert enabled.status_code == 200
    assert {k: enabled.json()[k] for k in ("status", "disabled_reason", "failing_since")} == {
        "status": "enabled",
        "disabled_reason": None,
        "failing_since": None,
    }


def test_a_disabled_webhook_gets_no_new_deliveries(client: TestClient, tenant: TenantKey) -> None:
    webhook_id = create_webhook(client, tenant, event_types=["opens"], status="disabled")["id"]
    record_events(client, tenant, ["opens"])
    assert deliveries(client, tenant, webhook_id) == []


# --- delete ------------------------------------------------------------------------------------------


def test_delete_answers_204_then_the_webhook_is_gone(client: TestClient, tenant: TenantKey) -> None:
    webhook_id = create_webhook(client, tenant, event_types=["opens"])["id"]
    record_events(client, tenant, ["opens"])
    response = client.delete(f"/v1/webhooks/{webhook_id}", headers=tenant.bearer)
    assert (response.status_code, response.content) == (204, b"")
    assert client.get(f"/v1/webhooks/{webhook_id}", headers=tenant.bearer).status_code == 404
    assert client.delete(f"/v1/webhooks/{webhook_id}", headers=tenant.bearer).status_code == 404
    assert client.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=tenant.bearer).status_code == 404
    assert client.get("/v1/webhooks", headers=tenant.bearer).json()["data"] == []


# --- tenancy -----------------------------------------------------------------------------------------

ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "", None),
    ("PATCH", "", {"description": "mine now"}),
    ("POST", "/rotate-secret", {"grace_seconds": 0}),
    ("GET", "/deliveries", None),
    ("GET", "/attempts", None),
    ("POST", "/resend", {"interaction_id": 1}),
    ("POST", "/recover", {"since": "2020-01-01T00:00:00Z"}),
    ("DELETE", "", None),
]


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
def test_another_accounts_webhook_is_not_found_on_every_route(
    client: TestClient,
    tenant: TenantKey,
    other_tenant: TenantKey,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    theirs = create_webhook(client, other_tenant, event_types=["opens"])
    record_events(client, other_tenant, ["opens"])
    for webhook_id in (theirs["id"], UNKNOWN_ID, "not-a-uuid"):
        response = client.request(
            method, f"/v1/webhooks/{webhook_id}{suffix}", json=body, headers=tenant.bearer
        )
        assert response.status_code == 404, (webhook_id, response.text)
        assert response.json()["code"] == "not_found"
    after = client.get(f"/v1/webhooks/{theirs['id']}", headers=other_tenant.bearer).json()
    assert after == {k: v for k, v in theirs.items() if k != "secret"}
    assert [d["state"] for d in deliveries(client, other_tenant, theirs["id"])] == ["pending"]


def test_every_route_needs_an_api_key(client: TestClient, tenant: TenantKey) -> None:
    webhook_id = create_webhook(client, tenant)["id"]
    assert client.post("/v1/webhooks", json={"url": URL, "event_types": ["opens"]}).status_code == 401
    assert client.get("/v1/webhooks").status_code == 401
    for method, suffix, body in ROUTES:
        assert client.request(method, f"/v1/webhooks/{webhook_id}{suffix}", json=body).status_code == 401


# --- secrets -----------------------------------------------------------------------------------------


def test_rotate_secret_answers_a_new_secret_and_keeps_the_old_one_for_the_grace(
    client: TestClient, tenant: TenantKey, database: Database
) -> None:
    created = create_webhook(client, tenant)
    before = datetime.now(UTC)
    response = client.post(
        f"/v1/webhooks/{created['id']}/rotate-secret", json={"grace_seconds": 3600}, headers=tenant.bearer
    )
    after = datetime.now(UTC)
    assert response.status_code == 200, response.text
    rotated = response.json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != created["secret"]
    until = datetime.fromisoformat(rotated["secret_rotating_until"])
    assert before + timedelta(hours=1) <= until <= after + timedelta(hours=1)
    box = SecretBox([TEST_SECRET_KEY])
    row = endpoint_row(database, created["id"])
    assert box.open(row.secret_token) == rotated["secret"]
    assert row.previous_secret_token is not None
    assert box.open(row.previous_secret_token) == created["secret"]
    shown = client.get(f"/v1/webhooks/{created['id']}", headers=tenant.bearer)
    assert shown.json()["secret_rotating_until"] == rotated["secret_rotating_until"]
    assert "whsec_" not in shown.text


def test_rotate_secret_grace_defaults_to_a_day_and_zero_drops_the_old_secret(
    client: TestClient, tenant: TenantKey, database: Database
) -> None:
    webhook_id = create_webhook(client, tenant)["id"]
    default = client.post(f"/v1/webhooks/{webhook_id}/rotate-secret", headers=tenant.bearer).json()
    until = datetime.fromisoformat(default["secret_rotating_until"])
    assert timedelta(hours=23, minutes=59) < until - datetime.now(UTC) <= timedelta(days=1)
    at_once = client.post(
        f"/v1/webhooks/{webhook_id}/rotate-secret", json={"grace_seconds": 0}, headers=tenant.bearer
    ).json()
    assert at_once["secret_rotating_until"] is None
    assert at_once["secret"] != default["secret"]
    assert endpoint_row(database, webhook_id).previous_secret_token is None
    for grace in (-1, 604_801, "soon"):
        response = client.post(
            f"/v1/webhooks/{webhook_id}/rotate-secret", json={"grace_seconds": grace}, headers=tenant.bearer
        )
        assert response.status_code == 422, grace
        assert fields_of(response.json()) == ["grace_seconds"]


def test_secrets_and_passwords_are_stored_encrypted(
    client: TestClient, tenant: TenantKey, database: Database
) -> None:
    created = create_webhook(client, tenant, auth={"username": "u", "password": "hunter2-password"})
    row = endpoint_row(database, created["id"])
    assert "whsec_" not in row.secret_token
    assert created["secret"] not in row.secret_token
    assert row.auth_password_token is not None
    assert "hunter2" not in row.auth_password_token
    box = SecretBox([TEST_SECRET_KEY])
    assert box.open(row.secret_token) == created["secret"]
    assert box.open(row.auth_password_token) == "hunter2-password"


# --- deliveries --------------------------------------------------------------------------------------


def test_recorded_interactions_queue_deliveries_only_for_matching_event_types(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    engagement = create_webhook(client, tenant, event_types=["opens", "clicks"])["id"]
    bounces = create_webhook(client, tenant, event_types=["bounces"])["id"]
    unrelated = create_webhook(client, tenant, event_types=["replies"])["id"]
    theirs = create_webhook(client, other_tenant, event_types=["opens", "clicks", "bounces"])["id"]
    sends, opens, clicks, bounce = record_events(client, tenant, ["sends", "opens", "clicks", "bounces"])
    rows = deliveries(client, tenant, engagement)
    assert [(d["interaction_id"], d["event_type"], d["state"], d["attempts"]) for d in rows] == [
        (opens, "opens", "pending", 0),
        (clicks, "clicks", "pending", 0),
    ]
    assert all(d["endpoint_id"] == engagement and d["next_attempt_at"] for d in rows)
    assert all(d["finished_at"] is None and d["last_status"] is None for d in rows)
    assert [d["interaction_id"] for d in deliveries(client, tenant, bounces)] == [bounce]
    assert deliveries(client, tenant, unrelated) == []
    assert deliveries(client, other_tenant, theirs) == []
    assert sends not in {d["interaction_id"] for d in rows}


def test_deliveries_filter_by_interaction_and_state_and_page(
    client: TestClient, tenant: TenantKey, database: Database
) -> None:
    webhook_id = create_webhook(client, tenant, event_types=["opens"])["id"]
    ids = record_events(client, tenant, ["opens"] * 5)
    assert [d["interaction_id"] for d in deliveries(client, tenant, webhook_id, interaction_id=ids[2])] == [
        ids[2]
    ]
    with database.write() as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.interaction_id.in_(ids[:2]))
            .values(state="completed", last_status=200, finished_at=datetime.now(UTC))
        )
    delivered = deliveries(client, tenant, webhook_id, state="delivered")
    assert [(d["interaction_id"], d["last_status"], d["next_attempt_at"]) for d in delivered] == [
        (ids[0], 200, None),
        (ids[1], 200, None),
    ]
    assert [d["interaction_id"] for d in deliveries(client, tenant, webhook_id, state="pending")] == ids[2:]
    assert deliveries(client, tenant, webhook_id, state="failed") == []
    first = client.get(
        f"/v1/webhooks/{webhook_id}/deliveries", params={"limit": 3}, headers=tenant.bearer
    ).json()
    second = client.get(
        f"/v1/webhooks/{webhook_id}/deliveries",
        params={"limit": 3, "cursor": first["next_cursor"]},
        headers=tenant.bearer,
    ).json()
    assert [d["interaction_id"] for d in first["data"] + second["data"]] == ids
    assert second["next_cursor"] is None
    bad = client.get(f"/v1/webhooks/{webhook_id}/deliveries", params={"state": "lost"}, headers=tenant.bearer)
    assert bad.status_code == 422
    assert fields_of(bad.json()) == ["state"]


def test_delivery_state_names_are_the_services(client: TestClient) -> None:
    assert set(get_args(DeliveryStateName)) == set(DELIVERY_STATES.values())


# --- resend ------------------------------------------------------------------------------------------


def test_resend_queues_the_event_again_with_no_attempts(
    client: TestClient, tenant: TenantKey, database: Database
) -> None:
    webhook_id = create_webhook(client, tenant, event_types=["opens"])["id"]
    sends, opens = record_events(client, tenant, ["sends", "opens"])
    [original] = deliveries(client, tenant, webhook_id)
    with database.write() as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == original["id"])
            .values(state="discarded", attempts=8, last_status=500, finished_at=datetime.now(UTC))
        )
    response = client.post(
        f"/v1/webhooks/{webhook_id}/resend", json={"interaction_id": opens}, headers=tenant.bearer
    )
    assert response.status_code == 202, response.text
    again = response.json()
    assert (
        again["id"],
        again["interaction_id"],
        again["state"],
        again["attempts"],
        again["finished_at"],
    ) == (
        original["id"],
        opens,
        "pending",
        0,
        None,
    )
    assert again["next_attempt_at"] is not None
    assert deliveries(client, tenant, webhook_id) == [again]
    never_sent = client.post(
        f"/v1/webhooks/{webhook_id}/resend", json={"interaction_id": sends}, headers=tenant.bearer
    )
    assert never_sent.status_code == 202
    assert (never_sent.json()["event_type"], never_sent.json()["state"]) == ("sends", "pending")


def test_resend_of_an_unknown_or_foreign_interaction_is_not_found(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    webhook_id = create_webhook(client, tenant, event_types=["opens"])["id"]
    [theirs] = record_events(client, other_tenant, ["opens"])
    for interaction_id in (theirs, 10**12):
        response = client.post(
            f"/v1/webhooks/{webhook_id}/resend",
            json={"interaction_id": interaction_id},
            headers=tenant.bearer,
        )
        assert response.status_code == 404, response.text
        assert response.json()["detail"] == "interaction not found"
    assert deliveries(client, tenant, webhook_id) == []
    for bad in (0, 2**63, "x"):
        response = client.post(
            f"/v1/webhooks/{webhook_id}/resend", json={"interaction_id": bad}, headers=tenant.bearer
        )
        assert response.status_code == 422, bad


def test_resend_and_recover_refuse_a_disabled_webhook(client: TestClient, tenant: TenantKey) -> None:
    webhook_id = create_webhook(client, tenant, event_types=["opens"], status="disabled")["id"]
    [opens] = record_events(client, tenant, ["opens"])
    resent = client.post(
        f"/v1/webhooks/{webhook_id}/resend", json={"interaction_id": opens}, headers=tenant.bearer
    )
    recovered = client.post(
        f"/v1/webhooks/{webhook_id}/recover", json={"since": "2020-01-01T00:00:00Z"}, headers=tenant.bearer
    )
    for response in (resent, recovered):
        assert response.status_code == 409, response.text
        assert fields_of(response.json()) == ["status"]


# --- recover -----------------------------------------------------------------------------------------


def test_recover_requeues_the_failed_deliveries_created_in_the_range(
    client: TestClient, tenant: TenantKey, database: Database
) -> None:
    webhook_id = create_webhook(client, tenant, event_types=["opens"])["id"]
    other_hook = create_webhook(client, tenant, event_types=["opens"])["id"]
    ids = record_events(client, tenant, ["opens"] * 5)
    day = datetime(2026, 11, 20, tzinfo=UTC)
    with database.write() as session:
        for offset, interaction_id in enumerate(ids):
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.interaction_id == interaction_id)
                .values(
                    state="completed" if offset == 2 else "discarded",
                    attempts=8,
                    created_at=day + timedelta(hours=offset),
                    finished_at=day + timedelta(hours=offset, minutes=5),
                )
            )
    # [01:00, 04:00): ids[1] (failed), ids[2] (delivered, left alone), ids[3] (failed); an offset is honoured.
    response = client.post(
        f"/v1/webhooks/{webhook_id}/recover",
        json={"since": "2026-11-20T02:00:00+01:00", "until": "2026-11-20T04:00:00Z"},
        headers=tenant.bearer,
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"requeued": 2}
    rows = {d["interaction_id"]: d for d in deliveries(client, tenant, webhook_id)}
    assert {i: (rows[i]["state"], rows[i]["attempts"]) for i in ids} == {
        ids[0]: ("failed", 8),
        ids[1]: ("pending", 0),
        ids[2]: ("delivered", 8),
        ids[3]: ("pending", 0),
        ids[4]: ("failed", 8),
    }
    assert {d["state"] for d in deliveries(client, tenant, other_hook)} == {"failed", "delivered"}
    rest = client.post(
        f"/v1/webhooks/{webhook_id}/recover", json={"since": "2026-11-20T00:00:00Z"}, headers=tenant.bearer
    )
    assert rest.json() == {"requeued": 2}
    assert deliveries(client, tenant, webhook_id, state="failed") == []


def test_recover_refuses_an_empty_or_naive_range(client: TestClient, tenant: TenantKey) -> None:
    webhook_id = create_webhook(client, tenant)["id"]
    backwards = client.post(
        f"/v1/webhooks/{webhook_id}/recover",
        json={"since": "2026-11-20T00:00:00Z", "until": "2026-11-20T00:00:00Z"},
        headers=tenant.bearer,
    )
    assert backwards.status_code == 400
    assert fields_of(backwards.json()) == ["until"]
    naive = client.post(
        f"/v1/webhooks/{webhook_id}/recover", json={"since": "2026-11-20T00:00:00"}, headers=tenant.bearer
    )
    assert naive.status_code == 422
    assert fields_of(naive.json()) == ["since"]


# --- attempts ----------------------------------------------------------------------------------------


def test_attempts_lists_the_attempt_log_oldest_first(
    client: TestClient, tenant: TenantKey, database: Database
) -> None:
    webhook_id = create_webhook(client, tenant, event_types=["opens", "clicks"])["id"]
    opens, clicks = record_events(client, tenant, ["opens", "clicks"])
    endpoint = endpoint_row(database, webhook_id)
    at = datetime(2026, 11, 26, 17, 5, tzinfo=UTC)
    with database.write() as session:
        by_event = dict(
            session.execute(
                select(WebhookDelivery.interaction_id, WebhookDelivery.id).where(
                    WebhookDelivery.endpoint_id == endpoint.id
                )
            ).all()
        )
        session.add_all(
            [
                WebhookAttempt(
                    delivery_id=by_event[opens],
                    endpoint_id=endpoint.id,
                    interaction_id=opens,
                    attempt=1,
                    attempted_at=at,
                    status_code=503,
                    latency_ms=182,
                    outcome="retrying",
                    response_excerpt="Service Unavailable",
                ),
                WebhookAttempt(
                    delivery_id=by_event[clicks],
                    endpoint_id=endpoint.id,
                    interaction_id=clicks,
                    attempt=1,
                    attempted_at=at + timedelta(seconds=1),
                    latency_ms=10_000,
                    outcome="retrying",
                    error="timed out after 10 s",
                ),
                WebhookAttempt(
                    delivery_id=by_event[opens],
                    endpoint_id=endpoint.id,
                    interaction_id=opens,
                    attempt=2,
                    attempted_at=at + timedelta(seconds=30),
                    status_code=204,
                    latency_ms=41,
                    outcome="delivered",
                ),
            ]
        )
    url = f"/v1/webhooks/{webhook_id}/attempts"
    page = client.get(url, headers=tenant.bearer).json()
    assert [{k: v for k, v in row.items() if k not in ("id", "delivery_id")} for row in page["data"]] == [
        {
            "endpoint_id": webhook_id,
            "interaction_id": opens,
            "attempt": 1,
            "attempted_at": "2026-11-26T17:05:00Z",
            "status_code": 503,
            "latency_ms": 182,
            "outcome": "retrying",
            "response_excerpt": "Service Unavailable",
            "error": None,
        },
        {
            "endpoint_id": webhook_id,
            "interaction_id": clicks,
            "attempt": 1,
            "attempted_at": "2026-11-26T17:05:01Z",
            "status_code": None,
            "latency_ms": 10_000,
            "outcome": "retrying",
            "response_excerpt": None,
            "error": "timed out after 10 s",
        },
        {
            "endpoint_id": webhook_id,
            "interaction_id": opens,
            "attempt": 2,
            "attempted_at": "2026-11-26T17:05:30Z",
            "status_code": 204,
            "latency_ms": 41,
            "outcome": "delivered",
            "response_excerpt": None,
            "error": None,
        },
    ]
    assert page["next_cursor"] is None
    assert [row["delivery_id"] for row in page["data"]] == [
        by_event[opens],
        by_event[clicks],
        by_event[opens],
    ]
    only_opens = client.get(url, params={"interaction_id": opens}, headers=tenant.bearer).json()["data"]
    assert [row["attempt"] for row in only_opens] == [1, 2]
    first = client.get(url, params={"limit": 2}, headers=tenant.bearer).json()
    second = client.get(
        url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=tenant.bearer
    ).json()
    assert [row["id"] for row in first["data"] + second["data"]] == [row["id"] for row in page["data"]]


# --- documentation -----------------------------------------------------------------------------------


def test_openapi_documents_every_webhook_route_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operations = {
        ("/v1/webhooks", "post"): "201",
        ("/v1/webhooks", "get"): "200",
        ("/v1/webhooks/{webhook_id}", "get"): "200",
        ("/v1/webhooks/{webhook_id}", "patch"): "200",
        ("/v1/webhooks/{webhook_id}", "delete"): "204",
        ("/v1/webhooks/{webhook_id}/rotate-secret", "post"): "200",
        ("/v1/webhooks/{webhook_id}/deliveries", "get"): "200",
        ("/v1/webhooks/{webhook_id}/attempts", "get"): "200",
        ("/v1/webhooks/{webhook_id}/resend", "post"): "202",
        ("/v1/webhooks/{webhook_id}/recover", "post"): "202",
    }
    for (path, method), status in operations.items():
        operation = spec["paths"][path][method]
        assert operation["tags"] == ["webhooks"], path
        assert operation["summary"], (path, method)
        assert operation["description"], (path, method)
        if status != "204":
            assert operation["responses"][status]["content"]["application/json"]["example"], (path, method)
    schemas = spec["components"]["schemas"]
    for name in ("WebhookCreate", "WebhookPatch", "RotateSecret", "ResendRequest", "RecoverRequest"):
        assert schemas[name]["examples"], name
    event_types = schemas["WebhookCreate"]["properties"]["event_types"]["items"]["enum"]
    assert event_types == [
        "sends",
        "deliveries",
        "opens",
        "clicks",
        "bounces",
        "unsubscribes",
        "complaints",
        "failures",
        "replies",
    ]


# --- edge cases found in review ------------------------------------------------------------------------


def test_a_malformed_host_is_a_400_with_private_addresses_forbidden(
    settings: Settings, database: Database
) -> None:
    from tests.conftest import make_tenant

    strict = settings.model_copy(update={"webhook_allow_private": False})
    tenant = make_tenant(database, "strict")
    from fastapi.testclient import TestClient as Client

    with Client(create_app(strict, database)) as strict_client:
        for url in ("http://[::1", "http://[zz]/"):
            response = strict_client.post(
                "/v1/webhooks", json={"url": url, "event_types": ["replies"]}, headers=tenant.bearer
            )
            assert response.status_code == 400, response.text
            assert fields_of(response.json()) == ["url"]


def test_resend_refuses_an_email_event_to_a_senderguide_sms_webhook(
    client: TestClient, tenant: TenantKey
) -> None:
    [opens] = record_events(client, tenant, ["opens"])  # an email event
    sms_hook = client.post(
        "/api/2.0/production/sms/webhooks/create",
        json={"webhook": {"event_types": ["reply"], "url": URL, "verb": "POST"}},
        auth=("any", tenant.key),
    ).json()["data"]["webhook"]["id"]
    response = client.post(
        f"/v1/webhooks/{sms_hook}/resend", json={"interaction_id": opens}, headers=tenant.bearer
    )
    assert response.status_code == 409, response.text
    assert fields_of(response.json()) == ["interaction_id"]


def test_a_senderguide_webhook_keeps_to_its_five_event_types(client: TestClient, tenant: TenantKey) -> None:
    sms_hook = client.post(
        "/api/2.0/production/sms/webhooks/create",
        json={"webhook": {"event_types": ["reply"], "url": URL, "verb": "POST"}},
        auth=("any", tenant.key),
    ).json()["data"]["webhook"]["id"]
    response = client.patch(
        f"/v1/webhooks/{sms_hook}", json={"event_types": ["replies", "opens"]}, headers=tenant.bearer
    )
    assert response.status_code == 400, response.text
    assert fields_of(response.json()) == ["event_types.1"]


@pytest.mark.parametrize("path", ["", "/deliveries", "/attempts"])
def test_a_cursor_beyond_the_id_range_is_a_400(client: TestClient, tenant: TenantKey, path: str) -> None:
    import base64

    webhook_id = create_webhook(client, tenant)["id"]
    cursor = base64.urlsafe_b64encode(b'{"after": 9223372036854775808}').decode().rstrip("=")
    base = "/v1/webhooks" if not path else f"/v1/webhooks/{webhook_id}{path}"
    response = client.get(base, params={"cursor": cursor}, headers=tenant.bearer)
    assert response.status_code == 400, response.text
    assert fields_of(response.json()) == ["cursor"]


@pytest.mark.parametrize(
    "body",
    [
        {"since": "0001-01-01T00:00:00+01:00"},
        {"since": "2020-01-01T00:00:00Z", "until": "9999-12-31T23:00:00-05:00"},
    ],
)
def test_recover_dates_beyond_the_calendar_are_refused(
    client: TestClient, tenant: TenantKey, body: dict[str, str]
) -> None:
    webhook_id = create_webhook(client, tenant)["id"]
    response = client.post(f"/v1/webhooks/{webhook_id}/recover", json=body, headers=tenant.bearer)
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_body_that_cannot_be_decoded_is_invalid_json(client: TestClient, tenant: TenantKey) -> None:
    response = client.post(
        "/v1/webhooks",
        content=b'{"url": "\xff"}',
        headers={**tenant.bearer, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


def test_an_anonymous_caller_gets_401_whatever_the_id(client: TestClient) -> None:
    assert client.get("/v1/webhooks/not-a-uuid").status_code == 401
