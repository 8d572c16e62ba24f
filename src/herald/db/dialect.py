"""SQL whose spelling differs between SQLite and PostgreSQL, kept in one place."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    ColumnElement,
    Select,
    String,
    Table,
    any_,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from herald.db.base import UTCDateTime


def _insert(session: Session, table: Table) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _placeholder(session: Session) -> str:
    return "%s" if is_postgresql(session) else "?"


def add_to_counters(
    session: Session, table: Table, *, keys: Sequence[str], column: str, rows: Sequence[tuple[Any, ...]]
) -> None:
    """Add the last value of each row to the counter keyed by the others, creating missing counters.

    Rows are sorted by key so that concurrent PostgreSQL transactions lock counter rows in the same order
    and cannot deadlock. Sent straight to the driver: this runs for every ingested batch.
    """
    if not rows:
        return
    names = [*keys, column]
    mark = _placeholder(session)
    target = f'"{table.name}".{column}'
    statement = (
        f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({", ".join([mark] * len(names))}) '  # noqa: S608
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {column} = {target} + excluded.{column}"
    )
    session.connection().exec_driver_sql(statement, sorted(rows))


def _json_text(value: Any) -> Any:
    return None if value is None else orjson.dumps(value).decode()


def _sqlite_datetime(value: Any) -> Any:
    """The text SQLAlchemy stores for a UTC datetime on SQLite (always with microseconds, so that text
    comparisons in SQL order correctly)."""
    if value is None:
        return None
    text_value: str = value.isoformat(sep=" ", timespec="microseconds")
    if text_value.endswith("+00:00"):
        return text_value[:-6]
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _converters(table: Table, columns: Sequence[str], *, postgres: bool) -> list[Any]:
    found: list[Any] = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            found.append(_json_text)
        elif isinstance(column_type, UTCDateTime) and not postgres:
            found.append(_sqlite_datetime)
        else:
            found.append(None)
    return found


def _driver_rows(
    table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], *, postgres: bool
) -> list[tuple[Any, ...]]:
    converters = _converters(table, columns, postgres=postgres)
    if not any(converters):
        return list(rows)
    pairs = [(index, convert) for index, convert in enumerate(converters) if convert is not None]
    converted: list[tuple[Any, ...]] = []
    last: dict[
        int, tuple[Any, Any]
    ] = {}  # per column: the last value and its conversion (repeats are common)
    for row in rows:
        values = list(row)
        for index, convert in pairs:
            value = values[index]
            seen = last.get(index)
            if seen is not None and seen[0] is value:
                values[index] = seen[1]
            else:
                values[index] = result = convert(value)
                last[index] = (value, result)
        converted.append(tuple(values))
    return converted


def bulk_insert(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert many rows through the driver's fastest path: ``COPY`` on PostgreSQL, ``executemany`` on
    SQLite. Values are Python values; datetimes and JSON are converted as SQLAlchemy would store them."""
    if not rows:
        return
    names = ", ".join(columns)
    postgres = is_postgresql(session)
    converted = _driver_rows(table, columns, rows, postgres=postgres)
    if postgres:
        cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in converted:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    session.connection().exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', converted)  # noqa: S608


def keep_minimum(
    session: Session, table: Table, *, keys: Sequence[str], column: str, rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert rows (keys, then the value), or lower the value of existing ones when the new one is smaller."""
    if not rows:
        return
    names = [*keys, column]
    mark = _placeholder(session)
    smaller = "least" if is_postgresql(session) else "min"
    statement = (
        f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({", ".join([mark] * len(names))}) '  # noqa: S608
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        f'{column} = {smaller}("{table.name}".{column}, excluded.{column})'
    )
    session.connection().exec_driver_sql(statement, sorted(rows))


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


def delete_any(session: Session, model: Any, *conditions: ColumnElement[bool]) -> bool:
    """Delete ``model``'s rows matching ``conditions``; whether there were any. Bulk, so the session's
    identity map is not consulted (entry points never hold the rows they delete)."""
    result = session.execute(delete(model).where(*conditions).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def member_of(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values`` with the values in one parameter, however many there are.

    PostgreSQL gets an array (``= ANY``), whose plan does not depend on the number of values and stays good
    when psycopg prepares the statement; SQLite a JSON array read by ``json_each``. Neither builds a
    statement per value count, and neither runs into a bound-parameter limit.
    """
    if is_postgresql(session):
        matched: ColumnElement[bool] = column == any_(
            bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        )
        return matched
    listed: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam(None, orjson.dumps(list(values)).decode(), type_=String()))
    )
    within: ColumnElement[bool] = column.in_(listed.scalar_subquery())
    return within


def allocate_ids(session: Session, table: Table, count: int) -> list[int]:
    """Reserve ``count`` increasing ids for rows the caller then inserts with explicit ids.

    Inserting with ids known in advance lets a batch go in as one plain ``executemany`` (no per-row
    RETURNING). The caller must hold the write serialization of ``serialize_writers`` (or be SQLite's only
    writer), so that no other transaction takes ids in between.
    """
    if count <= 0:
        return []
    if is_postgresql(session):
        rows = session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table.name, "n": count},
        )
        return sorted(int(row[0]) for row in rows)
    highest = session.execute(text(f'SELECT max(id) FROM "{table.name}"')).scalar() or 0  # noqa: S608
    sequence = session.execute(
        text("SELECT seq FROM sqlite_sequence WHERE name = :table"), {"table": table.name}
    ).scalar()
    start = max(int(highest), int(sequence or 0)) + 1
    return list(range(start, start + count))


_NAMED_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


@lru_cache(maxsize=256)
def _for_driver(statement: str, postgres: bool) -> str:
    """``:name`` placeholders as the driver spells them (sqlite3 takes them as they are)."""
    if not postgres:
        return statement
    return _NAMED_PARAMETER.sub(r"%(\1)s", statement.replace("%", "%%"))


def fetch_all(session: Session, statement: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Run a read statement straight on the driver's cursor, inside the session's transaction.

    For hot paths only (the report): SQLAlchemy adds about 0.1 ms per statement, more than the
    statements themselves cost. ``statement`` uses ``:name`` placeholders and plain, portable SQL.
    """
    connection = session.connection().connection.dbapi_connection
    assert connection is not None
    cursor = connection.cursor()
    try:
        cursor.execute(_for_driver(statement, is_postgresql(session)), parameters)
        rows: list[tuple[Any, ...]] = list(cursor.fetchall())
    finally:
        cursor.close()
    return rows
