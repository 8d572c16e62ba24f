"""The starting state of the ingest benchmark (``bench/ingest.py``): a template database per engine,
migrated by Alembic, with one account and its key, the messages the new events are about, the contacts
loaded in bulk and an older message's history already in the ledger (with its counters; on PostgreSQL
``VACUUM ANALYZE``), plus ``fresh_copy`` (a new copy of the template for each way of writing) and
``count_rows`` (what the ledger holds afterwards). Building the template is long, engine-specific bulk
loading that has nothing to do with the ways being measured, so it has a module of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import psycopg
from sqlalchemy import Table, func, select

import common
from common import log
from herald.accounts import service as accounts_service
from herald.db import migrate as db_migrate
from herald.db.engine import Database, connect
from herald.interactions import service as interactions_service
from herald.interactions.models import Interaction
from herald.messages.models import Message
from herald.settings import Settings
from loader import email_of

T0 = int(datetime(2024, 5, 6, 8, 0, tzinfo=UTC).timestamp())
ledger = cast(Table, Interaction.__table__)


@dataclass(frozen=True)
class Template:
    """Where a fresh copy of the starting state comes from, and what it holds."""

    db: str
    source: str  # SQLite file path or PostgreSQL template database name
    account_id: int
    key: str
    message_ids: list[int]


# --- the starting state ----------------------------------------------------------------------------------


def _seed(database: Database, args: argparse.Namespace) -> tuple[int, str, list[int], int]:
    """The account, its key, the messages the new events are about, and an older message for the history."""
    db_migrate.upgrade(database.writer)
    with database.write() as session:
        account = accounts_service.create_account(session, name="bench", timezone="UTC")
        issued = accounts_service.issue_key(session, account_id=account.id)
        messages = [
            Message(account_id=account.id, channel="email", type="Newsletter", subject=f"m{i}", status="Sent")
            for i in range(args.messages + 1)
        ]
        session.add_all(messages)
        session.flush()
        return account.id, issued.key, [m.id for m in messages[1:]], messages[0].id


def _contact_rows(args: argparse.Namespace, account_id: int, now: str) -> Iterator[tuple[Any, ...]]:
    for contact in range(1, args.contacts + 1):
        yield (contact, account_id, email_of(contact), now)


def _history_rows(args: argparse.Namespace, account_id: int, message_id: int) -> Iterator[tuple[Any, ...]]:
    """An older campaign's events over the week before: the ledger a live account already has."""
    rng = random.Random(args.seed + 1)
    week = 7 * 86400
    for n in range(args.history):
        second = T0 - week + n * week // max(args.history, 1)
        kind = "sends" if n % 20 < 10 else "opens" if n % 20 < 17 else "clicks"
        contact = rng.randint(1, args.contacts)
        yield (account_id, message_id, contact, email_of(contact), kind, second, f"hist-{n:09d}")


def _finish_template(url: str, history_message_id: int, args: argparse.Namespace) -> None:
    if args.history:
        database = connect(Settings(database_url=url))
        try:
            with database.write() as session:
                interactions_service.rebuild_counters(session, message_id=history_message_id)
        finally:
            database.dispose()


def sqlite_template(args: argparse.Namespace, folder: Path) -> Template:
    path = folder / "template.db"
    url = f"sqlite:///{path}"
    database = connect(Settings(database_url=url))
    account_id, key, message_ids, history_id = _seed(database, args)
    database.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        now = time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime())
        conn.executemany(
            "INSERT INTO contacts (id, account_id, email, phone, attributes, created_at, updated_at) "
            "VALUES (?, ?, ?, NULL, '{}', ?4, ?4)",
            _contact_rows(args, account_id, now),
        )
        conn.executemany(
            "INSERT INTO interactions (account_id, message_id, contact_id, contact_email, contact_phone, "
            "type, occurred_at, occurred_s, event_id, metadata, recorded_at) VALUES (?1, ?2, ?3, ?4, NULL, "
            "?5, strftime('%Y-%m-%d %H:%M:%S.000000', ?6, 'unixepoch'), ?6, ?7, '{}', ?8)",
            ((*row, now) for row in _history_rows(args, account_id, history_id)),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    _finish_template(url, history_id, args)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return Template("sqlite", str(path), account_id, key, message_ids)


def postgres_template(args: argparse.Namespace) -> Template:
    name = common.create_postgres_database()
    url = common.postgres_url_for(name)
    database = connect(Settings(database_url=url))
    account_id, key, message_ids, history_id = _seed(database, args)
    database.dispose()
    with psycopg.connect(common.libpq_url_for(name)) as conn:
        now = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime())
        with (
            conn.cursor() as cursor,
            cursor.copy(
                "COPY contacts (id, account_id, email, phone, attributes, created_at, updated_at) FROM STDIN"
            ) as copy,
        ):
            for c, a, e, t in _contact_rows(args, account_id, now):
                copy.write(f"{c}\t{a}\t{e}\t\\N\t{{}}\t{t}\t{t}\n")
        with (
            conn.cursor() as cursor,
            cursor.copy(
                "COPY interactions (account_id, message_id, contact_id, contact_email, contact_phone, type, "
                "occurred_at, occurred_s, event_id, metadata, recorded_at) FROM STDIN"
            ) as copy,
        ):
            for a, m, c, e, k, second, event_id in _history_rows(args, account_id, history_id):
                at = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(second))
                copy.write(f"{a}\t{m}\t{c}\t{e}\t\\N\t{k}\t{at}\t{second}\t{event_id}\t{{}}\t{now}\n")
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('contacts', 'id'), (SELECT max(id) FROM contacts))"
        )
        conn.commit()
    _finish_template(url, history_id, args)
    with psycopg.connect(common.libpq_url_for(name), autocommit=True) as conn:
        # What autovacuum does after a bulk load (this server may run with autovacuum off; see the log).
        conn.execute("VACUUM ANALYZE")
        autovacuum = conn.execute("SHOW autovacuum").fetchone()
        if autovacuum and autovacuum[0] != "on":
            log("postgresql: NOTE autovacuum is off on this server; the template is analyzed once, by hand")
    return Template("postgresql", name, account_id, key, message_ids)


@contextlib.contextmanager
def fresh_copy(template: Template, folder: Path, label: str) -> Iterator[str]:
    """A SQLAlchemy URL of a new copy of the template; a PostgreSQL copy is dropped afterwards."""
    if template.db == "sqlite":
        path = folder / f"{label}.db"
        shutil.copyfile(template.source, path)
        yield f"sqlite:///{path}"
        return
    name = common.create_postgres_database(template=template.source)
    try:
        yield common.postgres_url_for(name)
    finally:
        common.drop_postgres_database(name)


def count_rows(url: str) -> int:
    database = connect(Settings(database_url=url))
    try:
        with database.read() as session:
            return int(session.scalar(select(func.count()).select_from(ledger)) or 0)
    finally:
        database.dispose()
