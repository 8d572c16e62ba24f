"""The ``herald`` command contract other tools rely on."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx

from tests.e2e.server import HERALD


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HERALD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    return subprocess.run(
        [HERALD, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_keys_create_prints_the_key_alone_and_revoke_stops_it(tmp_path: Path) -> None:
    assert run(tmp_path, "accounts", "create", "acme").returncode == 0
    created = run(tmp_path, "keys", "create", "--account", "acme")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert created.stdout == key + "\n"
    assert key.startswith("hk_")
    assert all(ch.isalnum() or ch in "_-" for ch in key)

    from fastapi.testclient import TestClient

    from herald.api.app import create_app
    from herald.settings import Settings

    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'cli.db'}", secret_key_file=tmp_path / "herald.key"
    )
    with TestClient(create_app(settings)) as client:
        headers = {"Authorization": f"Bearer {key}"}
        assert client.get("/v1/interactions", headers=headers).status_code == 200
        revoked = run(tmp_path, "keys", "revoke", key[:11])
        assert revoked.returncode == 0, revoked.stderr
        assert client.get("/v1/interactions", headers=headers).status_code == 401
    assert isinstance(httpx.codes.OK, int)


def test_errors_are_clear_sentences_with_a_nonzero_exit(tmp_path: Path) -> None:
    missing = run(tmp_path, "keys", "create", "--account", "nobody")
    assert missing.returncode == 1
    assert "no account named 'nobody'" in missing.stderr
    assert run(tmp_path, "accounts", "create", "acme").returncode == 0
    again = run(tmp_path, "accounts", "create", "acme")
    assert again.returncode == 1
    assert "exists already" in again.stderr
    bad_zone = run(tmp_path, "accounts", "create", "other", "--timezone", "Mars/Olympus")
    assert bad_zone.returncode == 1
    assert "unknown time zone" in bad_zone.stderr


def test_help_lists_every_command(tmp_path: Path) -> None:
    shown = run(tmp_path, "--help")
    assert shown.returncode == 0
    for command in ("serve", "migrate", "accounts", "keys"):
        assert command in shown.stdout


def test_worker_help_explains_when_to_run_it(tmp_path: Path) -> None:
    result = run(tmp_path, "worker", "--help")
    assert result.returncode == 0
    assert "PostgreSQL" in result.stdout
    assert "HERALD_EMBEDDED_WORKER" in result.stdout


def test_jobs_shows_each_queue_by_kind_and_state(tmp_path: Path) -> None:
    empty = run(tmp_path, "jobs")
    assert empty.returncode == 0, empty.stderr
    assert "no jobs" in empty.stderr

    from herald.db.engine import connect
    from herald.jobs import service as jobs_service
    from herald.settings import Settings

    database = connect(Settings(database_url=f"sqlite:///{tmp_path / 'cli.db'}"))
    with database.write() as session:
        jobs_service.enqueue(session, kind="greet", payload={})
        jobs_service.enqueue(session, kind="greet", payload={})
    database.dispose()
    shown = run(tmp_path, "jobs")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split("\n")[1].split() == ["jobs", "greet", "available", "2"]
