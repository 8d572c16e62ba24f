"""``herald backup`` (a consistent copy of a SQLite database while Herald serves) and ``herald copy`` (the
whole database into another, empty one: from SQLite to PostgreSQL when a user outgrows one machine)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from herald.cli import startup
from herald.db import migrate as db_migrate
from herald.db.engine import connect
from herald.migrations import transfer
from herald.settings import Settings

BACKUP_PAGES = 4096  # pages per step: the server's writers wait at most one step for the copy


def backup(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The new backup file (it must not exist).")],
) -> None:
    """Copy the SQLite database to PATH while Herald keeps serving (SQLite's online backup API), private
    to its owner. On PostgreSQL use pg_dump (docs/operations.md)."""
    settings = startup.settings()
    source = settings.sqlite_path()
    if source is None:
        startup.fail(
            "herald backup copies a SQLite database; for PostgreSQL use pg_dump (docs/operations.md)"
        )
    if not source.exists():
        startup.fail(f"there is no database at {source}")
    startup.writable_file(path)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    copied = sqlite3.connect(path)
    original = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        with typer.progressbar(length=100, label="backing up", file=None) as bar:
            done = 0

            def step(_status: int, remaining: int, total: int) -> None:
                nonlocal done
                now = int(100 * (total - remaining) / total) if total else 100
                bar.update(now - done)
                done = now

            original.backup(copied, pages=BACKUP_PAGES, progress=step)
        check = copied.execute("PRAGMA integrity_check").fetchone()
    finally:
        original.close()
        copied.close()
    if not check or check[0] != "ok":
        startup.fail(f"the backup at {path} failed its integrity check: {check}")
    typer.echo(f"backed up {source} to {path} ({path.stat().st_size:,} bytes)", err=True)


def copy(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            metavar="URL",
            help="The empty target database, e.g. postgresql://herald@db.example/herald.",
        ),
    ],
) -> None:
    """Copy every table of the current database (HERALD_DATABASE_URL) into the empty database at URL,
    migrating it first, then check every table's row count and every message's report totals."""
    settings = startup.settings()
    source = startup.database(settings)
    try:
        target_settings = Settings(database_url=to)
    except ValidationError as error:
        reason = str(error.errors()[0].get("msg", "")).removeprefix("Value error, ")
        startup.fail(f"--to is not a database Herald can use: {reason}")
    target = connect(target_settings)
    try:
        with target.read() as session:
            session.connection().exec_driver_sql("SELECT 1")
    except Exception as error:
        startup.fail(f"cannot open the target database: {str(getattr(error, 'orig', error)).splitlines()[0]}")
    db_migrate.upgrade(source.writer)
    db_migrate.upgrade(target.writer)
    with source.reader.connect() as reading:
        total = sum(transfer.row_counts(reading).values())
    try:
        with typer.progressbar(length=total, label="copying", file=None) as bar:
            result = transfer.copy_database(source, target, progress=lambda _table, rows: bar.update(rows))
    except transfer.TargetNotEmpty as error:
        startup.fail(f"{error}; copy only into an empty database")
    finally:
        target.dispose()
        source.dispose()
    copied = sum(result.rows.values())
    if not result.verified:
        for mismatch in result.mismatches:
            typer.echo(f"mismatch: {mismatch}", err=True)
        startup.fail(f"the copy does not match the source ({len(result.mismatches)} differences)")
    typer.echo(
        f"copied {copied:,} rows of {len(result.rows)} tables; every count and report total matches", err=True
    )
