"""Test data made the way a user makes it: through the native API."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.testclient import TestClient

from tests.conftest import TenantKey


def create_contact(client: TestClient, tenant: TenantKey, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/contacts", json=fields, headers=tenant.bearer)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def create_contacts(client: TestClient, tenant: TenantKey, emails: list[str]) -> list[int]:
    """Import contacts in one request and return their ids in the order of ``emails``."""
    ndjson = b"\n".join(orjson.dumps({"email": email}) for email in emails)
    response = client.post(
        "/v1/contacts/import",
        content=ndjson,
        headers={**tenant.bearer, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    ids: dict[str, int] = {}
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 1000}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/contacts", params=params, headers=tenant.bearer).json()
        ids.update({c["email"]: c["id"] for c in page["data"]})
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return [ids[email.lower()] for email in emails]


def create_list(client: TestClient, tenant: TenantKey, name: str) -> dict[str, Any]:
    response = client.post("/v1/lists", json={"name": name}, headers=tenant.bearer)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def create_message(client: TestClient, tenant: TenantKey, **fields: Any) -> dict[str, Any]:
    payload = {"channel": "email", "type": "Newsletter", "sender": "news@example.com", "subject": "Hello"}
    payload.update(fields)
    response = client.post("/v1/messages", json=payload, headers=tenant.bearer)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def record(client: TestClient, tenant: TenantKey, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Post interactions in batches of 10,000 and add up the answers."""
    totals: dict[str, Any] = {"recorded": 0, "duplicates": 0, "rejected": 0, "rejections": []}
    for start in range(0, len(rows), 10_000):
        response = client.post(
            "/v1/interactions", json={"interactions": rows[start : start + 10_000]}, headers=tenant.bearer
        )
        assert response.status_code == 200, response.text
        body = response.json()
        for key in ("recorded", "duplicates", "rejected"):
            totals[key] += body[key]
        totals["rejections"].extend({**r, "index": r["index"] + start} for r in body["rejections"])
    return totals


def event(message_id: int, contact_id: int, kind: str, occurred_at: str, **extra: Any) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "contact_id": contact_id,
        "type": kind,
        "occurred_at": occurred_at,
        **extra,
    }
