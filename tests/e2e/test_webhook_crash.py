"""``kill -9`` of the process delivering webhooks, then a restart: every event is still delivered.

SQLite: the worker embedded in ``herald serve`` dies with the server and takes its queue back at start.
PostgreSQL: two ``herald worker`` processes share the queue; one is killed and the other, or its
restart, takes the dead one's deliveries once their lease passes.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook

from herald.db.engine import Database
from herald.settings import Settings
from herald.webhooks.models import WebhookDelivery
from tests.conftest import TEST_SECRET_KEY, Backend, make_tenant
from tests.e2e.server import Server
from tests.webhooks.receiver import Receiver, Reply
from tests.webhooks.support import eventually, make_endpoint

EVENTS = 300
WORKER_ENV = {
    "HERALD_WEBHOOK_ALLOW_PRIVATE": "true",
    "HERALD_SECRET_KEY": TEST_SECRET_KEY,
    "HERALD_WEBHOOK_TIMEOUT_SECONDS": "2",
    "HERALD_WORKER_LEASE_SECONDS": "1",  # the worker stretches it to timeout + 5 s
    "HERALD_WEBHOOK_CONCURRENCY": "16",
    "HERALD_WEBHOOK_RETRY_SCHEDULE": "0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5",
}


@pytest.fixture
def processes() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for process in started:
        process.stop()


def _post_events(server: Server, key_headers: dict[str, str]) -> None:
    client = httpx.Client(base_url=server.base_url, headers=key_headers, timeout=30)
    message_id = client.post("/v1/messages", json={"channel": "sms", "type": "Newsletter"}).json()["id"]
    contact_id = client.post("/v1/contacts", json={"phone": "+27792899967"}).json()["id"]
    rows = [
        {
            "message_id": message_id,
            "contact_id": contact_id,
            "type": "sends",
            "occurred_at": "2026-03-01T10:00:00Z",
            "event_id": f"e{n}",
        }
        for n in range(EVENTS)
    ]
    response = client.post("/v1/interactions", json={"interactions": rows})
    assert response.json()["recorded"] == EVENTS, response.text


def _pending(database: Database) -> int:
    with database.read() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.state != "completed")
            )
            or 0
        )


def test_killing_the_worker_mid_delivery_loses_no_event(
    backend: Backend, database: Database, settings: Settings, tmp_path: Path, processes: list[Server]
) -> None:
    tenant = make_tenant(database, "crashy")
    with Receiver(lambda _r: Reply(delay_s=0.1)) as receiver:
        created = make_endpoint(settings, database, tenant.account_id, f"{receiver.url}/hook", ["sends"])
        if backend.name == "sqlite":
            server = Server(database_url=backend.url, cwd=tmp_path, extra_env=WORKER_ENV)
            victim = server
            processes.append(server)
        else:
            server = Server(
                database_url=backend.url,
                cwd=tmp_path,
                extra_env={**WORKER_ENV, "HERALD_EMBEDDED_WORKER": "false"},
            )
            workers = [
                Server(database_url=backend.url, cwd=tmp_path, extra_env=WORKER_ENV, command="worker")
                for _ in range(2)
            ]
            victim = workers[0]
            processes.extend([server, *workers])
            for worker in workers:
                worker.start()
        server.start()
        _post_events(server, tenant.bearer)
        receiver.wait_for(40, timeout=60)
        victim.kill()  # kill -9, mid-delivery: 16 requests are in flight at any moment
        killed_at = len(receiver.received())
        assert killed_at < EVENTS, "every event was delivered before the kill; slow the receiver down"
        if backend.name == "sqlite":
            time.sleep(1.5)
            assert len(receiver.received()) == killed_at, "the embedded worker outlived its server"
            server.start()  # the embedded worker takes back what its predecessor held
        eventually(lambda: _pending(database) == 0, timeout=90, message=f"{_pending(database)} not delivered")
        got = receiver.received()
    verifier = Webhook(created.secret)
    delivered = set()
    for request in got:
        verifier.verify(request.body, request.headers)
        delivered.add(request.headers["webhook-id"])
    assert len(delivered) == EVENTS  # duplicates (in flight at the kill) are allowed: at-least-once


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found.extend(int(child) for child in children)
    return found


def test_serve_starts_its_worker_again_when_it_dies(
    backend: Backend, database: Database, settings: Settings, tmp_path: Path, processes: list[Server]
) -> None:
    tenant = make_tenant(database, "restarts")
    with Receiver() as receiver:
        make_endpoint(settings, database, tenant.account_id, f"{receiver.url}/hook", ["sends"])
        server = Server(database_url=backend.url, cwd=tmp_path, extra_env=WORKER_ENV)
        processes.append(server)
        server.start()
        assert server.process is not None
        [worker_pid] = eventually(lambda: _children(server.process.pid), message="no embedded worker")  # type: ignore[union-attr]
        os.kill(worker_pid, signal.SIGKILL)
        eventually(
            lambda: (pids := _children(server.process.pid)) and pids != [worker_pid],  # type: ignore[union-attr]
            timeout=30,
            message="the embedded worker was not started again",
        )
        _post_events(server, tenant.bearer)
        eventually(lambda: _pending(database) == 0, timeout=60, message=f"{_pending(database)} not delivered")
