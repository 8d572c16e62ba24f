"""What an operator meets: a bad setting is one line and exit status 2, files are private, the CLI says
what it did, and a SQLite database can be backed up while in use."""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from tests.e2e.server import HERALD


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "HERALD_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'herald.db'}", **env}
    return subprocess.run(
        [HERALD, *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _one_clear_line(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize(
    ("env", "fragments"),
    [
        ({"HERALD_LOG_LEVEL": "verbose"}, ("HERALD_LOG_LEVEL=verbose", "debug")),
        ({"HERALD_DATABASE_POOL_SIZE": "abc"}, ("HERALD_DATABASE_POOL_SIZE=abc", "integer")),
        (
            {"HERALD_DATABASE_URL": "mysql://root@127.0.0.1/herald"},
            ("HERALD_DATABASE_URL", "SQLite", "PostgreSQL"),
        ),
        ({"HERALD_LOG_FORMAT": "xml"}, ("HERALD_LOG_FORMAT=xml",)),
        ({"HERALD_SECRET_KEY": "not-a-fernet-key"}, ("HERALD_SECRET_KEY",)),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_status_2(
    tmp_path: Path, env: dict[str, str], fragments: tuple[str, ...]
) -> None:
    _one_clear_line(run(tmp_path, "serve", "--port", "1", **env), *fragments)


def test_a_postgresql_database_that_does_not_exist_is_named(tmp_path: Path) -> None:
    from tests.conftest import postgres_admin_url

    url = postgres_admin_url().rsplit("/", 1)[0] + "/herald_no_such_database"
    _one_clear_line(
        run(tmp_path, "migrate", HERALD_DATABASE_URL=url), "cannot open the database", "does not exist"
    )


def test_a_sqlite_file_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    url = f"sqlite:///{blocker}/herald.db"
    _one_clear_line(run(tmp_path, "migrate", HERALD_DATABASE_URL=url), "cannot create the database")


def test_a_port_in_use_is_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _one_clear_line(run(tmp_path, "serve", "--port", str(port)), f"127.0.0.1:{port}", "in use")


def test_the_database_and_its_folder_are_private(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    assert stat.S_IMODE((tmp_path / "var").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "var" / "herald.db").stat().st_mode) == 0o600


def test_version_and_help_read_well(tmp_path: Path) -> None:
    version = run(tmp_path, "--version")
    assert version.returncode == 0
    assert version.stdout.startswith("herald 0.")
    for command in (("keys", "revoke", "--help"), ("accounts", "update", "--help"), ("serve", "--help")):
        shown = run(tmp_path, *command)
        assert shown.returncode == 0, shown.stderr
        assert "TEXT" not in shown.stdout, shown.stdout
        assert "INTEGER" not in shown.stdout, shown.stdout


def test_migrate_says_what_it_applied(tmp_path: Path) -> None:
    first = run(tmp_path, "migrate")
    assert "applied 7 migration(s): 0001" in first.stderr
    again = run(tmp_path, "migrate")
    assert "no migrations to apply" in again.stderr
    back = run(tmp_path, "migrate", "--to", "0006")
    assert back.returncode == 0, back.stderr
    assert "from 0007 to 0006" in back.stderr
    assert "applied 1 migration(s): 0007" in run(tmp_path, "migrate").stderr


def test_accounts_list_update_and_keys_list(tmp_path: Path) -> None:
    assert run(tmp_path, "accounts", "create", "acme").returncode == 0
    key = run(tmp_path, "keys", "create", "--account", "acme").stdout.strip()
    updated = run(tmp_path, "accounts", "update", "acme", "--timezone", "Africa/Johannesburg")
    assert updated.returncode == 0, updated.stderr
    listed = run(tmp_path, "accounts", "list")
    assert "acme" in listed.stdout
    assert "Africa/Johannesburg" in listed.stdout
    bad = run(tmp_path, "accounts", "update", "acme", "--timezone", "Mars/Olympus")
    assert bad.returncode == 1
    assert "unknown time zone" in bad.stderr
    assert run(tmp_path, "keys", "revoke", key[:11]).returncode == 0
    keys = run(tmp_path, "keys", "list", "--account", "acme")
    assert keys.returncode == 0, keys.stderr
    row = keys.stdout.splitlines()[1].split()
    assert row[0] == key[:11]
    assert key not in keys.stdout  # a listing never shows a key
    assert row[-1] != "-"  # revoked, with its time


def test_backup_copies_a_database_in_use_privately(tmp_path: Path) -> None:
    assert run(tmp_path, "accounts", "create", "acme").returncode == 0
    holder = sqlite3.connect(tmp_path / "var" / "herald.db")  # another process keeps it open and reading
    holder.execute("SELECT count(*) FROM accounts").fetchone()
    try:
        made = run(tmp_path, "backup", str(tmp_path / "copy.db"))
    finally:
        holder.close()
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE((tmp_path / "copy.db").stat().st_mode) == 0o600
    copied = sqlite3.connect(tmp_path / "copy.db")
    assert copied.execute("SELECT name FROM accounts").fetchall() == [("acme",)]
    copied.close()
    _one_clear_line(run(tmp_path, "backup", str(tmp_path / "copy.db")), "exists already")
