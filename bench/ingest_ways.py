"""The four ways the ingest benchmark (``bench/ingest.py``) writes the same events, each timed as a
``Phase``: over HTTP to a real ``herald serve`` (concurrent aiohttp clients), in-process through the
service (``orjson.loads`` + ``validate_row`` + ``record``), through ``repository.append`` only, and the
driver floor (``executemany`` / ``COPY`` through sqlite3 / psycopg). They are the heart of the measurement
but independent of how the template is built and how results are printed, so they live in their own
module and the script only runs them in order.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
import psycopg

import common
from common import Timing
from herald.api.native.interaction_rows import validate_row
from herald.db import dialect
from herald.db.engine import connect
from herald.interactions import repository
from herald.interactions import service as interactions_service
from herald.interactions.records import NewInteraction, Rejection
from herald.settings import Settings
from ingest_template import Template

LEDGER_COLUMNS = repository.LEDGER_COLUMNS


@dataclass(frozen=True)
class Phase:
    name: str
    events: int
    seconds: float
    latency: Timing | None = None

    @property
    def per_s(self) -> float:
        return self.events / self.seconds


# --- the four ways -------------------------------------------------------------------------------------


async def _post_all(
    port: int, bodies: list[bytes], key: str, clients: int
) -> tuple[float, list[float], dict[str, int]]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies: list[float] = []
    totals = {"recorded": 0, "duplicates": 0, "rejected": 0}
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    url = f"http://{common.HOST}:{port}/v1/interactions"
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=clients), timeout=timeout
    ) as session:

        async def client() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                start = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    answer = await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"HTTP {response.status}: {answer[:300]!r}")
                latencies.append(time.perf_counter() - start)
                parsed = orjson.loads(answer)
                for name in totals:
                    totals[name] += parsed[name]

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - start
    return elapsed, latencies, totals


def via_http(
    url: str, template: Template, bodies: list[bytes], events: int, args: argparse.Namespace
) -> Phase:
    with common.herald_server(url, workers=args.workers, log_name=f"ingest-{template.db}-server") as port:
        elapsed, latencies, totals = asyncio.run(_post_all(port, bodies, template.key, args.clients))
    if totals["recorded"] != events or totals["rejected"]:
        raise SystemExit(f"HTTP ingest recorded {totals}; expected {events} recorded and none rejected")
    return Phase(f"HTTP POST /v1/interactions, {args.clients} clients", events, elapsed, Timing.of(latencies))


def via_service(url: str, template: Template, bodies: list[bytes], events: int) -> Phase:
    database = connect(Settings(database_url=url))
    recorded = 0
    latencies = []
    try:
        start = time.perf_counter()
        for body in bodies:
            began = time.perf_counter()
            rows = orjson.loads(body)["interactions"]
            checked: list[NewInteraction] = []
            rejected: list[Rejection] = []
            for index, raw in enumerate(rows):
                row = validate_row(index, raw)
                (rejected if isinstance(row, Rejection) else checked).append(row)  # type: ignore[arg-type]
            with database.write() as session:
                result = interactions_service.record(
                    session, account_id=template.account_id, events=checked, rejected=rejected
                )
            recorded += result.recorded
            latencies.append(time.perf_counter() - began)
        elapsed = time.perf_counter() - start
    finally:
        database.dispose()
    if recorded != events:
        raise SystemExit(f"in-process ingest recorded {recorded}; expected {events}")
    return Phase("in-process: orjson + validate_row + record", events, elapsed, Timing.of(latencies))


def via_repository(url: str, batches: list[list[dict[str, Any]]], events: int) -> Phase:
    """Only the ledger rows, through the repository's own write path: ``repository.append`` reserves the
    batch's ids and inserts them with COPY (PostgreSQL) / ``executemany`` (SQLite), after the same writer
    serialization as ``record``."""
    database = connect(Settings(database_url=url))
    prepared = [[tuple(row[c] for c in repository.LEDGER_COLUMNS) for row in rows] for rows in batches]
    latencies = []
    try:
        start = time.perf_counter()
        for rows in prepared:
            began = time.perf_counter()
            with database.write() as session:
                dialect.serialize_writers(session, scope="ingest", key=int(rows[0][0]))
                ids = repository.append(session, rows)
            assert len(ids) == len(rows)
            latencies.append(time.perf_counter() - began)
        elapsed = time.perf_counter() - start
    finally:
        database.dispose()
    return Phase(
        "repository.append (reserved ids + COPY / executemany), ledger only",
        events,
        elapsed,
        Timing.of(latencies),
    )


def _driver_tuples(rows: list[dict[str, Any]], db: str) -> list[tuple[Any, ...]]:
    out = []
    for row in rows:
        values = [row[c] for c in LEDGER_COLUMNS]
        values[LEDGER_COLUMNS.index("metadata")] = json.dumps(row["metadata"])
        if db == "sqlite":  # how SQLAlchemy stores a UTC datetime on SQLite
            for column in ("occurred_at", "recorded_at"):
                index = LEDGER_COLUMNS.index(column)
                values[index] = values[index].replace(tzinfo=None).isoformat(" ", "microseconds")
        out.append(tuple(values))
    return out


def via_driver(url: str, db: str, batches: list[list[dict[str, Any]]], events: int) -> list[Phase]:
    prepared = [_driver_tuples(rows, db) for rows in batches]
    columns = ", ".join(LEDGER_COLUMNS)
    phases = []
    if db == "sqlite":
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "cache_size=-65536"):
                conn.execute(f"PRAGMA {pragma}")
            sql = f"INSERT INTO interactions ({columns}) VALUES ({', '.join('?' * len(LEDGER_COLUMNS))})"
            start = time.perf_counter()
            for rows in prepared:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(sql, rows)
                conn.execute("COMMIT")
            phases.append(
                Phase("sqlite3 executemany, ledger only (floor)", events, time.perf_counter() - start)
            )
        finally:
            conn.close()
        return phases
    libpq = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(libpq) as pg:
        sql = f"INSERT INTO interactions ({columns}) VALUES ({', '.join(['%s'] * len(LEDGER_COLUMNS))})"
        start = time.perf_counter()
        for rows in prepared[: len(prepared) // 2]:
            with pg.cursor() as cursor:
                cursor.executemany(sql, rows)
            pg.commit()
        half = sum(len(r) for r in prepared[: len(prepared) // 2])
        phases.append(Phase("psycopg executemany, ledger only (floor)", half, time.perf_counter() - start))
        start = time.perf_counter()
        for rows in prepared[len(prepared) // 2 :]:
            with pg.cursor() as cursor, cursor.copy(f"COPY interactions ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            pg.commit()
        phases.append(Phase("psycopg COPY, ledger only (floor)", events - half, time.perf_counter() - start))
    return phases
