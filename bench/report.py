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
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import orjson
from sqlalchemy import event

import common
from common import RESULTS_DIR, Timing, Verdicts, fmt_ms, log, table
from herald.accounts import service as accounts_service
from herald.api.senderguide import render
from herald.api.senderguide.parse import ReportRequest
from herald.api.senderguide.report import PAGE_SIZE
from herald.db import dialect
from herald.db.engine import Database, connect
from herald.interactions import report as interactions_report
from herald.interactions.schemas import ReportSlice
from herald.interactions.types import InteractionType
from herald.settings import Settings
from loader import GENERATOR_VERSION, T0, Loaded, Shape, load_postgres, load_sqlite

KINDS = ("sends", "opens")
ORDERS = ("asc", "desc")
FROM_DATE = datetime.fromtimestamp(T0, UTC).date()
TO_DATE = FROM_DATE + timedelta(days=31)


@dataclass
class PageResult:
    kind: str
    order: str
    label: str
    page: int
    service: Timing
    service_cpu: Timing
    render_ms: float
    http: Timing | None
    floor: Timing
    floor_join: Timing
    same_rows: bool
    same_bytes: bool | None = None


@dataclass
class DbResult:
    db: str
    shape: dict[str, Any]
    load_timings_s: dict[str, float]
    reused: bool
    pages: list[PageResult] = field(default_factory=list)
    auth: Timing | None = None
    count_ms: dict[str, float] = field(default_factory=dict)
    offset_ms: dict[str, float] = field(default_factory=dict)
    statements: list[str] = field(default_factory=list)
    plans: dict[str, str] = field(default_factory=dict)
    load: dict[str, Any] = field(default_factory=dict)
    verdicts: list[tuple[str, bool, str]] = field(default_factory=list)


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


def judge(result: DbResult) -> Verdicts:
    verdicts = Verdicts()
    for kind in KINDS:
        for order in ORDERS:
            group = [p for p in result.pages if p.kind == kind and p.order == order]
            first = next(p for p in group if p.label == "first")
            worst = max(group, key=lambda p: p.service.median_ms)
            ratio = worst.service.median_ms / first.service.median_ms
            # At a millisecond or two the ratio is noisy: show the absolute difference beside it.
            difference = worst.service.median_ms - first.service.median_ms
            verdicts.check(
                f"{kind} {order}: every page <= 2x page 1 (service median)",
                ratio <= 2.0,
                f"worst page {worst.page:,}: {fmt_ms(worst.service.median_ms)} ms = {ratio:.2f}x page 1 "
                f"({fmt_ms(first.service.median_ms)} ms; {difference:+.3f} ms)",
            )
    worst99 = max(result.pages, key=lambda p: p.service.p99_ms)
    verdicts.check(
        "every page <= 10 ms server time (service p99)",
        worst99.service.p99_ms <= 10.0,
        f"worst p99 {fmt_ms(worst99.service.p99_ms)} ms "
        f"({worst99.kind} {worst99.order} page {worst99.page:,})",
    )
    worst_http = max(result.pages, key=lambda p: p.http.median_ms if p.http else 0.0)
    if worst_http.http is not None:
        verdicts.check(
            "every page <= 10 ms over HTTP (median, incl. auth + client)",
            worst_http.http.median_ms <= 10.0,
            f"worst median {fmt_ms(worst_http.http.median_ms)} ms ({worst_http.kind} {worst_http.order} "
            f"page {worst_http.page:,})",
        )
    herald_rps, bare_rps = result.load["herald"]["requests_per_s"], result.load["bare"]["requests_per_s"]
    nocache_rps = result.load["herald_nocache"]["requests_per_s"]
    errors = sum(result.load[k]["errors"] for k in ("herald", "herald_nocache", "bare"))
    verdicts.check(
        "report req/s >= 50% of the bare endpoint (default settings, 1 s page cache)",
        herald_rps >= 0.5 * bare_rps and errors == 0,
        f"{herald_rps:,.0f} / {bare_rps:,.0f} req/s = {herald_rps / bare_rps:.0%}; cache off "
        f"{nocache_rps:,.0f} req/s = {nocache_rps / bare_rps:.0%} of bare, "
        f"{nocache_rps / result.load['bare_sql']['requests_per_s']:.0%} of bare + floor query"
        + (f"; {errors} errors" if errors else ""),
    )
    # Structural: which statements of one request read the ledger, and do they aggregate or scan it?
    ledger_reads = [s for s in result.statements if re.search(r"\bFROM interactions\b", s, re.I)]
    counting = [s for s in ledger_reads if re.search(r"\b(count|sum)\(", s, re.I) or "LIMIT" not in s.upper()]
    biggest = max(result.count_ms, key=lambda k: result.count_ms[k])
    verdicts.check(
        "totals never cost a full count per request",
        not counting,
        f"{len(result.statements)} statements per request; {len(ledger_reads)} reads the ledger "
        f"(LIMITed, {len(counting)} aggregating); COUNT(*) of {biggest} would add "
        f"{fmt_ms(result.count_ms[biggest])} ms",
    )
    correct = all(p.same_rows and p.same_bytes is not False for p in result.pages)
    verdicts.check(
        "pages equal the floor's rows and the HTTP bytes (correctness)",
        correct,
        "all pages" if correct else "MISMATCH",
    )
    result.verdicts = verdicts.lines
    return verdicts


