"""Messages and the data around them, made the way a user makes them: through the native API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import TenantKey


def create_message(client: TestClient, tenant: TenantKey, **fields: Any) -> dict[str, Any]:
    """``POST /v1/messages`` with an SMS newsletter's required fields filled in; asserts 201."""
    payload: dict[str, Any] = {"channel": "sms", "type": "Newsletter", "sender": "SmsApiTest"}
    payload.update(fields)
    response = client.post("/v1/messages", json=payload, headers=tenant.bearer)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def create_list(client: TestClient, tenant: TenantKey, name: str) -> int:
    """``POST /v1/lists``; asserts 201 and returns the id."""
    response = client.post("/v1/lists", json={"name": name}, headers=tenant.bearer)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def create_segment(client: TestClient, tenant: TenantKey, name: str) -> int:
    """``POST /v1/segments`` with a one-condition filter; asserts 201 and returns the id."""
    body = {"name": name, "conditions": [{"attribute": "city", "op": "exists"}]}
    response = client.post("/v1/segments", json=body, headers=tenant.bearer)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def create_contact(client: TestClient, tenant: TenantKey, phone: str) -> int:
    """``POST /v1/contacts`` with a phone number (E.164); asserts 201 and returns the id."""
    response = client.post("/v1/contacts", json={"phone": phone}, headers=tenant.bearer)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def record_sends(
    client: TestClient, tenant: TenantKey, message_id: int, contact_ids: list[int], occurred_at: str
) -> None:
    """One ``sends`` event per contact at ``occurred_at`` through ``POST /v1/interactions``."""
    rows = [
        {
            "message_id": message_id,
            "contact_id": contact_id,
            "type": "sends",
            "occurred_at": occurred_at,
            "event_id": f"send-{message_id}-{contact_id}-{occurred_at}",
        }
        for contact_id in contact_ids
    ]
    response = client.post("/v1/interactions", json={"interactions": rows}, headers=tenant.bearer)
    assert response.status_code in (200, 201), response.text
    assert response.json()["recorded"] == len(rows), response.text
