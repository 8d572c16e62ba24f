"""The server's log is one format at a time, uvicorn's own lines included, with an access line per
request whose query secrets are redacted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from herald.db.engine import connect
from herald.settings import Settings
from tests.conftest import TenantKey, make_tenant
from tests.e2e.server import Server


@pytest.fixture
def logged(tmp_path: Path, sqlite_template: Path) -> tuple[str, TenantKey]:
    """A SQLite database with an account (so no first-start banner): the log format is the same on
    both databases."""
    path = tmp_path / "logs.db"
    shutil.copyfile(sqlite_template, path)
    database = connect(Settings(database_url=f"sqlite:///{path}"))
    tenant = make_tenant(database, "logs")
    database.dispose()
    return f"sqlite:///{path}", tenant


def _server(url: str, cwd: Path, fmt: str) -> Server:
    return Server(url, cwd, extra_env={"HERALD_LOG_LEVEL": "info", "HERALD_LOG_FORMAT": fmt})


def _lines(server: Server) -> list[str]:
    return [line for line in server.output().splitlines() if line.strip()]


@pytest.mark.e2e
def test_json_logs_are_json_lines_with_redacted_access_lines(
    logged: tuple[str, TenantKey], tmp_path: Path
) -> None:
    url, tenant = logged
    server = _server(url, tmp_path, "json")
    server.start()
    try:
        params = {"apiKey": tenant.key, "tag": "x"}
        answered = httpx.get(f"{server.base_url}/v2/Api/SmsMmsMessages", params=params)
        assert answered.status_code == 200
    finally:
        server.stop()
    records = [json.loads(line) for line in _lines(server)]  # every line parses
    events = [record.get("event", "") for record in records]
    assert any("Uvicorn running" in event or "Application startup" in event for event in events), events
    access = [record for record in records if record.get("event") == "http.request"]
    assert access, events
    line = access[-1]
    assert line["path"] == "/v2/Api/SmsMmsMessages?apiKey=***&tag=x"
    assert (line["method"], line["status"]) == ("GET", 200)
    assert isinstance(line["duration_ms"], float | int)
    assert tenant.key not in server.output()


@pytest.mark.e2e
def test_console_logs_are_readable_lines_not_json(logged: tuple[str, TenantKey], tmp_path: Path) -> None:
    server = _server(logged[0], tmp_path, "console")
    server.start()
    try:
        httpx.get(f"{server.base_url}/healthz")
    finally:
        server.stop()
    lines = _lines(server)
    assert any("http.request" in line and "path=/healthz" in line for line in lines), lines
    for line in lines:
        assert not line.lstrip().startswith("{"), line
