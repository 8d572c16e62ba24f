"""Processes started together against one empty database migrate it once, under the migration lock, and
all come up: the first applies every revision, the others wait for it and find nothing to do."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_SECRET_KEY, _psycopg_url, empty_postgres_database
from tests.e2e.server import HERALD, Server

HEAD = "0007"
ALL_REVISIONS = ["0001", "0002", "0003", "0004", "0005", "0006", "0007"]


@pytest.fixture
def empty_postgres(postgres_database: str) -> Iterator[str]:
    """A new database beside the suite's own (whose fixture skips loudly, or fails under CI, without a
    reachable server)."""
    with empty_postgres_database("herald_test_lock") as url:
        yield url


def _applied_revisions(output: str) -> list[list[str]]:
    """The ``revisions`` of every ``migrate.applied`` line of a process's JSON log."""
    found = []
    for line in output.splitlines():
        if line.startswith("{") and '"migrate.applied"' in line:
            found.append(json.loads(line)["revisions"])
    return found


def _versions(url: str) -> list[str]:
    engine = sa.create_engine(_psycopg_url(url) if url.startswith("postgresql") else url)
    with engine.connect() as conn:
        versions = [row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")]
    engine.dispose()
    return versions


@pytest.mark.e2e
def test_four_workers_and_a_server_started_at_once_migrate_an_empty_postgresql_once(
    empty_postgres: str, tmp_path: Path, postgres_database: str
) -> None:
    env = {"HERALD_LOG_LEVEL": "info", "HERALD_SECRET_KEY": TEST_SECRET_KEY}
    workers = [Server(empty_postgres, tmp_path, command="worker", extra_env=env) for _ in range(4)]
    server = Server(empty_postgres, tmp_path, extra_env={**env, "HERALD_EMBEDDED_WORKER": "false"})
    try:
        for worker in workers:
            worker.start()
        server.start(timeout=60)  # answers /healthz only once it has migrated
        deadline = time.monotonic() + 60
        while not all("worker.started" in worker.output() for worker in workers):
            assert all(worker.process and worker.process.poll() is None for worker in workers), [
                w.output() for w in workers
            ]
            assert time.monotonic() < deadline, [w.output() for w in workers]
            time.sleep(0.1)
        logs = [process.output() for process in [*workers, server]]
    finally:
        for process in [*workers, server]:
            process.stop()
    applied = [revisions for log in logs for revisions in _applied_revisions(log)]
    assert applied == [ALL_REVISIONS], logs
    assert sum("migrate.up_to_date" in log for log in logs) == 4, logs
    assert _versions(empty_postgres) == [HEAD]


def test_migrate_commands_started_at_once_on_an_empty_sqlite_file_apply_each_revision_once(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    env = {**Server(url, tmp_path).env(), "HERALD_LOG_LEVEL": "info"}
    runs = [
        subprocess.Popen(
            [HERALD, "migrate"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=120)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert sum("applied 7 migration(s)" in output for output in outputs) == 1, outputs
    assert sum("no migrations to apply" in output for output in outputs) == 2, outputs
    assert _versions(url) == [HEAD]
