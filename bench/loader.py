"""Bulk loading of one sent message's interactions, on SQLite and PostgreSQL, for the report benchmark.

The data set is one email message sent to ``rows / 2`` distinct contacts:

* sends: one per contact, spread evenly over the first 3 hours;
* opens (35 % of ``rows``): a random contact's send time plus a delay decaying over 30 days (60 % of the
  opens have a mean delay of 4 hours, 40 % of 5 days; clipped at 30 days);
* clicks (the rest): a random open's time plus a delay with a mean of 10 minutes.

Ledger ids follow the event time (rows are appended as they happen, which is how ingest writes them).

The schema is made by the Alembic migrations (``herald.db.migrate.upgrade``); rows are then written
straight through the driver: on SQLite ``executemany`` in one transaction with the secondary indexes dropped
and recreated from their own DDL afterwards; on PostgreSQL ``COPY`` with the foreign keys, unique constraints
and secondary indexes dropped and recreated from ``pg_get_constraintdef``/``pg_get_indexdef`` afterwards.
The counters are then built by Herald itself: ``interactions_service.rebuild_counters`` in
``database.write()``.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import time
from array import array
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import psycopg

from common import log
from herald.accounts import service as accounts_service
from herald.db import migrate as db_migrate
from herald.db.engine import Database, connect
from herald.interactions import service as interactions_service
from herald.messages.models import Message
from herald.settings import Settings

GENERATOR_VERSION = 1
T0 = int(datetime(2024, 5, 6, 8, 0, tzinfo=UTC).timestamp())  # the send starts at 08:00 UTC on a Monday
SEND_WINDOW_S = 3 * 3600
HORIZON_S = 30 * 86400 - 1
TYPES = ("sends", "opens", "clicks")
BATCH = 50_000
PROGRESS_EVERY = 1_000_000
ACCOUNT_NAME = "bench"
CONTACT_COLUMNS = "id, account_id, email, phone, attributes, created_at, updated_at"
LEDGER_COLUMNS = (
    "id, account_id, message_id, contact_id, contact_email, contact_phone, type, occurred_at, occurred_s, "
    "event_id, metadata, recorded_at"
)


@dataclass(frozen=True)
class Shape:
    rows: int
    sends: int
    opens: int
    clicks: int
    seed: int

    @classmethod
    def of(cls, rows: int, seed: int) -> Shape:
        sends = rows // 2
        opens = rows * 35 // 100
        return cls(rows=rows, sends=sends, opens=opens, clicks=rows - sends - opens, seed=seed)

    @property
    def contacts(self) -> int:
        return self.sends

    def count(self, kind: str) -> int:
        return {"sends": self.sends, "opens": self.opens, "clicks": self.clicks}[kind]


@dataclass(frozen=True)
class Loaded:
    """What a loaded database holds, kept beside it so a later run can reuse it."""

    shape: Shape
    account_id: int
    message_id: int
    timings_s: dict[str, float]
    generator_version: int = GENERATOR_VERSION

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Loaded:
        return cls(
            shape=Shape(**data["shape"]),
            account_id=int(data["account_id"]),
            message_id=int(data["message_id"]),
            timings_s={k: float(v) for k, v in data["timings_s"].items()},
            generator_version=int(data.get("generator_version", 0)),
        )


class Events:
    """The events as sorted packed integers: (second offset, type, contact) in one int each (~40 B/row)."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.contact_bits = max(shape.contacts.bit_length(), 1)
        self.shift = self.contact_bits + 2
        self.keys = self._generate()

    def send_offset(self, contact: int) -> int:
        return (contact - 1) * SEND_WINDOW_S // self.shape.sends

    def _generate(self) -> list[int]:
        shape, shift, cbits = self.shape, self.shift, self.contact_bits
        rng = random.Random(shape.seed)
        started = time.perf_counter()
        keys: list[int] = [(self.send_offset(c) << shift) | c for c in range(1, shape.sends + 1)]
        open_offsets = array("q")
        open_contacts = array("q")
        expo = rng.expovariate
        for _ in range(shape.opens):
            contact = rng.randint(1, shape.sends)
            mean = 4 * 3600 if rng.random() < 0.6 else 5 * 86400
            offset = min(self.send_offset(contact) + int(expo(1 / mean)), HORIZON_S)
            open_offsets.append(offset)
            open_contacts.append(contact)
            keys.append((offset << shift) | (1 << cbits) | contact)
        for _ in range(shape.clicks):
            j = rng.randrange(shape.opens)
            offset = min(open_offsets[j] + int(expo(1 / 600)), HORIZON_S)
            keys.append((offset << shift) | (2 << cbits) | open_contacts[j])
        keys.sort()
        log(f"generated {len(keys):,} events in {time.perf_counter() - started:.1f} s")
        return keys

    def decode(self) -> Iterator[tuple[int, int, int, int]]:
        """(id, contact, type index, epoch second) in id order."""
        shift, cbits = self.shift, self.contact_bits
        mask = (1 << cbits) - 1
        for row_id, key in enumerate(self.keys, start=1):
            yield row_id, key & mask, (key >> cbits) & 3, T0 + (key >> shift)


