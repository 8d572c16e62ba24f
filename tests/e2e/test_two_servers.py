"""Two ``herald serve`` processes on one PostgreSQL database behave as one: a SenderGuide report that
starts after an ingest was answered by the other process shows it, whatever either process cached."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from herald.db.engine import connect
from herald.settings import Settings
from tests.conftest import TEST_SECRET_KEY, TenantKey, empty_postgres_database, make_tenant
from tests.e2e.server import Server

BODY = {"interactionType": "sends", "fromDate": "2026-01-01", "toDate": "2026-12-31", "order": "asc"}


@pytest.fixture
def two_servers(postgres_database: str, tmp_path: Path) -> Iterator[tuple[Server, Server, TenantKey]]:
    with empty_postgres_database("herald_test_two") as url:
        env = {"HERALD_SECRET_KEY": TEST_SECRET_KEY, "HERALD_EMBEDDED_WORKER": "false"}
        first = Server(url, tmp_path, extra_env=env)
        first.start()  # migrates
        second = Server(url, tmp_path, extra_env=env)
        second.start()
        database = connect(Settings(database_url=url))
        tenant = make_tenant(database, "two")
        database.dispose()
        try:
            yield first, second, tenant
        finally:
            first.stop()
            second.stop()


@pytest.mark.e2e
def test_a_report_through_one_server_sees_an_ingest_answered_by_the_other(
    two_servers: tuple[Server, Server, TenantKey],
) -> None:
    first, second, tenant = two_servers
    writer = httpx.Client(base_url=first.base_url, headers=tenant.bearer, timeout=10)
    basic = base64.b64encode(f"user:{tenant.key}".encode()).decode()
    reader = httpx.Client(base_url=second.base_url, headers={"Authorization": f"Basic {basic}"}, timeout=10)
    message_id = writer.post("/v1/messages", json={"channel": "sms", "type": "Newsletter"}).json()["id"]
    contact_id = writer.post("/v1/contacts", json={"phone": "+27792899967"}).json()["id"]
    url = f"/api/3.0/messages/interaction-data/{message_id}"
    for n in range(1, 40):
        row = {
            "message_id": message_id,
            "contact_id": contact_id,
            "type": "sends",
            "occurred_at": f"2026-03-01T10:00:{n % 60:02d}Z",
            "event_id": f"e{n}",
        }
        answered = writer.post("/v1/interactions", json={"interactions": [row]})
        assert answered.json()["recorded"] == 1
        # the same page, asked again and again: each read after an answered write sees it
        assert reader.post(url, json=BODY).json()["total_rows"] == n
        assert reader.post(url, json=BODY).json()["total_rows"] == n
