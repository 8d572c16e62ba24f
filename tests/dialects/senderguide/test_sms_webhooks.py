"""SenderGuide 2.0 SMS webhooks: create, list, get, update, delete, and every rule of their bodies."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from herald.api.app import create_app
from herald.api.senderguide.codes import EVENT_TYPES, WIRE_EVENT_TYPES
from herald.db.engine import Database
from herald.interactions.types import ALL_TYPES
from herald.settings import Settings
from herald.webhooks import service as webhooks_service
from herald.webhooks.models import WebhookEndpoint
from herald.webhooks.schemas import EndpointPolicy, EndpointSpec
from herald.webhooks.secrets import SecretBox
from tests.conftest import TEST_SECRET_KEY, Backend, TenantKey, make_tenant
from tests.dialects.senderguide.conftest import basic

BASE = "/api/2.0/production/sms/webhooks"
KEYS = [
    "id",
    "url",
    "verb",
    "auth_details",
    "auth_type",
    "status",
    "updated_timestamp",
    "created_timestamp",
    "event_types",
]
MINIMAL = {"event_types": ["reply", "bounce"], "url": "https://hooks.example.com/sms", "verb": "POST"}
PASSWORD = "s3cret-Pa55word"
WITH_AUTH = {
    **MINIMAL,
    "auth_type": "basic",
    "auth_details": {"username": "hook-user", "password": PASSWORD},
    "status": "enabled",
}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


def create(client: TestClient, tenant: TenantKey, webhook: Any) -> Response:
    return client.post(f"{BASE}/create", json={"webhook": webhook}, headers=basic(tenant.key))


def created_id(client: TestClient, tenant: TenantKey, webhook: Any = MINIMAL) -> str:
    response = create(client, tenant, webhook)
    assert response.status_code == 200, response.text
    webhook_id: str = response.json()["data"]["webhook"]["id"]
    return webhook_id


def update(client: TestClient, tenant: TenantKey, webhook_id: str, webhook: Any, *, alias: bool) -> Response:
    if alias:
        return client.post(
            f"{BASE}/{webhook_id}/update", json={"webhook": webhook}, headers=basic(tenant.key)
        )
    return client.put(f"{BASE}/{webhook_id}", json={"webhook": webhook}, headers=basic(tenant.key))


def fetch(client: TestClient, tenant: TenantKey, webhook_id: str) -> dict[str, Any]:
    response = client.get(f"{BASE}/{webhook_id}", headers=basic(tenant.key))
    assert response.status_code == 200, response.text
    webhook: dict[str, Any] = response.json()["data"]["webhook"]
    return webhook


def stored_password_token(database: Database, webhook_id: str) -> str | None:
    with database.read() as session:
        return session.scalar(
            select(WebhookEndpoint.auth_password_token).where(WebhookEndpoint.public_id == webhook_id)
        )


def assert_invalid(response: Response, *fields: str) -> dict[str, Any]:
    """A 400 in the 2.0 envelope whose errors name exactly ``fields``, each also named in the message."""
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert list(body) == ["status", "message", "errors"]
    assert body["status"] == "error"
    assert set(body["errors"]) == set(fields)
    for field in fields:
        assert f"{field}:" in body["message"]
        assert body["errors"][field]
        assert all(isinstance(reason, str) and reason for reason in body["errors"][field])
    return body


@pytest.fixture
def strict_client(backend: Backend, database: Database) -> Iterator[TestClient]:
    """A server that refuses webhook URLs on private and local addresses (the production default)."""
    strict = Settings(
        database_url=backend.url,
        database_pool_size=4,
        secret_key=TEST_SECRET_KEY,
        webhook_allow_private=False,
    )
    with TestClient(create_app(strict, database), raise_server_exceptions=False) as test_client:
        yield test_client


# --- create -------------------------------------------------------------------------------------------


def test_create_with_the_required_fields_answers_the_webhook_with_its_id(
    client: TestClient, tenant: TenantKey
) -> None:
    response = create(client, tenant, MINIMAL)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["status", "data"]
    assert body["status"] == "success"
    webhook = body["data"]["webhook"]
    assert list(webhook) == KEYS
    assert str(uuid.UUID(webhook["id"])) == webhook["id"]
    assert {key: webhook[key] for key in KEYS[1:6]} == {
        "url": "https://hooks.example.com/sms",
        "verb": "post",
        "auth_details": None,
        "auth_type": None,
        "status": "enabled",
    }
    assert webhook["event_types"] == ["reply", "bounce"]
    assert TIMESTAMP.match(webhook["created_timestamp"])
    assert webhook["updated_timestamp"] == webhook["created_timestamp"]


def test_create_with_basic_auth_answers_the_username_and_a_masked_password(
    client: TestClient, tenant: TenantKey
) -> None:
    response = create(client, tenant, {**WITH_AUTH, "verb": "GET", "status": "disabled"})
    assert response.status_code == 200
    webhook = response.json()["data"]["webhook"]
    assert webhook["auth_type"] == "basic"
    assert webhook["auth_details"] == {"username": "hook-user", "password": "********"}
    assert (webhook["verb"], webhook["status"]) == ("get", "disabled")


@pytest.mark.parametrize(
    ("given", "answered"),
    [
        (
            ["Sent", "Delivered", "Failed", "Bounce", "Reply"],
            ["sent", "delivered", "failed", "bounce", "reply"],
        ),
        (["SENT", " reply "], ["sent", "reply"]),
        (["reply", "Reply", "REPLY"], ["reply"]),
    ],
)
def test_event_types_are_accepted_in_any_letter_case_and_answered_lowercase_once_each(
    client: TestClient, tenant: TenantKey, given: list[str], answered: list[str]
) -> None:
    response = create(client, tenant, {**MINIMAL, "event_types": given})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["webhook"]["event_types"] == answered


def test_event_types_are_stored_as_ledger_types(
    client: TestClient, tenant: TenantKey, database: Database
) -> None:
    webhook_id = created_id(
        client, tenant, {**MINIMAL, "event_types": ["sent", "delivered", "failed", "bounce", "reply"]}
    )
    with database.read() as session:
        stored = session.scalar(
            select(WebhookEndpoint.event_types).where(WebhookEndpoint.public_id == webhook_id)
        )
    assert stored == ["sends", "deliveries", "failures", "bounces", "replies"]


@pytest.mark.parametrize("verb", ["post", "Post", "GET", "get"])
def test_verb_is_accepted_in_any_case_and_answered_lowercase(
    client: TestClient, tenant: TenantKey, verb: str
) -> None:
    response = create(client, tenant, {**MINIMAL, "verb": verb})
    assert response.status_code == 200
    assert response.json()["data"]["webhook"]["verb"] == verb.lower()


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"event_types": None}, ["event_types"]),
        ({"event_types": "sent"}, ["event_types"]),
        ({"event_types": []}, ["event_types"]),
        ({"event_types": ["sent", "opens"]}, ["event_types"]),
        ({"event_types": ["sends"]}, ["event_types"]),
        ({"event_types": [3]}, ["event_types"]),
        ({"url": None}, ["url"]),
        ({"url": ""}, ["url"]),
        ({"url": 42}, ["url"]),
        ({"url": "ftp://hooks.example.com/sms"}, ["url"]),
        ({"url": "hooks.example.com/sms"}, ["url"]),
        ({"url": "http://"}, ["url"]),
        ({"url": "https://user:pw@hooks.example.com/"}, ["url"]),
        ({"url": "https://hooks.example.com/" + "a" * 2000}, ["url"]),
        ({"url": "https://hooks.example.com/a b"}, ["url"]),
        ({"url": "https://hooks.example.com/\u0000"}, ["url"]),
        ({"url": "http://[::1/hook"}, ["url"]),
        ({"verb": None}, ["verb"]),
        ({"verb": "PUT"}, ["verb"]),
        ({"verb": ["POST"]}, ["verb"]),
        ({"status": "paused"}, ["status"]),
        ({"status": True}, ["status"]),
        ({"auth_type": "digest"}, ["auth_type"]),
        ({"auth_type": "basic"}, ["auth_details.username", "auth_details.password"]),
        ({"auth_type": "basic", "auth_details": {"username": "u"}}, ["auth_details.password"]),
        ({"auth_type": "basic", "auth_details": {"password": "p"}}, ["auth_details.username"]),
        (
            {"auth_type": "basic", "auth_details": {"username": "a:b", "password": "p"}},
            ["auth_details.username"],
        ),
        (
            {"auth_type": "basic", "auth_details": {"username": "u" * 256, "password": "p"}},
            ["auth_details.username"],
        ),
        ({"auth_type": "basic", "auth_details": {"username": 7, "password": "p"}}, ["auth_details.username"]),
        (
            {"auth_type": "basic", "auth_details": {"username": "u", "password": 1234}},
            ["auth_details.password"],
        ),
        (
            {"auth_type": "basic", "auth_details": {"username": "u", "password": "********"}},
            ["auth_details.password"],
        ),
        ({"auth_type": "basic", "auth_details": "u:p"}, ["auth_details"]),
        ({"auth_type": None, "auth_details": {"username": "u", "password": "p"}}, ["auth_type"]),
        ({"auth_details": {"username": "u"}}, ["auth_details.password"]),
    ],
)
def test_each_invalid_field_is_a_400_naming_it(
    client: TestClient, tenant: TenantKey, change: dict[str, Any], fields: list[str]
) -> None:
    assert_invalid(create(client, tenant, {**MINIMAL, **change}), *fields)
    assert client.get(BASE, headers=basic(tenant.key)).json()["data"]["webhooks"] == []


@pytest.mark.parametrize("missing", ["event_types", "url", "verb"])
def test_a_missing_required_field_is_a_400_saying_it_is_required(
    client: TestClient, tenant: TenantKey, missing: str
) -> None:
    webhook = {key: value for key, value in MINIMAL.items() if key != missing}
    body = assert_invalid(create(client, tenant, webhook), missing)
    assert body["errors"] == {missing: ["is required"]}
    assert body["message"] == f"{missing}: is required"


def test_every_problem_of_a_body_is_named_in_one_answer(client: TestClient, tenant: TenantKey) -> None:
    response = create(
        client,
        tenant,
        {"event_types": ["sent", "nope"], "verb": "PATCH", "status": "on", "auth_type": "basic"},
    )
    body = assert_invalid(
        response, "event_types", "url", "verb", "status", "auth_details.username", "auth_details.password"
    )
    assert body["errors"]["event_types"] == [
        "'nope' is not an event type; valid values: sent, delivered, failed, bounce, reply"
    ]
    assert body["errors"]["verb"] == ["must be POST or GET"]


def test_credentials_without_auth_type_mean_basic_auth(client: TestClient, tenant: TenantKey) -> None:
    webhook = {**MINIMAL, "auth_details": {"username": "u", "password": "p"}}
    answered = create(client, tenant, webhook).json()["data"]["webhook"]
    assert (answered["auth_type"], answered["auth_details"]) == (
        "basic",
        {"username": "u", "password": "********"},
    )


@pytest.mark.parametrize(
    "auth", [{"auth_type": None, "auth_details": None}, {"auth_type": "", "auth_details": {}}]
)
def test_no_auth_spelled_as_null_or_empty_is_no_auth(
    client: TestClient, tenant: TenantKey, auth: dict[str, Any]
) -> None:
    answered = create(client, tenant, {**MINIMAL, **auth}).json()["data"]["webhook"]
    assert (answered["auth_type"], answered["auth_details"]) == (None, None)


def test_unknown_keys_in_the_webhook_are_ignored(client: TestClient, tenant: TenantKey) -> None:
    response = create(client, tenant, {**MINIMAL, "id": "mine", "created_timestamp": "yesterday", "x": 1})
    assert response.status_code == 200
    assert response.json()["data"]["webhook"]["id"] != "mine"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[]",
        b'"webhook"',
        b"null",
        b"{}",
        b'{"webhook": null}',
        b'{"webhook": []}',
        b'{"url": 1}',
    ],
)
def test_a_malformed_body_is_a_400(client: TestClient, tenant: TenantKey, raw: bytes) -> None:
    response = client.post(
        f"{BASE}/create", content=raw, headers={**basic(tenant.key), "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "error"
    assert body["message"]
    assert set(body["errors"]) <= {"webhook"}


def test_a_body_over_64_kib_is_a_400(client: TestClient, tenant: TenantKey) -> None:
    response = create(client, tenant, {**MINIMAL, "padding": "x" * 70_000})
    assert response.status_code == 400
    assert response.json()["message"] == "request body is too large"


@pytest.mark.parametrize(
    "url", ["http://10.1.2.3/hook", "http://127.0.0.1/hook", "http://[::1]/hook", "http://169.254.169.254/"]
)
def test_a_url_on_a_private_or_local_address_is_refused(
    strict_client: TestClient, tenant: TenantKey, url: str
) -> None:
    body = assert_invalid(create(strict_client, tenant, {**MINIMAL, "url": url}), "url")
    assert "private or local address" in body["errors"]["url"][0]


def test_an_update_to_a_private_address_is_refused_and_changes_nothing(
    strict_client: TestClient, tenant: TenantKey
) -> None:
    webhook_id = created_id(strict_client, tenant, {**MINIMAL, "url": "http://93.184.216.34/hook"})
    response = update(strict_client, tenant, webhook_id, {"url": "http://10.1.2.3/hook"}, alias=False)
    assert_invalid(response, "url")
    assert fetch(strict_client, tenant, webhook_id)["url"] == "http://93.184.216.34/hook"


# --- authentication and routing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic bm9ib2R5Om5vcGU="},
        {"Authorization": "Bearer hk_not-a-real-key"},
        {"Authorization": "Basic !!!"},
        {"Authorization": "Digest abc"},
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ""),
        ("POST", "/create"),
        ("GET", "/{id}"),
        ("PUT", "/{id}"),
        ("DELETE", "/{id}"),
        ("POST", "/{id}/update"),
        ("POST", "/{id}/delete"),
    ],
)
def test_missing_or_wrong_credentials_are_a_401_with_the_vendor_body(
    client: TestClient, tenant: TenantKey, headers: dict[str, str], method: str, path: str
) -> None:
    webhook_id = created_id(client, tenant)
    response = client.request(
        method, BASE + path.replace("{id}", webhook_id), json={"webhook": MINIMAL}, headers=headers
    )
    assert response.status_code == 401
    assert response.json() == "Invalid credentials."
    assert fetch(client, tenant, webhook_id)["status"] == "enabled"


def test_a_malformed_body_with_bad_credentials_is_a_401(client: TestClient) -> None:
    response = client.post(f"{BASE}/create", content=b"nope", headers={"Authorization": "Bearer hk_x"})
    assert response.status_code == 401


def test_basic_with_any_username_and_bearer_both_authenticate(client: TestClient, tenant: TenantKey) -> None:
    assert client.get(BASE, headers=basic(tenant.key, "someone-else")).status_code == 200
    assert client.get(BASE, headers=tenant.bearer).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/create"),
        ("PUT", "/create"),
        ("POST", ""),
        ("DELETE", ""),
        ("POST", "/{id}"),
        ("PATCH", "/{id}"),
        ("GET", "/{id}/update"),
        ("DELETE", "/{id}/delete"),
    ],
)
def test_a_wrong_method_is_a_405_in_the_envelope(
    client: TestClient, tenant: TenantKey, method: str, path: str
) -> None:
    webhook_id = created_id(client, tenant)
    response = client.request(method, BASE + path.replace("{id}", webhook_id), headers=basic(tenant.key))
    assert response.status_code == 405
    assert response.json() == {"status": "error", "message": f"method {method} is not allowed here"}


def test_create_is_no_id_for_the_post_aliases(client: TestClient, tenant: TenantKey) -> None:
    for suffix in ("/update", "/delete"):
        response = client.post(f"{BASE}/create{suffix}", json={"webhook": {}}, headers=basic(tenant.key))
        assert response.status_code == 404
        assert response.json() == {"status": "error", "message": "webhook not found"}


def test_an_unknown_path_is_a_404_in_the_envelope(client: TestClient, tenant: TenantKey) -> None:
    response = client.get(f"{BASE}/{uuid.uuid4()}/history", headers=basic(tenant.key))
    assert response.status_code == 404
    assert response.json() == {"status": "error", "message": "not found"}


# --- list and get -------------------------------------------------------------------------------------


def test_list_is_empty_for_a_new_account(client: TestClient, tenant: TenantKey) -> None:
    response = client.get(BASE, headers=basic(tenant.key))
    assert response.status_code == 200
    assert response.json() == {"status": "success", "data": {"webhooks": []}}


def test_list_shows_this_accounts_sms_webhooks_in_creation_order(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey, database: Database
) -> None:
    first = create(client, tenant, MINIMAL).json()["data"]["webhook"]
    second = create(client, tenant, WITH_AUTH).json()["data"]["webhook"]
    created_id(client, other_tenant)
    native_endpoint(database, tenant)
    body = client.get(BASE, headers=basic(tenant.key)).json()
    assert body == {"status": "success", "data": {"webhooks": [first, second]}}


def test_get_answers_the_webhook_as_the_list_shows_it(client: TestClient, tenant: TenantKey) -> None:
    webhook_id = created_id(client, tenant, WITH_AUTH)
    response = client.get(f"{BASE}/{webhook_id}", headers=basic(tenant.key))
    assert response.status_code == 200
    listed = client.get(BASE, headers=basic(tenant.key)).json()["data"]["webhooks"]
    assert response.json() == {"status": "success", "data": {"webhook": listed[0]}}


def test_an_id_is_matched_whatever_its_letter_case(client: TestClient, tenant: TenantKey) -> None:
    webhook_id = created_id(client, tenant)
    assert fetch(client, tenant, webhook_id.upper())["id"] == webhook_id


def test_timestamps_carry_the_account_zone_offset(client: TestClient, database: Database) -> None:
    zoned = make_tenant(database, "zoned", "Africa/Johannesburg")
    answered = create(client, zoned, MINIMAL).json()["data"]["webhook"]
    listed = client.get(BASE, headers=zoned.bearer).json()["data"]["webhooks"][0]
    for stamp in (answered["created_timestamp"], answered["updated_timestamp"], listed["created_timestamp"]):
        assert TIMESTAMP.match(stamp)
        assert stamp.endswith("+02:00")


@pytest.mark.parametrize("zone", ["UTC", "America/St_Johns", "Asia/Kathmandu"])
def test_timestamps_are_the_moment_of_the_change_in_the_account_zone(
    client: TestClient, database: Database, zone: str
) -> None:
    zoned = make_tenant(database, "zoned", zone)
    answered = create(client, zoned, MINIMAL).json()["data"]["webhook"]
    moment = datetime.fromisoformat(answered["created_timestamp"])
    assert moment.utcoffset() == moment.astimezone(ZoneInfo(zone)).utcoffset()
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=5)


# --- update -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alias", [False, True], ids=["put", "post-alias"])
def test_update_changes_only_the_fields_given(client: TestClient, tenant: TenantKey, alias: bool) -> None:
    webhook_id = created_id(client, tenant, WITH_AUTH)
    before = fetch(client, tenant, webhook_id)
    response = update(
        client, tenant, webhook_id, {"event_types": ["Sent", "failed"], "status": "Disabled"}, alias=alias
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success"
    after = body["data"]["webhook"]
    assert after == {
        **before,
        "event_types": ["sent", "failed"],
        "status": "disabled",
        "updated_timestamp": after["updated_timestamp"],
    }
    assert fetch(client, tenant, webhook_id) == after


@pytest.mark.parametrize("alias", [False, True], ids=["put", "post-alias"])
def test_update_of_url_and_verb(client: TestClient, tenant: TenantKey, alias: bool) -> None:
    webhook_id = created_id(client, tenant)
    response = update(
        client, tenant, webhook_id, {"url": "http://hooks.example.org/new", "verb": "get"}, alias=alias
    )
    assert response.status_code == 200
    answered = response.json()["data"]["webhook"]
    assert (answered["url"], answered["verb"], answered["event_types"]) == (
        "http://hooks.example.org/new",
        "get",
        ["reply", "bounce"],
    )


def test_an_empty_update_changes_nothing(client: TestClient, tenant: TenantKey) -> None:
    webhook_id = created_id(client, tenant, WITH_AUTH)
    before = fetch(client, tenant, webhook_id)
    after = update(client, tenant, webhook_id, {}, alias=False).json()["data"]["webhook"]
    assert {**after, "updated_timestamp": None} == {**before, "updated_timestamp": None}


def test_disabling_and_enabling_again(client: TestClient, tenant: TenantKey) -> None:
    webhook_id = created_id(client, tenant)
    assert (
        update(client, tenant, webhook_id, {"status": "disabled"}, alias=False).json()["data"]["webhook"][
            "status"
        ]
        == "disabled"
    )
    assert (
        update(client, tenant, webhook_id, {"status": "enabled"}, alias=True).json()["data"]["webhook"][
            "status"
        ]
        == "enabled"
    )


@pytest.mark.parametrize(
    "removal", [{"auth_type": None}, {"auth_type": None, "auth_details": None}, {"auth_type": ""}]
)
def test_update_with_auth_type_null_removes_basic_auth(
    client: TestClient, tenant: TenantKey, database: Database, removal: dict[str, Any]
) -> None:
    webhook_id = created_id(client, tenant, WITH_AUTH)
    answered = update(client, tenant, webhook_id, removal, alias=False).json()["data"]["webhook"]
    assert (answered["auth_type"], answered["auth_details"]) == (None, None)
    assert stored_password_token(database, webhook_id) is None


def test_update_setting_basic_auth_needs_both_credentials(client: TestClient, tenant: TenantKey) -> None:
    webhook_id = created_id(client, tenant)
    assert_invalid(
        update(client, tenant, webhook_id, {"auth_type": "basic"}, alias=False),
        "auth_details.username",
        "auth_details.password",
    )
    assert_invalid(
        update(
            client, tenant, webhook_id, {"auth_type": "basic", "auth_details": {"username": "u"}}, alias=True
        ),
        "auth_details.password",
    )
    response = update(
        client,
        tenant,
        webhook_id,
        {"auth_type": "basic", "auth_details": {"username": "u", "password": "p"}},
        alias=False,
    )
    assert response.json()["data"]["webhook"]["auth_details"] == {"username": "u", "password": "********"}


def test_update_of_a_username_alone_keeps_the_stored_password(
    client: TestClient, tenant: TenantKey, database: Database
) -> None:
    webhook_id = created_id(client, tenant, WITH_AUTH)
    answered = update(
        client, tenant, webhook_id, {"auth_details": {"username": "new-user"}}, alias=False
    ).json()
    assert answered["data"]["webhook"]["auth_details"] == {"username": "new-user", "password": "********"}
    assert opened_password(database, webhook_id) == PASSWORD


def test_update_of_a_password_replaces_the_stored_one(
    client: TestClient, tenant: TenantKey, database: Database
) -> None:
    webhook_id = created_id(client, tenant, WITH_AUTH)
    response = update(
        client,
        tenant,
        webhook_id,
        {"auth_type": "basic", "auth_details": {"username": "hook-user", "password": "fresh"}},
        alias=True,
    )
    assert response.status_code == 200
    assert opened_password(database, webhook_id) == "fresh"


def test_what_get_answers_can_be_sent_back_without_losing_the_password(
    client: TestClient, tenant: TenantKey, database: Database
) -> None:
    webhook_id = created_id(client, tenant, WITH_AUTH)
    fetched = fetch(client, tenant, webhook_id)
    response = update(client, tenant, webhook_id, {**fetched, "status": "disabled"}, alias=False)
    assert response.status_code == 200
    assert response.json()["data"]["webhook"]["auth_details"] == {
        "username": "hook-user",
        "password": "********",
    }
    assert opened_password(database, webhook_id) == PASSWORD


def test_a_masked_password_on_a_webhook_without_one_is_a_400(client: TestClient, tenant: TenantKey) -> None:
    webhook_id = created_id(client, tenant)
    response = update(
        client,
        tenant,
        webhook_id,
        {"auth_type": "basic", "auth_details": {"username": "u", "password": "********"}},
        alias=False,
    )
    assert_invalid(response, "auth_details.password")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"event_types": None}, "event_types"),
        ({"event_types": []}, "event_types"),
        ({"event_types": ["opened"]}, "event_types"),
        ({"url": None}, "url"),
        ({"url": "gopher://x"}, "url"),
        ({"verb": "DELETE"}, "verb"),
        ({"status": None}, "status"),
        ({"auth_type": "bearer"}, "auth_type"),
        ({"auth_type": None, "auth_details": {"password": "p"}}, "auth_type"),
        ({"auth_details": {"password": "p"}}, "auth_details.username"),
    ],
)
def test_an_invalid_update_is_a_400_naming_the_field_and_changes_nothing(
    client: TestClient, tenant: TenantKey, change: dict[str, Any], field: str
) -> None:
    webhook_id = created_id(client, tenant)
    before = fetch(client, tenant, webhook_id)
    assert_invalid(update(client, tenant, webhook_id, change, alias=False), field)
    assert fetch(client, tenant, webhook_id) == before


def test_a_malformed_update_body_is_a_400_even_for_an_unknown_id(
    client: TestClient, tenant: TenantKey
) -> None:
    response = client.put(f"{BASE}/{uuid.uuid4()}", content=b"{", headers=basic(tenant.key))
    assert response.status_code == 400
    assert response.json() == {"status": "error", "message": "request body is not valid JSON", "errors": {}}
    assert_invalid(update(client, tenant, str(uuid.uuid4()), {"verb": "x"}, alias=True), "verb")


# --- delete and not found -----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "suffix"), [("DELETE", ""), ("POST", "/delete")])
def test_delete_removes_the_webhook(
    client: TestClient, tenant: TenantKey, database: Database, method: str, suffix: str
) -> None:
    webhook_id = created_id(client, tenant, WITH_AUTH)
    kept = created_id(client, tenant)
    response = client.request(method, f"{BASE}/{webhook_id}{suffix}", headers=basic(tenant.key))
    assert response.status_code == 200
    assert response.json() == {"status": "success"}
    assert [w["id"] for w in client.get(BASE, headers=basic(tenant.key)).json()["data"]["webhooks"]] == [kept]
    assert client.get(f"{BASE}/{webhook_id}", headers=basic(tenant.key)).status_code == 404
    assert (
        client.request(method, f"{BASE}/{webhook_id}{suffix}", headers=basic(tenant.key)).status_code == 404
    )
    with database.read() as session:
        assert (
            session.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.public_id == webhook_id)) is None
        )


ID_OPERATIONS = [
    ("GET", ""),
    ("PUT", ""),
    ("DELETE", ""),
    ("POST", "/update"),
    ("POST", "/delete"),
]


DISABLE = {"webhook": {"status": "disabled"}}


def assert_not_found(response: httpx.Response) -> None:
    assert response.status_code == 404
    assert response.json() == {"status": "error", "message": "webhook not found"}


@pytest.mark.parametrize(("method", "suffix"), ID_OPERATIONS)
@pytest.mark.parametrize(
    "webhook_id", ["5f1d8a6e-3c2b-4e7a-9b0c-1d2e3f405162", "nope", "123", "%00", "x" * 200]
)
def test_an_unknown_id_is_a_404(
    client: TestClient, tenant: TenantKey, method: str, suffix: str, webhook_id: str
) -> None:
    assert_not_found(
        client.request(method, f"{BASE}/{webhook_id}{suffix}", json=DISABLE, headers=basic(tenant.key))
    )


@pytest.mark.parametrize(("method", "suffix"), ID_OPERATIONS)
def test_another_accounts_webhook_is_not_found_and_left_alone(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey, method: str, suffix: str
) -> None:
    webhook_id = created_id(client, other_tenant, WITH_AUTH)
    before = fetch(client, other_tenant, webhook_id)
    assert_not_found(
        client.request(method, f"{BASE}/{webhook_id}{suffix}", json=DISABLE, headers=basic(tenant.key))
    )
    assert fetch(client, other_tenant, webhook_id) == before


@pytest.mark.parametrize(("method", "suffix"), ID_OPERATIONS)
def test_a_native_api_endpoint_is_not_found_here(
    client: TestClient, tenant: TenantKey, database: Database, method: str, suffix: str
) -> None:
    endpoint_id = native_endpoint(database, tenant)
    assert_not_found(
        client.request(method, f"{BASE}/{endpoint_id}{suffix}", json=DISABLE, headers=basic(tenant.key))
    )
    with database.read() as session:
        status = session.scalar(
            select(WebhookEndpoint.status).where(WebhookEndpoint.public_id == endpoint_id)
        )
    assert status == "enabled"


# --- secrets ------------------------------------------------------------------------------------------


def test_the_password_is_never_answered_and_is_stored_encrypted(
    client: TestClient, tenant: TenantKey, database: Database
) -> None:
    answers = [create(client, tenant, WITH_AUTH)]
    webhook_id = answers[0].json()["data"]["webhook"]["id"]
    answers.append(client.get(BASE, headers=basic(tenant.key)))
    answers.append(client.get(f"{BASE}/{webhook_id}", headers=basic(tenant.key)))
    answers.append(update(client, tenant, webhook_id, {"status": "disabled"}, alias=False))
    answers.append(
        update(
            client,
            tenant,
            webhook_id,
            {"auth_details": {"username": "u:x", "password": PASSWORD}},
            alias=True,
        )
    )
    answers.append(client.delete(f"{BASE}/{webhook_id}", headers=basic(tenant.key)))
    for response in answers[:-1]:
        assert PASSWORD not in response.text
    assert answers[-2].status_code == 400
    second = created_id(client, tenant, WITH_AUTH)
    token = stored_password_token(database, second)
    assert token is not None
    assert PASSWORD not in token
    assert SecretBox([TEST_SECRET_KEY]).open(token) == PASSWORD


# --- the vocabulary, and robustness -------------------------------------------------------------------


def test_the_event_type_table_maps_each_dialect_word_to_its_own_ledger_type() -> None:
    assert set(EVENT_TYPES) == {"sent", "delivered", "failed", "bounce", "reply"}
    assert set(EVENT_TYPES.values()) <= set(ALL_TYPES)
    assert len(set(EVENT_TYPES.values())) == len(EVENT_TYPES)
    assert {wire: ledger for ledger, wire in WIRE_EVENT_TYPES.items()} == EVENT_TYPES


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)
webhook_bodies = st.fixed_dictionaries(
    {},
    optional={
        "event_types": st.lists(st.sampled_from(["sent", "Reply", "opens", ""]) | json_values, max_size=3)
        | json_values,
        "url": st.sampled_from(["https://hooks.example.com/x", "http://[::1", "ftp://x", ""]) | json_values,
        "verb": st.sampled_from(["POST", "get", "PUT"]) | json_values,
        "auth_type": st.sampled_from(["basic", "Basic", None, ""]) | json_values,
        "auth_details": st.fixed_dictionaries(
            {},
            optional={
                "username": st.text(max_size=8) | json_values,
                "password": st.text(max_size=8) | json_values,
            },
        )
        | json_values,
        "status": st.sampled_from(["enabled", "disabled", "x"]) | json_values,
    },
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(webhook=webhook_bodies | json_values, as_update=st.booleans())
def test_random_bodies_never_fail_with_500(
    client: TestClient, tenant: TenantKey, webhook: Any, as_update: bool
) -> None:
    path = f"{BASE}/{uuid.uuid4()}" if as_update else f"{BASE}/create"
    method = "PUT" if as_update else "POST"
    response = client.request(
        method, path, content=json.dumps({"webhook": webhook}), headers=basic(tenant.key)
    )
    assert response.status_code in (200, 400, 404), response.text
    body = response.json()
    assert body["status"] == ("success" if response.status_code == 200 else "error")


# --- helpers that reach under the API -----------------------------------------------------------------


def native_endpoint(database: Database, tenant: TenantKey) -> str:
    """An endpoint the native API would have made for ``tenant``; its id means nothing to this dialect."""
    spec = EndpointSpec(dialect="native", url="https://hooks.example.com/native", event_types=["replies"])
    with database.write() as session:
        created = webhooks_service.create_endpoint(
            session,
            account_id=tenant.account_id,
            spec=spec,
            box=SecretBox([TEST_SECRET_KEY]),
            policy=EndpointPolicy(allow_private=True),
        )
    return created.view.public_id


def opened_password(database: Database, webhook_id: str) -> str:
    token = stored_password_token(database, webhook_id)
    assert token is not None
    return SecretBox([TEST_SECRET_KEY]).open(token)


def test_an_anonymous_oversized_body_is_401_not_400(client: TestClient) -> None:
    response = client.post(f"{BASE}/create", content=b"x" * 70_000)
    assert response.status_code == 401
    assert response.json() == "Invalid credentials."


def test_a_trailing_slash_is_a_404_in_the_envelope_not_a_redirect(
    client: TestClient, tenant: TenantKey
) -> None:
    response = client.get(f"{BASE}/", headers=basic(tenant.key), follow_redirects=False)
    assert response.status_code == 404
    assert response.json()["status"] == "error"


def test_a_wrong_url_scheme_is_named_with_the_other_problems(client: TestClient, tenant: TenantKey) -> None:
    response = create(client, tenant, {"event_types": ["Sent", "x"], "url": "ftp://a", "verb": "PUT"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"event_types", "url", "verb"}
