"""Benchmark of webhook delivery: deliveries/s to a local receiver, and event→delivery latency at a steady
event rate, beside the receiver's own ceiling measured in the same run.

One receiver process (``bench/webhook_receiver.py``: bare aiohttp on uvloop, answering ``200 ok``, counting
distinct ``webhook-id`` headers) serves the whole run. For each database (SQLite by default, PostgreSQL with
``--db postgresql``, or ``--db both``):

1. **Receiver ceiling** (the floor): the same receiver driven by ``wrk`` (2 threads, ``--concurrency``
   connections) and by an aiohttp client in this process at ``--concurrency`` requests in flight (the
   worker's HTTP client at its default concurrency, 64), each POSTing for ``--ceiling-seconds`` a body the
   size and shape of a real native payload, with the real signature headers.
2. **Throughput**: a fresh database (``herald migrate``, ``herald accounts create``, ``herald keys create``
   through the CLI; one native endpoint subscribed to sends/opens/clicks, created through the webhooks
   service as the API does), ``--events`` events (default 20,000) recorded through ``POST /v1/interactions``
   of a real ``herald serve`` started with ``HERALD_EMBEDDED_WORKER=false``, so nothing is delivered yet;
   the server is stopped, then ``herald worker`` process(es) start (on PostgreSQL also 2 of them, in another
   fresh database) and the clock runs until the receiver has every delivery (distinct ``webhook-id``).
   deliveries/s = deliveries / (last - first arrival); the rate including the worker's start is beside it.
   A sample of the requests received (the first 100, then one in 100) is verified with the
   ``standardwebhooks`` package against the endpoint's secret, and the database must show every delivery
   completed with one attempt.
3. **Latency**: a fresh database, ``herald serve`` with its embedded worker (SQLite), or ``herald serve``
   with ``HERALD_EMBEDDED_WORKER=false`` beside one ``herald worker`` (PostgreSQL). A load generator in this
   process posts ``--per-request`` events every ``--per-request / --rate`` seconds (default 50 every 100 ms
   = 500 events/s) for ``--duration`` seconds (default 30), open loop (a slow answer does not delay the next
   request), each event's ``metadata.bench_sent_at`` set to ``time.time()`` just before its request leaves.
   The receiver takes arrival - ``data.metadata.bench_sent_at`` of the native payload: the whole
   event→delivery time (ingest, the outbox, the worker's poll, claim, signing, HTTP). After the load, the
   deliveries still due get ``--drain-seconds`` to arrive; a missing one counts as slower than any.

Targets (PASS/FAIL, per database): ≥ 1,000 deliveries/s (best worker count); p99 event→delivery < 1 s at
500 events/s (with the generator reaching ≥ 95 % of that rate and nothing missing). Every delivery must
arrive, with a valid signature.

``--analyze`` (PostgreSQL) runs ANALYZE after pre-recording, as autovacuum eventually would; without it the
fresh database has no planner statistics. ``--profile`` replaces the three measurements: one ``Worker`` runs
in this process on a pre-recorded database while its claim and record transactions and every statement they
run are timed, to show where a worker's time goes.

Everything runs on 127.0.0.1 only; SQLite files live under ``bench/results/webhooks/`` (git-ignored,
removed at the end), PostgreSQL databases are ``herald_bench_<random>`` and dropped at the end. Needs: the
project's venv; ``wrk`` on the PATH (``apt-get install -y wrk``; without it the wrk ceiling is skipped);
PostgreSQL at 127.0.0.1:5432 (user postgres, trust; override with HERALD_BENCH_POSTGRES_URL) for
``--db postgresql``. The process exits 1 when a target fails. Server, worker and receiver logs are written
to ``bench/results/webhooks-*.log``; the figures to ``bench/results/webhooks-<time>.json``.

    .venv/bin/python bench/webhooks.py                          # SQLite: about 1.5 minutes
    .venv/bin/python bench/webhooks.py --db postgresql          # 1 and 2 workers: about 2 minutes
    .venv/bin/python bench/webhooks.py --db postgresql --analyze --skip-latency
    .venv/bin/python bench/webhooks.py --profile --db both
    .venv/bin/python bench/webhooks.py --db both --events 50000 --duration 60
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

import common
from common import RESULTS_DIR, Verdicts, log
from herald import wiring
from webhooks_harness import FOLDER, Receiver, receiver_process
from webhooks_measurements import measure_ceiling, measure_latency, measure_throughput
from webhooks_profile import profile_worker
from webhooks_results import DbResult, report

# --- driver ----------------------------------------------------------------------------------------------


def run_db(db: str, receiver: Receiver, args: argparse.Namespace) -> DbResult | None:
    if db == "postgresql":
        why = common.postgres_reachable()
        if why is not None:
            log(f"SKIPPING POSTGRESQL: not reachable at {common.postgres_admin_url()}: {why}")
            return None
    result = DbResult(db, [], [], None, common.machine())
    log(f"{db}: machine {result.machine_before}")
    if not args.skip_ceiling:
        result.ceilings = measure_ceiling(receiver, args, db)
    if not args.skip_throughput:
        for workers in args.workers if db == "postgresql" else [1]:
            result.throughput.append(measure_throughput(db, workers, receiver, args))
    if not args.skip_latency:
        result.latency = measure_latency(db, receiver, args)
    result.machine_after = common.machine()
    return result


def main() -> int:
    wiring.wire()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument(
        "--events",
        type=int,
        default=20_000,
        help="events recorded before the throughput run (default 20,000)",
    )
    parser.add_argument(
        "--batch", type=int, default=1_000, help="events per request when pre-recording (default 1,000)"
    )
    parser.add_argument(
        "--contacts", type=int, default=10_000, help="contacts the events are about (default 10,000)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1, 2],
        help="herald worker processes to try on PostgreSQL, one fresh database each (default: 1 2); "
        "SQLite always uses 1",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=64,
        help="HERALD_WEBHOOK_CONCURRENCY, and the ceiling drivers' connections "
        "(default 64, Herald's default)",
    )
    parser.add_argument("--rate", type=int, default=500, help="events/s of the latency run (default 500)")
    parser.add_argument(
        "--per-request", type=int, default=50, help="events per request of the latency run (default 50)"
    )
    parser.add_argument("--duration", type=int, default=30, help="seconds of steady load (default 30)")
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=60.0,
        help="how long deliveries may still arrive after the load stops (default 60)",
    )
    parser.add_argument(
        "--ceiling-seconds", type=int, default=10, help="seconds per receiver-ceiling driver (default 10)"
    )
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="PostgreSQL: ANALYZE the fresh database after pre-recording, before the workers start (default: "
        "no statistics, as after `herald migrate` on a server whose autovacuum has not run yet)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of the measurements: one Worker in this process drains --events pre-recorded "
        "deliveries while its claim / record transactions and every statement are timed",
    )
    parser.add_argument("--skip-ceiling", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    if args.events < 1 or args.contacts < 1 or args.per_request < 1 or args.rate < 1:
        parser.error("--events, --contacts, --per-request and --rate must be positive")
    if args.contacts > args.events:
        args.contacts = args.events

    log(f"machine: {common.machine()}")
    shutil.rmtree(FOLDER, ignore_errors=True)
    results: list[DbResult] = []
    if args.profile:
        try:
            with receiver_process() as receiver:
                for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
                    profile_worker(db, receiver, args)
        finally:
            shutil.rmtree(FOLDER, ignore_errors=True)
        print(f"machine at the end of the run: {common.machine()}")
        return 0
    try:
        with receiver_process() as receiver:
            for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
                found = run_db(db, receiver, args)
                if found is not None:
                    results.append(found)
    finally:
        shutil.rmtree(FOLDER, ignore_errors=True)

    print(f"machine at the end of the run: {common.machine()}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    verdicts = Verdicts()
    for result in results:
        report(result, args, verdicts)
    print(verdicts.render("Targets"))
    out = RESULTS_DIR / f"webhooks-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {
                "machine": common.machine(),
                "args": vars(args),
                "results": [
                    {
                        **asdict(r),
                        "throughput": [{**asdict(t), "per_s": t.per_s} for t in r.throughput],
                        "latency": None
                        if r.latency is None
                        else {**asdict(r.latency), "achieved_per_s": r.latency.achieved_per_s},
                    }
                    for r in results
                ],
                "verdicts": verdicts.lines,
            },
            indent=2,
            default=str,
        )
    )
    log(f"results written to {out}")
    return 1 if verdicts.failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
