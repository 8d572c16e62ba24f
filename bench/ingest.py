"""Benchmark of ingest through ``POST /v1/interactions``, beside floors measured in the same run.

Each database starts from the same template (migrated by Alembic; one account with a key; ``--messages``
sent messages; ``--contacts`` contacts loaded in bulk; ``--history`` older events of another message already
in the ledger, with their counters, and on PostgreSQL ``VACUUM ANALYZE`` as autovacuum would run it).
The same pre-serialised batches of ``--batch`` events (default 10,000: half sends, 35 % opens, 15 % clicks
with a URL, each with its own ``event_id``) are then written four ways, each into its own fresh copy of the
template:

1. HTTP: a real ``herald serve`` subprocess, ``--clients`` concurrent aiohttp clients POSTing the batches;
2. in-process: the server's work without HTTP (``orjson.loads`` + ``validate_row`` + ``record`` in
   ``database.write()``), one batch after another;
3. repository: only the ledger rows, ``repository.append`` per batch as ``record`` calls it (ids reserved
   up front, rows written by COPY on PostgreSQL and ``executemany`` on SQLite);
4. driver floor: the same rows by ``executemany`` through sqlite3 / psycopg, one transaction per batch
   (on PostgreSQL ``executemany`` for the first half of the batches and ``COPY`` for the second half).

Target (PASS/FAIL): HTTP ingest >= 20,000 events/s on SQLite.

Needs: the project's venv; PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth; override with
HERALD_BENCH_POSTGRES_URL) for the PostgreSQL half, which uses throwaway ``herald_bench_<random>`` databases
dropped at the end.

    .venv/bin/python bench/ingest.py                    # 200,000 events, both databases
    .venv/bin/python bench/ingest.py --db sqlite --events 500000 --clients 4
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import aiohttp
import orjson
import psycopg
from sqlalchemy import Table, func, select

import common
from common import RESULTS_DIR, Timing, Verdicts, fmt_ms, log, table
from herald import wiring
from herald.accounts import service as accounts_service
from herald.api.native.interaction_rows import validate_row
from herald.db import dialect
from herald.db import migrate as db_migrate
from herald.db.engine import Database, connect
from herald.interactions import repository
from herald.interactions import service as interactions_service
from herald.interactions.models import Interaction
from herald.interactions.schemas import NewInteraction, Rejection
from herald.messages.models import Message
from herald.settings import Settings
from loader import email_of

TARGET_EVENTS_PER_S = 20_000
T0 = int(datetime(2024, 5, 6, 8, 0, tzinfo=UTC).timestamp())
LEDGER_COLUMNS = repository.LEDGER_COLUMNS
ledger = cast(Table, Interaction.__table__)


@dataclass(frozen=True)
class Phase:
    name: str
    events: int
    seconds: float
    latency: Timing | None = None

    @property
    def per_s(self) -> float:
        return self.events / self.seconds


@dataclass(frozen=True)
class Template:
    """Where a fresh copy of the starting state comes from, and what it holds."""

    db: str
    source: str  # SQLite file path or PostgreSQL template database name
    account_id: int
    key: str
    message_ids: list[int]


# --- data ----------------------------------------------------------------------------------------------


def make_batches(args: argparse.Namespace, message_ids: list[int]) -> list[list[dict[str, Any]]]:
    """The events, in batches; times increase through the run as a live feed's would."""
    rng = random.Random(args.seed)
    events: list[dict[str, Any]] = []
    for n in range(args.events):
        roll = rng.random()
        kind = "sends" if roll < 0.5 else "opens" if roll < 0.85 else "clicks"
        second = T0 + n * 3600 // args.events
        row: dict[str, Any] = {
            "message_id": rng.choice(message_ids),
            "contact_id": rng.randint(1, args.contacts),
            "type": kind,
            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)),
        }
        if not args.no_event_ids:
            row["event_id"] = f"esp-{args.seed}-{n:09d}"
        if kind == "clicks":
            row["metadata"] = {"url": "https://example.com/offer?utm_source=herald"}
        events.append(row)
    return [events[i : i + args.batch] for i in range(0, len(events), args.batch)]


def ledger_rows(
    batch: list[dict[str, Any]], *, account_id: int, recorded_at: datetime
) -> list[dict[str, Any]]:
    """The rows ``record`` stores for a batch (contact email copied in, seconds derived)."""
    rows = []
    for event in batch:
        occurred_at = datetime.fromisoformat(event["occurred_at"]).astimezone(UTC)
        rows.append(
            {
                "account_id": account_id,
                "message_id": event["message_id"],
                "contact_id": event["contact_id"],
                "contact_email": email_of(event["contact_id"]),
                "contact_phone": None,
                "type": event["type"],
                "occurred_at": occurred_at,
                "occurred_s": int(occurred_at.timestamp()),
                "event_id": event.get("event_id"),
                "metadata": event.get("metadata", {}),
                "recorded_at": recorded_at,
            }
        )
    return rows


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


