"""What one database's run of the webhook benchmark (``bench/webhooks.py``) found, and how it is shown:
the ``DbResult`` data class (also written to the JSON file), the targets, and ``report``, which prints
the ceiling, throughput and latency tables and checks the targets (PASS/FAIL). The printing is long and
independent of how the figures are measured, so it sits apart from the script and the measurements.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

from common import Verdicts, fmt_ms, table
from webhooks_measurements import Ceiling, Latency, Throughput

TARGET_DELIVERIES_PER_S = 1_000
TARGET_P99_S = 1.0


@dataclass
class DbResult:
    db: str
    ceilings: list[Ceiling]
    throughput: list[Throughput]
    latency: Latency | None
    machine_before: dict[str, Any]
    machine_after: dict[str, Any] = field(default_factory=dict)


def report(result: DbResult, args: argparse.Namespace, verdicts: Verdicts) -> None:
    db = result.db
    load = (
        f"load average {result.machine_before['loadavg_1_5_15'][0]} at the start, "
        f"{result.machine_after['loadavg_1_5_15'][0]} at the end"
    )
    print(f"\n## {db} ({load})")
    best_ceiling = max((c.result.requests_per_s for c in result.ceilings), default=None)
    client_ceiling = next(
        (c.result.requests_per_s for c in result.ceilings if c.result.tool == "aiohttp"), None
    )
    if result.ceilings:
        print(
            table(
                ["receiver driven by", "req/s", "p50 ms", "p99 ms", "requests", "errors"],
                [
                    (
                        c.name,
                        f"{c.result.requests_per_s:,.0f}",
                        fmt_ms(c.result.p50_ms),
                        fmt_ms(c.result.p99_ms),
                        f"{c.result.requests:,}",
                        c.result.errors,
                    )
                    for c in result.ceilings
                ],
                title="Receiver ceiling (the floor): the same receiver process, POST of "
                f"{result.ceilings[0].body_bytes} B with signature headers, {args.ceiling_seconds} s each",
            )
        )
    if result.throughput:

        def per_delivery(cpu_s: float | None, deliveries: int) -> str:
            return fmt_ms(cpu_s * 1000 / deliveries) if cpu_s is not None and deliveries else "-"

        def vs(rate: float, ceiling: float | None) -> str:
            return f"{rate / ceiling:.0%}" if ceiling else "-"

        print(
            table(
                [
                    "herald worker processes",
                    "deliveries",
                    "first→last s",
                    "deliveries/s",
                    "vs aiohttp ceiling",
                    "vs best ceiling",
                    "from start s",
                    "deliveries/s from start",
                    "worker CPU ms/delivery",
                    "worker CPU cores",
                    "receiver CPU ms/delivery",
                    "requests received",
                    "signatures verified",
                    "database after",
                ],
                [
                    (
                        f"{t.workers}{' (ANALYZEd)' if t.analyzed else ''}",
                        f"{t.deliveries:,}",
                        f"{t.seconds:.2f}",
                        f"{t.per_s:,.0f}",
                        vs(t.per_s, client_ceiling),
                        vs(t.per_s, best_ceiling),
                        f"{t.seconds_with_start:.2f}",
                        f"{t.per_s_with_start:,.0f}",
                        per_delivery(t.worker_cpu_s, t.deliveries),
                        f"{t.worker_cpu_s / t.seconds:.2f}" if t.worker_cpu_s and t.seconds else "-",
                        per_delivery(t.receiver_cpu_s, t.deliveries),
                        f"{t.received:,}",
                        f"{t.verified}/{t.sampled}",
                        ", ".join(f"{k} {v:,}" for k, v in sorted(t.db_states.items())),
                    )
                    for t in result.throughput
                ],
                title=f"Throughput: {args.events:,} events recorded beforehand (one native endpoint, so "
                f"{args.events:,} deliveries), then the worker(s) started",
            )
        )
        best = max(result.throughput, key=lambda t: t.per_s)
        verdicts.check(
            f"{db}: >= {TARGET_DELIVERIES_PER_S:,} deliveries/s",
            best.per_s >= TARGET_DELIVERIES_PER_S and best.complete,
            "; ".join(
                f"{t.workers} worker(s): {t.per_s:,.0f}/s"
                + (f" ({vs(t.per_s, client_ceiling)} of the aiohttp ceiling)" if client_ceiling else "")
                + ("" if t.complete else " INCOMPLETE")
                for t in result.throughput
            ),
        )
        verdicts.check(
            f"{db}: every delivery arrived once, signed, recorded",
            all(t.complete and t.verified == t.sampled for t in result.throughput),
            "; ".join(
                f"{t.workers}w: {t.deliveries:,}/{args.events:,} arrived, "
                f"{t.received - t.deliveries} repeats, {t.verified}/{t.sampled} signatures"
                for t in result.throughput
            ),
        )
    lat = result.latency
    if lat is not None:
        print(
            table(
                [
                    "setup",
                    "events",
                    "achieved events/s",
                    "ingest p50 ms",
                    "ingest p99 ms",
                    "delivered",
                    "p50 ms",
                    "p95 ms",
                    "p99 ms",
                    "max ms",
                    "missing",
                    "signatures verified",
                ],
                [
                    (
                        lat.setup,
                        f"{lat.events_recorded:,}",
                        f"{lat.achieved_per_s:,.0f}",
                        fmt_ms(lat.request_p50_ms),
                        fmt_ms(lat.request_p99_ms),
                        f"{lat.delivered:,}",
                        fmt_ms(lat.p50_ms),
                        fmt_ms(lat.p95_ms),
                        fmt_ms(lat.p99_ms),
                        fmt_ms(lat.max_ms),
                        lat.missing,
                        f"{lat.verified}/{lat.sampled}",
                    )
                ],
                title=f"Latency event→delivery (load generator's time.time() → receiver's arrival): "
                f"{args.per_request} events every {args.per_request / args.rate * 1000:.0f} ms for "
                f"{args.duration} s ({lat.late_requests} requests left > 50 ms late)",
            )
        )
        steady = lat.achieved_per_s >= 0.95 * args.rate
        p99 = lat.p99_ms if lat.p99_ms is not None else float("inf")
        verdicts.check(
            f"{db}: p99 event→delivery < {TARGET_P99_S:g} s at {args.rate} events/s",
            p99 < TARGET_P99_S * 1000 and steady and lat.missing == 0,
            f"p99 {fmt_ms(p99)} ms (p50 {fmt_ms(lat.p50_ms)}, max {fmt_ms(lat.max_ms)}) at "
            f"{lat.achieved_per_s:,.0f} events/s achieved"
            + ("" if steady else " (BELOW 95 % OF THE RATE)")
            + (f"; {lat.missing} missing" if lat.missing else ""),
        )
