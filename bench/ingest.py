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
import json
import random
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

import common
from common import RESULTS_DIR, Verdicts, fmt_ms, log, table
from herald import wiring
from ingest_template import T0, count_rows, fresh_copy, postgres_template, sqlite_template
from ingest_ways import Phase, via_driver, via_http, via_repository, via_service
from loader import email_of

TARGET_EVENTS_PER_S = 20_000


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
