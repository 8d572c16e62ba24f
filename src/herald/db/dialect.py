"""SQL whose spelling differs between SQLite and PostgreSQL, kept in one place."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def _insert(session: Session, table: Table) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def add_to_counters(
    session: Session, table: Table, *, keys: Sequence[str], column: str, rows: Sequence[dict[str, Any]]
) -> None:
    """Add ``rows[column]`` to existing counters keyed by ``keys``, creating missing ones (one statement).

    Rows are sorted by key so that concurrent PostgreSQL transactions lock counter rows in the same order
    and cannot deadlock.
    """
    if not rows:
        return
    ordered = sorted(rows, key=lambda row: tuple(row[k] for k in keys))
    stmt = _insert(session, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={column: table.c[column] + stmt.excluded[column]},
    )
    session.execute(stmt, ordered)


def keep_minimum(
    session: Session, table: Table, *, keys: Sequence[str], column: str, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert rows, or lower ``column`` of existing ones to the new value when it is smaller."""
    if not rows:
        return
    ordered = sorted(rows, key=lambda row: tuple(row[k] for k in keys))
    stmt = _insert(session, table)
    smaller = (
        func.least(table.c[column], stmt.excluded[column])
        if session.get_bind().dialect.name == "postgresql"
        else func.min(table.c[column], stmt.excluded[column])
    )
    stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_={column: smaller})
    session.execute(stmt, ordered)


def insert_ignoring_conflicts(session: Session, table: Table) -> Any:
    """An INSERT that skips rows violating a unique constraint (the caller adds RETURNING as needed)."""
    return _insert(session, table).on_conflict_do_nothing()


def serialize_writers(session: Session, *, scope: str, key: int) -> None:
    """Make writers of the same (scope, key) commit one after another.

    SQLite's ``BEGIN IMMEDIATE`` already admits one writer at a time. On PostgreSQL a transaction-scoped
    advisory lock does it, so that ids drawn from a sequence become visible in the order they were drawn:
    a reader paging by id then never skips a row that commits late.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(f"{scope}:{key}".encode(), digest_size=8).digest()
    lock_id = int.from_bytes(digest, "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
