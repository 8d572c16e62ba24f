"""What the report benchmark (``bench/report.py``) measures for one database and how it is judged and
shown: the pages measured (``KINDS`` x ``ORDERS``), the ``PageResult`` and ``DbResult`` data classes (also
written to the JSON file), ``judge`` (the targets, PASS/FAIL) and ``print_result`` (the page, comparison
and load tables and the statements of one request). Kept apart from the measuring code so that neither
module grows past the project's module size, and so the printing can be read on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from common import Timing, Verdicts, fmt_ms, table

KINDS = ("sends", "opens")
ORDERS = ("asc", "desc")


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
