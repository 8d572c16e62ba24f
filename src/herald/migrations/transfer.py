"""Copying a whole Herald database into another, empty one: how a user outgrows SQLite for PostgreSQL (or
brings a PostgreSQL database home to a file) without losing a row.

The target is migrated to the same schema first and must hold no data. Every table of ``tables.py`` is
copied in foreign-key order, in batches read by primary key, ids included (so API ids, cursors and
webhook ids stay valid); PostgreSQL's id sequences are then moved past the copied ids. Last, every
table's row count and every message's report totals are compared between the two databases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Table, func, insert, select, text

from herald.db.engine import Database
from herald.interactions import service as interactions_service
from herald.migrations.tables import Base

BATCH = 5000
Progress = Callable[[str, int], None]  # (table, rows just copied)


class TargetNotEmpty(Exception):
    """The target already holds data; nothing was copied."""


@dataclass
class Transfer:
    rows: dict[str, int] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.mismatches


def tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


def row_counts(connection: Connection) -> dict[str, int]:
    return {
        table.name: int(connection.scalar(select(func.count()).select_from(table)) or 0) for table in tables()
    }


def copy_database(source: Database, target: Database, *, progress: Progress | None = None) -> Transfer:
    """Copy every row of ``source`` into the migrated, empty ``target``, then verify; raises
    ``TargetNotEmpty`` (and copies nothing) when the target holds any row."""
    with target.writer.connect() as probe:
        held = {name: count for name, count in row_counts(probe).items() if count}
    if held:
        listed = ", ".join(f"{name} ({count})" for name, count in sorted(held.items()))
        raise TargetNotEmpty(f"the target database holds data already: {listed}")
    transfer = Transfer()
    with source.reader.connect() as reading, target.writer.begin() as writing:
        for table in tables():
            transfer.rows[table.name] = _copy_table(reading, writing, table, progress)
        if writing.dialect.name == "postgresql":
            _move_sequences(writing)
    _verify(source, target, transfer)
    return transfer


def _copy_table(reading: Connection, writing: Connection, table: Table, progress: Progress | None) -> int:
    order = list(table.primary_key.columns) or list(table.columns)
    result = reading.execution_options(stream_results=True, yield_per=BATCH).execute(
        select(table).order_by(*order)
    )
    copied = 0
    for batch in result.mappings().partitions(BATCH):
        rows = [dict(row) for row in batch]
        writing.execute(insert(table), rows)
        copied += len(rows)
        if progress is not None:
            progress(table.name, len(rows))
    return copied


def _move_sequences(writing: Connection) -> None:
    for table in tables():
        if "id" not in table.columns or not table.c.id.autoincrement:
            continue
        sequence = writing.scalar(text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name})
        if sequence:
            # the table name comes from Herald's own metadata, never from input
            highest = f'SELECT COALESCE(max(id), 0) + 1 FROM "{table.name}"'  # noqa: S608
            writing.execute(text(f"SELECT setval(:sequence, ({highest}), false)"), {"sequence": sequence})


def _verify(source: Database, target: Database, transfer: Transfer) -> None:
    with source.reader.connect() as a, target.reader.connect() as b:
        before, after = row_counts(a), row_counts(b)
    for name in before:
        if before[name] != after.get(name):
            transfer.mismatches.append(f"{name}: {before[name]} rows copied as {after.get(name)}")
    with source.read() as a_session, target.read() as b_session:
        expected = interactions_service.report_totals(a_session)
        copied = interactions_service.report_totals(b_session)
        ledger = interactions_service.ledger_totals(b_session)
    for key in sorted(set(expected) | set(copied) | set(ledger)):
        message_id, kind = key
        if not expected.get(key, 0) == copied.get(key, 0) == ledger.get(key, 0):
            transfer.mismatches.append(
                f"message {message_id} {kind}: report total {expected.get(key, 0)} in the source, "
                f"{copied.get(key, 0)} in the target, {ledger.get(key, 0)} ledger rows in the target"
            )