# --- driver --------------------------------------------------------------------------------------------


def run_db(db: str, args: argparse.Namespace, folder: Path) -> list[Phase] | None:
    if db == "postgresql":
        why = common.postgres_reachable()
        if why is not None:
            log(f"SKIPPING POSTGRESQL: not reachable at {common.postgres_admin_url()}: {why}")
            return None
    log(
        f"{db}: preparing the template ({args.contacts:,} contacts, {args.messages} messages, "
        f"{args.history:,} older events)"
    )
    template = sqlite_template(args, folder) if db == "sqlite" else postgres_template(args)
    try:
        batches = make_batches(args, template.message_ids)
        bodies = [orjson.dumps({"interactions": batch}) for batch in batches]
        log(f"{db}: {args.events:,} events in {len(bodies)} bodies of {len(bodies[0]) / 1e6:.1f} MB")
        recorded_at = datetime.now(UTC)
        rows = [
            ledger_rows(batch, account_id=template.account_id, recorded_at=recorded_at) for batch in batches
        ]
        phases: list[Phase] = []
        steps: list[tuple[str, Callable[[str], list[Phase]]]] = [
            ("http", lambda url: [via_http(url, template, bodies, args.events, args)]),
            ("service", lambda url: [via_service(url, template, bodies, args.events)]),
            ("repository", lambda url: [via_repository(url, rows, args.events)]),
            ("driver", lambda url: via_driver(url, db, rows, args.events)),
        ]
        for label, step in steps:
            with fresh_copy(template, folder, label) as url:
                log(f"{db}: {label} ...")
                done = step(url)
                stored = count_rows(url) - args.history
                if stored != args.events:
                    raise SystemExit(
                        f"{db} {label}: {stored} ledger rows after the run, expected {args.events}"
                    )
                for phase in done:
                    log(f"{db}: {phase.name}: {phase.per_s:,.0f} events/s")
                phases.extend(done)
        return phases
    finally:
        if db == "postgresql":
            common.drop_postgres_database(template.source)


def main() -> int:
    wiring.wire()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--events", type=int, default=200_000, help="events per way (default 200,000)")
    parser.add_argument(
        "--batch", type=int, default=10_000, help="events per request (default 10,000, the maximum)"
    )
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients (default 4)")
    parser.add_argument(
        "--contacts", type=int, default=100_000, help="contacts in the template (default 100,000)"
    )
    parser.add_argument("--messages", type=int, default=10, help="messages in the template (default 10)")
    parser.add_argument(
        "--history",
        type=int,
        default=1_000_000,
        help="older events already in the ledger, of another message (default 1,000,000)",
    )
    parser.add_argument("--workers", type=int, default=1, help="herald serve --workers (default 1)")
    parser.add_argument("--no-event-ids", action="store_true", help="send events without event_id")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.events < args.batch * 2:
        parser.error("--events must be at least two batches")

    log(f"machine: {common.machine()}")
    folder = RESULTS_DIR / "ingest"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    results: dict[str, list[Phase]] = {}
    try:
        for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
            found = run_db(db, args, folder)
            if found is not None:
                results[db] = found
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print(f"machine at the end of the run: {common.machine()}")
    verdicts = Verdicts()
    for db, phases in results.items():
        floor = max(p.per_s for p in phases if "floor" in p.name)
        print(
            table(
                ["way", "events", "seconds", "events/s", "vs floor", "batch p50 ms", "batch p99 ms"],
                [
                    (
                        p.name,
                        f"{p.events:,}",
                        f"{p.seconds:.2f}",
                        f"{p.per_s:,.0f}",
                        f"{p.per_s / floor:.0%}",
                        fmt_ms(p.latency.median_ms if p.latency else None),
                        fmt_ms(p.latency.p99_ms if p.latency else None),
                    )
                    for p in phases
                ],
                title=f"## {db}: ingest of {args.events:,} events in batches of {args.batch:,}",
            )
        )
        http = phases[0]
        if db == "sqlite":
            verdicts.check(
                f"SQLite HTTP ingest >= {TARGET_EVENTS_PER_S:,} events/s",
                http.per_s >= TARGET_EVENTS_PER_S,
                f"{http.per_s:,.0f} events/s ({http.per_s / floor:.0%} of the driver floor {floor:,.0f})",
            )
        else:
            print(
                f"\nPostgreSQL has no target; for reference: {http.per_s:,.0f} events/s over HTTP "
                f"({http.per_s / floor:.0%} of the best floor, {floor:,.0f} events/s)"
            )
    print(verdicts.render("Targets"))
    out = RESULTS_DIR / f"ingest-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {
                "machine": common.machine(),
                "args": vars(args),
                "results": {db: [{**asdict(p), "per_s": p.per_s} for p in ps] for db, ps in results.items()},
            },
            indent=2,
            default=str,
        )
    )
    log(f"results written to {out}")
    return 1 if verdicts.failed else 0


if __name__ == "__main__":
    sys.exit(main())
