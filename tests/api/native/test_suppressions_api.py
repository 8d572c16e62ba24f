"""The native suppressions API: idempotent upsert by (channel, address), filters, deletion."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import TenantKey


def _suppress(client: TestClient, tenant: TenantKey, **body: Any) -> Any:
    return client.post("/v1/suppressions", json=body, headers=tenant.bearer)


def test_new_suppression_is_created_with_a_normalised_address(client: TestClient, tenant: TenantKey) -> None:
    response = _suppress(client, tenant, channel="email", address="Ada@Example.com", reason="unsubscribed")
    assert response.status_code == 201
    created = response.json()
    assert isinstance(created["id"], int)
    assert (created["channel"], created["address"], created["reason"]) == (
        "email",
        "ada@example.com",
        "unsubscribed",
    )


def test_repeated_suppression_is_the_same_row_with_the_new_reason(
    client: TestClient, tenant: TenantKey
) -> None:
    first = _suppress(client, tenant, channel="sms", address="+14155550123", reason="manual").json()
    again = _suppress(client, tenant, channel="sms", address="+14155550123", reason="complained")
    assert again.status_code == 201
    assert again.json()["id"] == first["id"]
    assert again.json()["reason"] == "complained"
    assert again.json()["created_at"] == first["created_at"]


def test_suppression_reason_defaults_to_manual(client: TestClient, tenant: TenantKey) -> None:
    created = _suppress(client, tenant, channel="email", address="ada@example.com").json()
    assert created["reason"] == "manual"


@pytest.mark.parametrize(
    "body",
    [
        {"channel": "email", "address": "+14155550123"},
        {"channel": "sms", "address": "ada@example.com"},
        {"channel": "sms", "address": "4155550123"},
        {"channel": "fax", "address": "+14155550123"},
        {"channel": "email", "address": "ada@example.com", "reason": "bored"},
        {"channel": "email", "address": "ada@example.com", "note": "x"},
    ],
)
def test_suppression_with_an_address_unfit_for_its_channel_is_refused(
    client: TestClient, tenant: TenantKey, body: dict[str, Any]
) -> None:
    response = client.post("/v1/suppressions", json=body, headers=tenant.bearer)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_suppressions_page_and_filter_by_channel(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    emails = [
        _suppress(client, tenant, channel="email", address=f"u{i}@example.com").json() for i in range(3)
    ]
    phones = [_suppress(client, tenant, channel="sms", address=f"+1415555010{i}").json() for i in range(2)]
    _suppress(client, other_tenant, channel="email", address="u0@example.com")

    def pages(**params: Any) -> list[int]:
        seen: list[int] = []
        cursor = None
        while True:
            query = {"limit": 2} | params | ({"cursor": cursor} if cursor else {})
            page = client.get("/v1/suppressions", params=query, headers=tenant.bearer).json()
            seen += [row["id"] for row in page["data"]]
            cursor = page.get("next_cursor")
            if not cursor:
                return seen

    assert pages() == [row["id"] for row in emails + phones]
    assert pages(channel="sms") == [row["id"] for row in phones]
    assert pages(address="U1@example.com") == [emails[1]["id"]]
    assert client.get("/v1/suppressions", params={"channel": "fax"}, headers=tenant.bearer).status_code == 422


def test_lifted_suppression_is_gone_and_another_accounts_is_not_found(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    created = _suppress(client, tenant, channel="email", address="ada@example.com").json()
    path = f"/v1/suppressions/{created['id']}"
    assert client.delete(path, headers=other_tenant.bearer).status_code == 404
    assert client.delete(path, headers=tenant.bearer).status_code == 204
    assert client.delete(path, headers=tenant.bearer).status_code == 404
    assert client.get("/v1/suppressions", headers=tenant.bearer).json()["data"] == []
