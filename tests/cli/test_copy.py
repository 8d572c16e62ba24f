"""``herald copy``: every row into an empty database of the other kind, verified; never into one that
holds data."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from herald.api.app import create_app
from herald.db import migrate as db_migrate
from herald.db.engine import connect
from herald.settings import Settings
from tests.conftest import TEST_SECRET_KEY, TenantKey, empty_postgres_database, make_tenant
from tests.dialects.senderguide.conftest import basic
from tests.e2e.server import HERALD
from tests.factories import create_contact, create_message, event, record

BODY = {"interactionType": "opens", "fromDate": "2024-01-01", "toDate": "2024-12-31", "order": "asc"}


@pytest.fixture
def empty_postgres(postgres_database: str) -> Iterator[str]:
    with empty_postgres_database("herald_test_copy") as url:
        yield url


def _copy(source: str, target: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HERALD_DATABASE_URL": source, "HERALD_SECRET_KEY": TEST_SECRET_KEY}
    return subprocess.run(
        [HERALD, "copy", "--to", target], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def _serve(url: str) -> TestClient:
    settings = Settings(database_url=url, secret_key=TEST_SECRET_KEY, webhook_allow_private=True)
    return TestClient(create_app(settings, connect(settings)))


def _fill(url: str) -> tuple[TenantKey, int, dict[str, object]]:
    """An account with contacts, a message, interactions and a webhook; the report's answer."""
    database = connect(Settings(database_url=url, secret_key=TEST_SECRET_KEY))
    db_migrate.upgrade(database.writer)
    tenant = make_tenant(database, "acme")
    database.dispose()
    with _serve(url) as client:
        message_id = create_message(client, tenant)["id"]
        contacts = [create_contact(client, tenant, email=f"c{n}@example.com")["id"] for n in range(30)]
        record(client, tenant, [event(message_id, c, "opens", "2024-03-01T10:00:00Z") for c in contacts])
        hook = {"url": "http://127.0.0.1:9/h", "event_types": ["opens"]}
        assert client.post("/v1/webhooks", json=hook, headers=tenant.bearer).status_code == 201
        url_path = f"/api/3.0/messages/interaction-data/{message_id}"
        answer = client.post(url_path, json=BODY, headers=basic(tenant.key)).json()
    return tenant, message_id, answer


@pytest.mark.e2e
def test_sqlite_copies_into_an_empty_postgresql_and_answers_the_same(
    tmp_path: Path, empty_postgres: str
) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    tenant, message_id, answer = _fill(source)
    assert answer["total_rows"] == 30
    copied = _copy(source, empty_postgres, tmp_path)
    assert copied.returncode == 0, copied.stderr
    assert "every count and report total matches" in copied.stderr
    with _serve(empty_postgres) as client:
        url_path = f"/api/3.0/messages/interaction-data/{message_id}"
        assert client.post(url_path, json=BODY, headers=basic(tenant.key)).json() == answer
        # ids go on after the copied ones: the sequences were moved
        more = client.post("/v1/contacts", json={"email": "new@example.com"}, headers=tenant.bearer)
        assert more.status_code == 201, more.text
        assert more.json()["id"] == 31
        hooks = client.get("/v1/webhooks", headers=tenant.bearer).json()["data"]
        assert [hook["url"] for hook in hooks] == ["http://127.0.0.1:9/h"]


@pytest.mark.e2e
def test_postgresql_copies_into_a_new_sqlite_file(tmp_path: Path, empty_postgres: str) -> None:
    _fill(empty_postgres)
    target = f"sqlite:///{tmp_path / 'target.db'}"
    copied = _copy(empty_postgres, target, tmp_path)
    assert copied.returncode == 0, copied.stderr
    assert "every count and report total matches" in copied.stderr


@pytest.mark.e2e
def test_a_target_that_holds_data_is_refused_and_left_alone(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    target = f"sqlite:///{tmp_path / 'target.db'}"
    _fill(source)
    _fill(target)
    refused = _copy(source, target, tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert "holds data already" in refused.stderr
    assert "Traceback" not in refused.stderr
