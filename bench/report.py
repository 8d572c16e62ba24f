"""Benchmark of the SenderGuide interaction-data report at scale, beside floors measured in the same run.

For each database (SQLite and PostgreSQL) it loads one sent message with ``--rows`` interactions (default
10M: 5M sends to 5M contacts, 3.5M opens, 1.5M clicks; see ``loader.py``), builds the counters with
``interactions_service.rebuild_counters``, and then, for ``sends`` and ``opens``, page 1, the middle page and
the last page, ascending and descending, measures:

* service: ``interactions.report.report_slice`` of one page in a read transaction, in this process (pure
  server time);
* HTTP: the same page from a real ``herald serve`` subprocess started with ``HERALD_REPORT_CACHE_SECONDS=0``
  (page cache off, so every request does the whole work), sequential POSTs on one kept-alive loopback
  connection (adds auth, parsing, rendering, uvicorn and the client);
* floor: the raw SQL fetching exactly the same 100 rows through the driver, given the first row's key
  (a keyset seek on ``ix_interactions_report``), and the same joined with ``first_sends`` for send_date;
* ``COUNT(*)`` of the type, and a naive ``OFFSET`` page, for comparison;
* requests/s of the report endpoint under load (wrk, or aiohttp when wrk is missing), twice: with the
  default settings (a page asked again within 1 s is answered from memory, so a load test of one page
  measures mostly the cache) and with the cache off; beside a bare Starlette endpoint answering the same
  bytes under the same uvicorn settings (``bare_app.py``), with and without running the floor query;
* the statements of one report request, captured from SQLAlchemy and from ``herald.db.dialect.fetch_all``
  (the report's driver-level reads), with their plans under ``--explain``.

Targets (PASS/FAIL): every page <= 2x page 1 (the absolute difference is printed too) and <= 10 ms server
time; report req/s >= 50 % of the bare endpoint (default settings; the cache-off figure is printed beside);
totals never cost a full count per request.

Needs: the project's venv; PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth; override with
HERALD_BENCH_POSTGRES_URL) for the PostgreSQL half; ``wrk`` on the PATH for the load test (else aiohttp).
The PostgreSQL database is ``herald_bench_<random>`` and is dropped at the end unless ``--keep`` is given.

    .venv/bin/python bench/report.py                       # 10M rows, both databases (loading takes minutes)
    .venv/bin/python bench/report.py --rows 1000000 --db sqlite
    .venv/bin/python bench/report.py --reuse --keep        # reuse a loaded SQLite file / kept PG database
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import orjson

import common
from common import RESULTS_DIR, Timing, fmt_ms, log
from herald.accounts import service as accounts_service
from herald.api.senderguide import render
from herald.api.senderguide.parse import ReportRequest
from herald.api.senderguide.report import PAGE_SIZE
from herald.db import migrate as db_migrate
from herald.db.engine import Database, connect
from herald.interactions import report as interactions_report
from herald.interactions.records import ReportSlice
from herald.interactions.types import InteractionType
from herald.settings import Settings
from loader import GENERATOR_VERSION, T0, Loaded, Shape, load_postgres, load_sqlite
from report_results import KINDS, ORDERS, DbResult, PageResult, judge, print_result
from report_sql import Floor, captured_sql, explain

FROM_DATE = datetime.fromtimestamp(T0, UTC).date()
TO_DATE = FROM_DATE + timedelta(days=31)


def timed(fn: Callable[[], Any], repeat: int, warmup: int = 5) -> tuple[Timing, Any]:
    timing, _, result = timed_cpu(fn, repeat, warmup)
    return timing, result


def timed_cpu(fn: Callable[[], Any], repeat: int, warmup: int = 5) -> tuple[Timing, Timing, Any]:
    """Wall time and this thread's CPU time of ``repeat`` calls (CPU time is what the call costs when the
    machine is busy with other work; on SQLite it includes the database engine, which runs in-process)."""
    for _ in range(warmup):
        fn()
    samples = []
    cpu = []
    result = None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.thread_time()
        result = fn()
        samples.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    return Timing.of(samples), Timing.of(cpu), result


def report_body(kind: str, order: str, page: int) -> bytes:
    return orjson.dumps(
        {
            "interactionType": kind,
            "fromDate": FROM_DATE.isoformat(),
            "toDate": TO_DATE.isoformat(),
            "order": order,
            "pageNumber": page,
        }
    )


# --- one database ------------------------------------------------------------------------------------


def measure(db: str, url: str, loaded: Loaded, args: argparse.Namespace, result: DbResult) -> None:
    database = connect(Settings(database_url=url, database_pool_size=4))
    with database.write() as session:
        issued = accounts_service.issue_key(session, account_id=loaded.account_id)
    headers = {"Authorization": f"Bearer {issued.key}", "Content-Type": "application/json"}
    message_id = loaded.message_id
    lo, hi = interactions_report.day_bounds(FROM_DATE, TO_DATE, "UTC")
    floor = Floor(database)

    def service_call(query: ReportRequest) -> ReportSlice:
        with database.read() as session:
            return interactions_report.report_slice(
                session,
                account_id=loaded.account_id,
                timezone="UTC",
                message_id=message_id,
                query=query.slice(PAGE_SIZE),
            )

    auth_timing, principal = timed(lambda: accounts_service_principal(database, issued.key), args.requests)
    assert principal is not None
    assert principal.account_id == loaded.account_id
    result.auth = auth_timing

    plan: list[tuple[str, str, str, int]] = []
    rendered: dict[tuple[str, str, int], bytes] = {}
    bare_query: dict[str, Any] = {}
    for kind in KINDS:
        total = loaded.shape.count(kind)
        pages = -(-total // 100)
        for order in ORDERS:
            for label, number in (("first", 1), ("middle", (pages + 1) // 2), ("last", pages)):
                plan.append((kind, order, label, number))

    for kind, order, label, number in plan:
        query = ReportRequest(
            interaction_type=InteractionType(kind),
            from_date=FROM_DATE,
            to_date=TO_DATE,
            page=number,
            descending=order == "desc",
        )
        service_timing, service_cpu, page = timed_cpu(partial(service_call, query), args.requests)
        if page.total_rows != loaded.shape.count(kind):
            raise SystemExit(
                f"{db}: total_rows {page.total_rows} != {loaded.shape.count(kind)} loaded {kind}"
            )
        expected = 100 if number * 100 <= page.total_rows else page.total_rows - (number - 1) * 100
        if len(page.rows) != expected:
            raise SystemExit(f"{db}: page {number} of {kind} has {len(page.rows)} rows, expected {expected}")
        render_timing, body = timed(
            partial(render.report_page, page, message_id=message_id, page=number, page_size=PAGE_SIZE),
            args.requests,
        )
        rendered[(kind, order, number)] = body
        first = (page.rows[0].occurred_s, page.rows[0].id)
        descending = order == "desc"
        if (kind, order, label) == ("sends", "asc", "middle"):
            bare_query = {
                "url": url,
                "sql": floor.sql(descending=False, join=True),
                "params": [message_id, kind, *first, lo, hi],
            }
        same_page = partial(
            floor.page, message_id=message_id, kind=kind, first=first, bounds=(lo, hi), descending=descending
        )
        floor_timing, floor_rows = timed(partial(same_page, join=False), args.requests)
        join_timing, join_rows = timed(partial(same_page, join=True), args.requests)
        same = [r.id for r in page.rows] == [int(r[0]) for r in floor_rows] == [int(r[0]) for r in join_rows]
        same = same and [r.send_s for r in page.rows] == [
            None if r[4] is None else int(r[4]) for r in join_rows
        ]
        result.pages.append(
            PageResult(
                kind,
                order,
                label,
                number,
                service_timing,
                service_cpu,
                render_timing.median_ms,
                None,
                floor_timing,
                join_timing,
                same,
            )
        )
        log(
            f"{db}: {kind} {order} page {number:,}: service {fmt_ms(service_timing.median_ms)} ms "
            f"(p99 {fmt_ms(service_timing.p99_ms)}), floor {fmt_ms(floor_timing.median_ms)} ms"
        )

    # Which statements one request runs, and their plans (the middle page is the hard one).
    middle = next(p for p in result.pages if p.kind == "sends" and p.order == "asc" and p.label == "middle")
    query = ReportRequest(InteractionType.SENDS, FROM_DATE, TO_DATE, middle.page, False)
    with captured_sql(database) as statements:
        service_call(query)
    result.statements = [s for s, _, _ in statements]
    for index, (statement, parameters, named) in enumerate(statements):
        if statement.lstrip().upper().startswith("SELECT"):
            result.plans[f"{index}: {' '.join(statement.split())[:90]}"] = explain(
                database, statement, parameters, named=named
            )

    # What the counters save: a full count, and a naive OFFSET page.
    for kind in KINDS:
        ms, value = floor.scalar_ms(
            "SELECT count(*) FROM interactions WHERE message_id = ? AND type = ?",
            (message_id, kind),
            args.count_repeat,
        )
        assert int(value[0][0]) == loaded.shape.count(kind)
        result.count_ms[kind] = ms
        log(f"{db}: COUNT(*) of {kind}: {fmt_ms(ms)} ms")
    if not args.skip_offset:
        for p in result.pages:
            if p.kind == "sends" and p.order == "asc" and p.label in ("middle", "last"):
                ms, _ = floor.scalar_ms(
                    "SELECT id, contact_id, contact_email, occurred_s FROM interactions "
                    "WHERE message_id = ? AND type = ? AND occurred_s >= ? AND occurred_s < ? "
                    "ORDER BY occurred_s, id LIMIT 100 OFFSET ?",
                    (message_id, "sends", lo, hi, (p.page - 1) * 100),
                    1,
                )
                result.offset_ms[p.label] = ms
                log(f"{db}: naive OFFSET, sends page {p.page:,}: {fmt_ms(ms)} ms")
    floor.close()
    database.dispose()

    # HTTP: a real server, sequential requests on one kept-alive connection, with the page cache off so
    # that every request does the server's whole work.
    path = f"/api/3.0/messages/interaction-data/{message_id}"
    load_body = report_body("sends", "asc", middle.page)

    def load_test(port: int) -> common.LoadResult:
        return common.load(
            f"http://{common.HOST}:{port}{path}",
            load_body,
            headers,
            duration_s=args.duration,
            connections=args.connections,
            threads=args.threads,
            tool=args.load_tool,
        )

    cache_off = {"HERALD_REPORT_CACHE_SECONDS": "0"}
    with common.herald_server(
        url, workers=args.workers, log_name=f"report-{db}-server", env=cache_off
    ) as port:
        client = common.KeepAliveClient(port)
        try:
            for p in result.pages:
                body = report_body(p.kind, p.order, p.page)
                for _ in range(5):
                    client.post(path, body, headers)
                samples = []
                data = b""
                for _ in range(args.requests):
                    status, data, seconds = client.post(path, body, headers)
                    if status != 200:
                        raise SystemExit(f"{db}: HTTP {status} for {p.kind} page {p.page}: {data[:200]!r}")
                    samples.append(seconds)
                p.http = Timing.of(samples)
                p.same_bytes = data == rendered[(p.kind, p.order, p.page)]
        finally:
            client.close()
        log(f"{db}: load test of the report endpoint, cache off ({args.duration} s)")
        herald_nocache_load = load_test(port)
    # The default configuration: a page asked again within a second is answered from memory.
    with common.herald_server(url, workers=args.workers, log_name=f"report-{db}-server-default") as port:
        log(f"{db}: load test of the report endpoint, default settings (1 s page cache)")
        herald_load = load_test(port)
    bare_bytes = rendered[("sends", "asc", middle.page)]
    with common.bare_server(bare_bytes, workers=args.workers) as port:
        log(f"{db}: load test of the bare endpoint")
        bare_load = load_test(port)
    with common.bare_server(bare_bytes, workers=args.workers, query=bare_query) as port:
        log(f"{db}: load test of the bare endpoint running the floor query")
        bare_sql_load = load_test(port)
    result.load = {
        "page": middle.page,
        "bytes": len(bare_bytes),
        "herald": asdict(herald_load),
        "herald_nocache": asdict(herald_nocache_load),
        "bare": asdict(bare_load),
        "bare_sql": asdict(bare_sql_load),
    }


def accounts_service_principal(database: Database, key: str) -> Any:
    """What every request does before its work: the API-key lookup in its own read transaction."""
    with database.read() as session:
        return accounts_service.authenticate(session, key=key)


def run_db(db: str, args: argparse.Namespace) -> DbResult | None:
    shape = Shape.of(args.rows, args.seed)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    meta_path = RESULTS_DIR / f"report-{db}-{args.rows}.meta.json"
    meta = Loaded.from_json(json.loads(meta_path.read_text())) if meta_path.exists() else None
    reusable = meta is not None and meta.shape == shape and meta.generator_version == GENERATOR_VERSION
    drop: str | None = None
    if db == "sqlite":
        path = RESULTS_DIR / f"report-sqlite-{args.rows}.db"
        url = f"sqlite:///{path}"
        if args.reuse and reusable and path.exists():
            assert meta is not None
            loaded, reused = meta, True
            log(f"sqlite: reusing {path}")
        else:
            log(f"sqlite: loading {shape.rows:,} rows into {path}")
            loaded, reused = load_sqlite(path, shape), False
            meta_path.write_text(json.dumps(loaded.to_json(), indent=2))
    else:
        why = common.postgres_reachable()
        if why is not None:
            log(f"SKIPPING POSTGRESQL: not reachable at {common.postgres_admin_url()}: {why}")
            return None
        kept = f"herald_bench_report_{args.rows}"
        if args.reuse and reusable and common.postgres_exists(kept):
            assert meta is not None
            name, loaded, reused = kept, meta, True
            log(f"postgresql: reusing database {name}")
        else:
            if args.keep:
                common.drop_postgres_database(kept)
            name = common.create_postgres_database(kept if args.keep else None)
            if not args.keep:
                drop = name
            log(f"postgresql: loading {shape.rows:,} rows into database {name}")
            try:
                loaded, reused = (
                    load_postgres(name, common.postgres_url_for(name), common.libpq_url_for(name), shape),
                    False,
                )
            except BaseException:
                common.drop_postgres_database(name)
                raise
            if args.keep:
                meta_path.write_text(json.dumps(loaded.to_json(), indent=2))
        url = common.postgres_url_for(name)
    result = DbResult(db=db, shape=asdict(shape), load_timings_s=loaded.timings_s, reused=reused)
    if reused:  # a data set loaded by an older release: bring its schema up to date first
        database = connect(Settings(database_url=url))
        applied = db_migrate.upgrade(database.writer)
        database.dispose()
        if applied:
            log(f"{db}: migrated the reused data set ({', '.join(applied)})")
    try:
        if args.load_only:
            log(f"{db}: loaded; --load-only, so no measurements")
            return None
        measure(db, url, loaded, args, result)
    finally:
        if drop is not None:
            log(f"postgresql: dropping {drop}")
            common.drop_postgres_database(drop)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000, help="interactions to load (default 10M)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse bench/results/report-sqlite-ROWS.db and a kept PG database",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the PostgreSQL database (herald_bench_report_ROWS) for --reuse",
    )
    parser.add_argument(
        "--requests", type=int, default=200, help="sequential calls per page and method (default 200)"
    )
    parser.add_argument("--count-repeat", type=int, default=3, help="timed COUNT(*) runs (default 3)")
    parser.add_argument("--skip-offset", action="store_true", help="skip the naive OFFSET comparison")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each load test (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="load-test connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes, Herald and bare alike (default 1)"
    )
    parser.add_argument("--load-tool", choices=("auto", "wrk", "aiohttp"), default="auto")
    parser.add_argument("--seed", type=int, default=20240506)
    parser.add_argument("--load-only", action="store_true", help="load (for a later --reuse) and stop")
    parser.add_argument("--explain", action="store_true", help="print the plans of the report's statements")
    args = parser.parse_args()
    if args.rows < 1000:
        parser.error("--rows must be at least 1000")

    log(f"machine: {common.machine()}")
    results: list[DbResult] = []
    for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        found = run_db(db, args)
        if found is not None:
            results.append(found)

    print(f"machine at the end of the run: {common.machine()}")
    failed = False
    for result in results:
        print_result(result)
        if args.explain:
            for name, plan in result.plans.items():
                print(f"\n-- plan of statement {name}\n{plan}")
        verdicts = judge(result)
        print(verdicts.render(f"Targets, {result.db}, {result.shape['rows']:,} rows"))
        failed = failed or verdicts.failed
    out = RESULTS_DIR / f"report-{args.rows}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {"machine": common.machine(), "args": vars(args), "results": [asdict(r) for r in results]},
            indent=2,
            default=str,
        )
    )
    log(f"results written to {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
