"""``herald serve`` end to end: first start prints a working key, and a crash loses no accepted request."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from herald.db.engine import Database
from tests.conftest import Backend, TenantKey, make_tenant
from tests.e2e.server import Server


@pytest.fixture
def server(backend: Backend, database: Database, tmp_path: Path) -> Iterator[Server]:
    running = Server(database_url=backend.url, cwd=tmp_path)
    yield running
    running.stop()


def test_first_start_creates_an_account_and_prints_a_working_key_once(server: Server) -> None:
    server.start()
    printed = re.findall(r"\bhk_[A-Za-z0-9_-]{40}\b", server.output())
    assert len(set(printed)) == 1, server.output()
    assert server.base_url in server.output()
    key = printed[0]
    response = httpx.post(
        f"{server.base_url}/v1/interactions",
        json={"interactions": []},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200
    server.stop()
    server.start()
    assert "hk_" not in server.output(), "a key is printed only on the very first start"


def test_every_answered_ingest_survives_kill_9(server: Server, database: Database) -> None:
    tenant: TenantKey = make_tenant(database, "crash")
    server.start()
    client = httpx.Client(base_url=server.base_url, headers=tenant.bearer, timeout=10)
    message_id = client.post("/v1/messages", json={"channel": "email", "type": "Newsletter"}).json()["id"]
    contact_id = client.post("/v1/contacts", json={"email": "ada@example.com"}).json()["id"]
    acknowledged: list[int] = []
    stop = threading.Event()

    def send_batches() -> None:
        batch = 0
        while not stop.is_set():
            rows = [
                {
                    "message_id": message_id,
                    "contact_id": contact_id,
                    "type": "opens",
                    "occurred_at": "2024-01-01T00:00:00Z",
                    "event_id": f"b{batch}-{i}",
                }
                for i in range(500)
            ]
            try:
                response = client.post("/v1/interactions", json={"interactions": rows})
            except httpx.TransportError:
                return
            if response.status_code == 200 and response.json()["recorded"] == 500:
                acknowledged.append(batch)
            batch += 1

    sender = threading.Thread(target=send_batches)
    sender.start()
    while len(acknowledged) < 5:
        sender.join(0.05)
    server.kill()
    stop.set()
    sender.join(10)
    server.start()
    stored: set[str] = set()
    cursor = None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/interactions", params=params).json()
        stored.update(row["event_id"] for row in page["data"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    for batch in acknowledged:
        assert {f"b{batch}-{i}" for i in range(500)} <= stored
    batches = {event_id.split("-")[0] for event_id in stored}
    for name in batches:
        assert sum(1 for e in stored if e.split("-")[0] == name) == 500, "a batch was half written"