def email_of(contact: int) -> str:
    # Zero-padded, so contacts inserted in id order are also in (account_id, email) order.
    return f"c{contact:08d}@bench.example"


def _sqlite_time(epoch_s: int) -> str:
    """How SQLAlchemy's SQLite DATETIME stores a UTC datetime (naive, microseconds always shown)."""
    return time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime(epoch_s))


def _pg_time(epoch_s: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(epoch_s))


def _batches(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while batch := list(islice(rows, size)):
        yield batch


def _ledger_rows(
    events: Events, *, account_id: int, message_id: int, fmt: Any, recorded: str
) -> Iterator[tuple[Any, ...]]:
    last_second = -1
    text = ""
    for row_id, contact, kind, second in events.decode():
        if second != last_second:
            last_second, text = second, fmt(second)
        yield (
            row_id,
            account_id,
            message_id,
            contact,
            email_of(contact),
            TYPES[kind],
            text,
            second,
            recorded,
        )


def _contact_rows(shape: Shape, *, account_id: int, now: str) -> Iterator[tuple[Any, ...]]:
    for contact in range(1, shape.contacts + 1):
        yield (contact, account_id, email_of(contact), now)


def _prepare(database: Database) -> tuple[int, int]:
    """Migrate, then create the account and the sent message (through Herald's own code)."""
    db_migrate.upgrade(database.writer)
    with database.write() as session:
        account = accounts_service.create_account(session, name=ACCOUNT_NAME, timezone="UTC")
        message = Message(
            account_id=account.id,
            channel="email",
            type="Newsletter",
            sender="news@bench.example",
            subject="Benchmark",
            status="Sent",
        )
        session.add(message)
        session.flush()
        return account.id, message.id


def rebuild(database: Database, message_id: int) -> float:
    """Herald builds the counters and first sends from the ledger; returns the seconds it took."""
    log("rebuilding counters with interactions_service.rebuild_counters ...")
    started = time.perf_counter()
    with database.write() as session:
        interactions_service.rebuild_counters(session, message_id=message_id)
    elapsed = time.perf_counter() - started
    log(f"counters rebuilt in {elapsed:.1f} s")
    return elapsed


# --- SQLite ------------------------------------------------------------------------------------------


def load_sqlite(path: Path, shape: Shape) -> Loaded:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    database = connect(Settings(database_url=url))
    account_id, message_id = _prepare(database)
    database.dispose()
    events = Events(shape)
    timings: dict[str, float] = {}

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA journal_mode=OFF")  # a bulk load into a throwaway file: no rollback journal
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1000000")
        conn.execute("PRAGMA temp_store=MEMORY")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('contacts', 'interactions')"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        now = _sqlite_time(int(time.time()))

        started = time.perf_counter()
        conn.execute("BEGIN")
        done = 0
        for batch in _batches(_contact_rows(shape, account_id=account_id, now=now), BATCH):
            conn.executemany(
                "INSERT INTO contacts (id, account_id, email, phone, attributes, created_at, updated_at) "
                "VALUES (?, ?, ?, NULL, '{}', ?4, ?4)",
                batch,
            )
            done += len(batch)
            if done % PROGRESS_EVERY < BATCH:
                log(f"sqlite: {done:,} / {shape.contacts:,} contacts")
        conn.execute("COMMIT")
        timings["contacts"] = time.perf_counter() - started

        started = time.perf_counter()
        conn.execute("BEGIN")
        done = 0
        rows = _ledger_rows(
            events, account_id=account_id, message_id=message_id, fmt=_sqlite_time, recorded=now
        )
        for batch in _batches(rows, BATCH):
            conn.executemany(
                f"INSERT INTO interactions ({LEDGER_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, NULL, '{}', ?)",
                batch,
            )
            done += len(batch)
            if done % PROGRESS_EVERY < BATCH:
                log(f"sqlite: {done:,} / {shape.rows:,} interactions")
        conn.execute("COMMIT")
        timings["interactions"] = time.perf_counter() - started

        started = time.perf_counter()
        for name, sql in indexes:
            log(f"sqlite: creating {name}")
            conn.execute(sql)
        timings["indexes"] = time.perf_counter() - started
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    del events

    database = connect(Settings(database_url=url))
    try:
        timings["rebuild_counters"] = rebuild(database, message_id)
    finally:
        database.dispose()
    log(f"sqlite: loaded {shape.rows:,} rows; " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return Loaded(shape=shape, account_id=account_id, message_id=message_id, timings_s=timings)


# --- PostgreSQL --------------------------------------------------------------------------------------


@contextlib.contextmanager
def _without_constraints(conn: psycopg.Connection[Any], tables: tuple[str, ...]) -> Iterator[None]:
    """Drop the FKs, unique constraints and secondary indexes of ``tables``; recreate them afterwards."""
    constraints = conn.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype "
        "FROM pg_constraint c WHERE c.conrelid::regclass::text = ANY(%s) AND c.contype IN ('f', 'u') "
        "ORDER BY c.contype DESC",  # 'u' before 'f' when recreating; FKs are dropped first below
        [list(tables)],
    ).fetchall()
    indexes = conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [list(tables)],
    ).fetchall()
    for table, name, _, _kind in sorted(constraints, key=lambda c: c[3] != "f"):
        conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    conn.commit()
    yield
    for name, definition in indexes:
        log(f"postgresql: creating index {name}")
        conn.execute(definition)
        conn.commit()
    for table, name, definition, _ in constraints:
        log(f"postgresql: adding constraint {name}")
        conn.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        conn.commit()