def print_result(result: DbResult) -> None:
    shape = result.shape
    print(
        f"\n## {result.db}: {shape['rows']:,} interactions of one message "
        f"({shape['sends']:,} sends to {shape['sends']:,} contacts, "
        f"{shape['opens']:,} opens, {shape['clicks']:,} clicks)" + (" [reused]" if result.reused else "")
    )
    print("load: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.load_timings_s.items()))
    rows = []
    for p in result.pages:
        first = next(
            q for q in result.pages if q.kind == p.kind and q.order == p.order and q.label == "first"
        )
        rows.append(
            (
                f"{p.kind} {p.order} {p.label}",
                f"{p.page:,}",
                fmt_ms(p.service.median_ms),
                fmt_ms(p.service.p99_ms),
                fmt_ms(p.service_cpu.median_ms),
                f"{p.service.median_ms / first.service.median_ms:.2f}x",
                f"{p.service.median_ms - first.service.median_ms:+.3f}",
                fmt_ms(p.render_ms),
                fmt_ms(p.http.median_ms if p.http else None),
                fmt_ms(p.http.p99_ms if p.http else None),
                fmt_ms(p.floor.median_ms),
                fmt_ms(p.floor_join.median_ms),
                f"{p.service.median_ms / p.floor_join.median_ms:.1f}x",
            )
        )
    n = result.pages[0].service.n
    print(
        table(
            [
                "page",
                "number",
                "service med",
                "service p99",
                "service CPU",
                "vs p1",
                "- p1",
                "render",
                "HTTP med",
                "HTTP p99",
                "floor rows",
                "floor +send",
                "service/floor",
            ],
            rows,
            title=f"Times in ms; medians and p99 of {n} sequential calls each (service CPU: median thread "
            "CPU time of the same calls; on PostgreSQL it leaves out the server's work; '- p1': service "
            "median minus page 1's; HTTP: page cache off).",
        )
    )
    assert result.auth is not None
    extra = [
        ("API-key lookup per request (read txn + SHA-256 + join)", fmt_ms(result.auth.median_ms)),
        *[(f"COUNT(*) of {k} (what totals would cost)", fmt_ms(v)) for k, v in result.count_ms.items()],
        *[(f"naive OFFSET, sends asc {k} page", fmt_ms(v)) for k, v in result.offset_ms.items()],
    ]
    print(table(["comparison", "ms"], extra, title="Comparisons"))
    herald_load, bare_load = result.load["herald"], result.load["bare"]
    print(
        table(
            ["endpoint", "tool", "req/s", "p50 ms", "p99 ms", "requests", "errors"],
            [
                (
                    name,
                    r["tool"],
                    f"{r['requests_per_s']:,.0f}",
                    fmt_ms(r["p50_ms"]),
                    fmt_ms(r["p99_ms"]),
                    f"{r['requests']:,}",
                    r["errors"],
                )
                for name, r in (
                    ("herald report, default (1 s page cache)", herald_load),
                    ("herald report, cache off", result.load["herald_nocache"]),
                    ("bare endpoint, same bytes", bare_load),
                    ("bare endpoint + the floor query (keyset + send_date)", result.load["bare_sql"]),
                )
            ],
            title=f"Load: sends asc page {result.load['page']:,} ({result.load['bytes']:,} B body)",
        )
    )
    print(f"\nStatements per report request (service only, auth excluded): {len(result.statements)}")
    for statement in result.statements:
        print("  " + " ".join(statement.split())[:240])


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
