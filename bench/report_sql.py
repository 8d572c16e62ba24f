"""The raw-SQL side of the report benchmark (``bench/report.py``): ``Floor`` fetches the same 100 rows
as a report page straight through the driver (a keyset seek from the page's known first key, with and
without the ``first_sends`` join) and times scalar queries such as ``COUNT(*)`` and a naive ``OFFSET``;
``captured_sql`` records every statement one report request runs (including the driver-level reads of
``herald.db.dialect.fetch_all``), and ``explain`` gets their plans. It is the floor the service is
compared against, so it lives beside the script rather than inside it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from common import Timing
from herald.db import dialect
from herald.db.engine import Database

# --- the floor: raw SQL through the driver -----------------------------------------------------------


class Floor:
    """The same rows fetched by hand: a keyset seek from the page's known first key."""

    def __init__(self, database: Database) -> None:
        self.dialect = database.dialect
        self.raw = database.reader.raw_connection()
        self.mark = "?" if self.dialect == "sqlite" else "%s"

    def close(self) -> None:
        self.raw.rollback()
        self.raw.close()

    def sql(self, *, descending: bool, join: bool) -> str:
        m = self.mark
        cmp, direction = ("<=", "DESC") if descending else (">=", "ASC")
        columns = "i.id, i.contact_id, i.contact_email, i.occurred_s"
        source = "interactions i"
        if join:
            columns += ", f.first_send_s"
            source += (
                " LEFT JOIN first_sends f ON f.message_id = i.message_id AND f.contact_id = i.contact_id"
            )
        return (
            f"SELECT {columns} FROM {source} WHERE i.message_id = {m} AND i.type = {m} "
            f"AND (i.occurred_s, i.id) {cmp} ({m}, {m}) AND i.occurred_s >= {m} AND i.occurred_s < {m} "
            f"ORDER BY i.occurred_s {direction}, i.id {direction} LIMIT 100"
        )

    def page(
        self,
        *,
        message_id: int,
        kind: str,
        first: tuple[int, int],
        bounds: tuple[int, int],
        descending: bool,
        join: bool,
    ) -> list[Any]:
        cursor = self.raw.cursor()
        cursor.execute(self.sql(descending=descending, join=join), (message_id, kind, *first, *bounds))
        rows = cursor.fetchall()
        cursor.close()
        return list(rows)

    def scalar_ms(self, sql: str, params: tuple[Any, ...], repeat: int) -> tuple[float, Any]:
        cursor = self.raw.cursor()
        cursor.execute(sql.replace("?", self.mark), params)  # warm the cache once
        value = cursor.fetchall()
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            cursor.execute(sql.replace("?", self.mark), params)
            value = cursor.fetchall()
            samples.append(time.perf_counter() - start)
        cursor.close()
        return Timing.of(samples).median_ms, value


@contextmanager
def captured_sql(database: Database) -> Iterator[list[tuple[str, Any, bool]]]:
    """Every statement run while inside: (statement, parameters, named).

    The report's hot path reads through ``herald.db.dialect.fetch_all`` (the driver's cursor, plain SQL with
    ``:name`` placeholders), which SQLAlchemy's ``before_cursor_execute`` never sees; so that function is
    wrapped too (``named=True``), besides the listener for anything going through SQLAlchemy (BEGIN, ...).
    """
    statements: list[tuple[str, Any, bool]] = []

    def capture(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        statements.append((statement, parameters, False))

    original = dialect.fetch_all

    def recording_fetch_all(session: Any, statement: str, parameters: dict[str, Any]) -> Any:
        session.connection()  # any BEGIN first, so the list keeps the order the database saw
        statements.append((statement, dict(parameters), True))
        return original(session, statement, parameters)

    event.listen(database.reader, "before_cursor_execute", capture)
    dialect.fetch_all = recording_fetch_all  # type: ignore[assignment]
    try:
        yield statements
    finally:
        dialect.fetch_all = original  # type: ignore[assignment]
        event.remove(database.reader, "before_cursor_execute", capture)


def explain(database: Database, statement: str, parameters: Any, *, named: bool) -> str:
    """The plan of one captured statement, run through the driver's cursor (on PostgreSQL with ANALYZE)."""
    postgres = database.dialect != "sqlite"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    if named:  # ``:name`` placeholders, as fetch_all sends them (sqlite3 takes them as they are)
        statement = dialect._for_driver(statement, postgres)
    raw = database.reader.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(prefix + statement, parameters)
        rows = cursor.fetchall()
        cursor.close()
        raw.rollback()
    finally:
        raw.close()
    if postgres:
        return "\n".join(str(r[0]) for r in rows)
    return "\n".join(f"{r[0]:>3} {r[1]:>3} {r[3]}" for r in rows)