def load_postgres(name: str, sqlalchemy_url: str, libpq_url: str, shape: Shape) -> Loaded:
    database = connect(Settings(database_url=sqlalchemy_url))
    account_id, message_id = _prepare(database)
    database.dispose()
    events = Events(shape)
    timings: dict[str, float] = {}
    now = _pg_time(int(time.time()))

    with psycopg.connect(libpq_url) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        with _without_constraints(conn, ("contacts", "interactions")):
            started = time.perf_counter()
            with (
                conn.cursor() as cursor,
                cursor.copy(f"COPY contacts ({CONTACT_COLUMNS}) FROM STDIN") as copy,
            ):
                done = 0
                for batch in _batches(_contact_rows(shape, account_id=account_id, now=now), BATCH):
                    copy.write("".join(f"{c}\t{a}\t{e}\t\\N\t{{}}\t{t}\t{t}\n" for c, a, e, t in batch))
                    done += len(batch)
                    if done % PROGRESS_EVERY < BATCH:
                        log(f"postgresql: {done:,} / {shape.contacts:,} contacts")
            conn.commit()
            timings["contacts"] = time.perf_counter() - started

            started = time.perf_counter()
            rows = _ledger_rows(
                events, account_id=account_id, message_id=message_id, fmt=_pg_time, recorded=now
            )
            with (
                conn.cursor() as cursor,
                cursor.copy(f"COPY interactions ({LEDGER_COLUMNS}) FROM STDIN") as copy,
            ):
                done = 0
                for batch in _batches(rows, BATCH):
                    copy.write(
                        "".join(
                            f"{i}\t{a}\t{m}\t{c}\t{e}\t\\N\t{k}\t{t}\t{s}\t\\N\t{{}}\t{r}\n"
                            for i, a, m, c, e, k, t, s, r in batch
                        )
                    )
                    done += len(batch)
                    if done % PROGRESS_EVERY < BATCH:
                        log(f"postgresql: {done:,} / {shape.rows:,} interactions")
            conn.commit()
            timings["interactions"] = time.perf_counter() - started
            started = time.perf_counter()
        timings["indexes"] = time.perf_counter() - started
        for table in ("contacts", "interactions"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        conn.commit()
        # What autovacuum does after a bulk load: statistics for the planner and the visibility map for
        # index-only scans (the COUNT(*) comparison uses one).
        started = time.perf_counter()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE contacts")
        conn.execute("VACUUM ANALYZE interactions")
        timings["vacuum_analyze"] = time.perf_counter() - started
    del events

    database = connect(Settings(database_url=sqlalchemy_url))
    try:
        timings["rebuild_counters"] = rebuild(database, message_id)
    finally:
        database.dispose()
    with psycopg.connect(libpq_url, autocommit=True) as conn:
        for table in ("interaction_counts", "interaction_fine_counts", "first_sends"):
            conn.execute(f"VACUUM ANALYZE {table}")
    log(
        f"postgresql: loaded {shape.rows:,} rows into {name}; "
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
    )
    return Loaded(shape=shape, account_id=account_id, message_id=message_id, timings_s=timings)
