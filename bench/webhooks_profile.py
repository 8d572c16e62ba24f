"""``bench/webhooks.py --profile``: instead of the measurements, one ``Worker`` runs in the benchmark's own
process on a pre-recorded database while its claim and record transactions and every statement they run
are timed, and the shares of wall time are printed as tables. It is a separate mode with its own
instrumentation (monkeypatched ``herald.webhooks.delivery`` functions, SQLAlchemy cursor events), so it
lives in its own module rather than in the script.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from common import fmt_ms, log, table
from herald import wiring
from herald.db.engine import connect
from herald.settings import Settings
from webhooks_harness import Receiver, fresh_instance
from webhooks_measurements import prerecord

# --- --profile: where one worker's time goes ---------------------------------------------------------------


def profile_worker(db: str, receiver: Receiver, args: argparse.Namespace) -> None:
    """One ``Worker`` in this process (as ``herald worker`` runs it) drains ``--events`` pre-recorded
    deliveries while the claim and record transactions (the worker's database thread) and every statement
    they run are timed. Prints the rate, the share of wall time per transaction kind, and the statements."""
    from sqlalchemy import event

    from herald.jobs.worker import Worker
    from herald.webhooks import delivery

    label = f"{db}-profile"
    calls: dict[str, list[tuple[float, int]]] = {"claim_deliveries": [], "record_outcomes": []}
    statements: dict[str, list[float]] = {}
    originals = (delivery.claim_deliveries, delivery.record_outcomes)

    def timed_claim(*positional: Any, **named: Any) -> Any:
        began = time.perf_counter()
        out = originals[0](*positional, **named)
        calls["claim_deliveries"].append((time.perf_counter() - began, len(out)))
        return out

    def timed_record(*positional: Any, **named: Any) -> Any:
        began = time.perf_counter()
        out = originals[1](*positional, **named)
        calls["record_outcomes"].append((time.perf_counter() - began, len(named["outcomes"])))
        return out

    def before(conn: Any, _cursor: Any, _statement: str, _params: Any, _context: Any, _many: bool) -> None:
        conn.info["bench_began"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, many: bool) -> None:
        key = " ".join(statement.split())[:100] + (" [executemany]" if many else "")
        statements.setdefault(key, []).append(time.perf_counter() - conn.info["bench_began"])

    with fresh_instance(db, label, receiver, args) as instance:
        prerecord(instance, label, args)
        settings = Settings(
            database_url=instance.url,
            secret_key=instance.env["HERALD_SECRET_KEY"],
            webhook_allow_private=True,
            webhook_concurrency=args.concurrency,
        )
        database = connect(settings)
        event.listen(database.writer, "before_cursor_execute", before)
        event.listen(database.writer, "after_cursor_execute", after)
        delivery.claim_deliveries, delivery.record_outcomes = timed_claim, timed_record  # type: ignore[assignment]
        receiver.reset()

        async def drain() -> float:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()

            async def watch() -> None:
                while (await loop.run_in_executor(None, receiver.stats))["distinct"] < args.events:
                    await asyncio.sleep(0.05)
                stop.set()

            began = time.perf_counter()
            await asyncio.gather(Worker(settings, database, lanes=wiring.lanes(settings)).run(stop), watch())
            return time.perf_counter() - began

        try:
            log(f"{label}: one in-process Worker draining {args.events:,} deliveries")
            wall = asyncio.run(drain())
        finally:
            delivery.claim_deliveries, delivery.record_outcomes = originals  # type: ignore[assignment]
            database.dispose()
        stats = receiver.stats()
    rate = stats["distinct"] / (stats["last"] - stats["first"])
    print(f"\n## {db}: --profile, one in-process Worker, {stats['distinct']:,} deliveries in {wall:.2f} s")
    print(f"first→last delivery: {rate:,.0f} deliveries/s" + (" (tables ANALYZEd)" if args.analyze else ""))
    print(
        table(
            ["transaction (database thread)", "calls", "rows", "mean rows", "ms/call", "ms/row", "% of wall"],
            [
                (
                    name,
                    f"{len(rows):,}",
                    f"{sum(n for _, n in rows):,}",
                    f"{sum(n for _, n in rows) / len(rows):.1f}",
                    fmt_ms(1000 * sum(t for t, _ in rows) / len(rows)),
                    f"{1000 * sum(t for t, _ in rows) / max(sum(n for _, n in rows), 1):.3f}",
                    f"{sum(t for t, _ in rows) / wall:.0%}",
                )
                for name, rows in calls.items()
                if rows
            ],
            title="Claim and record transactions (wall time on the worker's database thread)",
        )
    )
    print(
        table(
            ["statement", "calls", "ms/call", "total s", "% of wall"],
            [
                (
                    key,
                    f"{len(times):,}",
                    fmt_ms(1000 * sum(times) / len(times)),
                    f"{sum(times):.2f}",
                    f"{sum(times) / wall:.0%}",
                )
                for key, times in sorted(statements.items(), key=lambda kv: -sum(kv[1]))
            ],
            title="Statements (driver execute to result, per statement kind)",
        )
    )
