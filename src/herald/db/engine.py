"""Engines and transactions: the one seam where SQLite and PostgreSQL differ in how they are driven.

Every entry point (request, CLI command, job) runs in exactly one transaction opened here and committed
before its answer leaves. On SQLite a write transaction starts with ``BEGIN IMMEDIATE`` so that two writers
queue on the busy timeout instead of failing when a read lock would have to be upgraded; reads use a
separate engine whose transactions start deferred and never block writers (WAL).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session

from herald.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _sqlite_engine(url: str, *, begin: str, pool_size: int) -> Engine:
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        json_serializer=_json_dumps,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN is ours to choose.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives any process crash (kill -9); only a power cut can lose the last commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA cache_size=-65536")
        # Checkpoint the WAL every ~40 MB instead of every 4 MB: a 10,000-event ingest batch dirties
        # several MB of index pages, and checkpointing after every batch doubled its commit time.
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


@dataclass
class Database:
    """The write and read engines of one database, and the transactions every entry point uses."""

    writer: Engine
    reader: Engine
    # SQLite admits one writer at a time; threads of this process queue here and are woken the moment
    # the writer before them commits, instead of polling SQLite's busy handler (which sleeps up to 100 ms
    # between tries). Other processes still meet the busy timeout.
    write_lock: threading.Lock | None = None
    # PostgreSQL only: connections in autocommit, for ``glance``.
    glancer: Engine | None = None
    _stamp_probe: sqlite3.Connection | None = field(default=None, repr=False)
    _stamp_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    def change_stamp(self) -> int | None:
        """A number that changes whenever any connection of any process commits to this SQLite file
        (``PRAGMA data_version`` on a connection that only ever asks that: every commit is another
        connection's), for caches that may answer while nothing has changed. A few microseconds, no
        transaction. None on PostgreSQL and for in-memory SQLite, which have no such cheap stamp."""
        path = self.reader.url.database if self.dialect == "sqlite" else None
        if not path or path == ":memory:":
            return None
        with self._stamp_lock:
            if self._stamp_probe is None:
                self._stamp_probe = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            row = self._stamp_probe.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One read-write transaction, committed when the block ends without an exception."""
        lock = self.write_lock or nullcontext()
        with lock, Session(self.writer, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """One read-only transaction, always rolled back."""
        with Session(self.reader, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def glance(self) -> Iterator[Session]:
        """Reads that need no common snapshot: each statement sees what was committed when it ran.

        For checks made on every request (who is asking, has a report changed): on PostgreSQL a
        transaction's BEGIN and ROLLBACK are two more network round trips than the statements
        themselves, so these run in autocommit; SQLite's local transactions cost nothing to speak of.
        Never for writes, nor for reads whose statements must agree with each other."""
        if self.glancer is None:
            with self.read() as session:
                yield session
            return
        with Session(self.glancer, expire_on_commit=False) as session:
            yield session

    def dispose(self) -> None:
        with self._stamp_lock:
            if self._stamp_probe is not None:
                self._stamp_probe.close()
                self._stamp_probe = None
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()
        if self.glancer is not None:
            self.glancer.dispose()


def private_file(path: Path) -> None:
    """Create the SQLite file (0600) and its folder (0700) when missing, before SQLite opens it: the
    ledger holds every contact's address, so no other user of the machine may read it. SQLite creates
    its -wal and -shm files with the permissions of the database file."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it first
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def connect(settings: Settings) -> Database:
    """Open the configured database; a missing SQLite file and folder are created, private."""
    url = settings.sqlalchemy_url
    if settings.is_sqlite:
        path = settings.sqlite_path()
        if path is not None:
            private_file(Path(path))
        writer = _sqlite_engine(url, begin="BEGIN IMMEDIATE", pool_size=settings.database_pool_size)
        reader = _sqlite_engine(url, begin="BEGIN", pool_size=settings.database_pool_size)
        return Database(writer=writer, reader=reader, write_lock=threading.Lock())
    # No pre-ping: it costs a round trip per checkout. A connection the server dropped fails one
    # statement, and SQLAlchemy then discards the whole pool and reconnects.
    engine = create_engine(
        url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        json_serializer=_json_dumps,
    )
    # Its own pool: switching a pooled connection in and out of autocommit costs round trips itself.
    glancer = create_engine(
        url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        isolation_level="AUTOCOMMIT",
    )
    return Database(writer=engine, reader=engine, glancer=glancer)
