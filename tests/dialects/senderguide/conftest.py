from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.conftest import TenantKey
from tests.factories import create_contacts, create_message, event, record

SPEC_SEND_TIME = "2023-05-15T20:04:59Z"


def basic(key: str, username: str = "api-user") -> dict[str, str]:
    token = base64.b64encode(f"{username}:{key}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def report(
    client: TestClient, tenant: TenantKey, message_id: int | str, body: Any, *, raw: bytes | None = None
) -> Response:
    url = f"/api/3.0/messages/interaction-data/{message_id}"
    if raw is not None:
        return client.post(
            url, content=raw, headers={**basic(tenant.key), "Content-Type": "application/json"}
        )
    return client.post(url, json=body, headers=basic(tenant.key))


@dataclass
class SpecMessage:
    message_id: int
    contact_ids: list[int]
    emails: list[str]


@pytest.fixture
def spec_message(client: TestClient, tenant: TenantKey) -> SpecMessage:
    """The spec's example: 450 contacts sent one message at 2023-05-15 20:04:59."""
    emails = [f"contact{n:03d}@example.com" for n in range(450)]
    contact_ids = create_contacts(client, tenant, emails)
    message_id = create_message(client, tenant, campaign_description="Spec example")["id"]
    outcome = record(client, tenant, [event(message_id, c, "sends", SPEC_SEND_TIME) for c in contact_ids])
    assert outcome["recorded"] == 450
    return SpecMessage(message_id, contact_ids, emails)
