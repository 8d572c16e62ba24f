"""The three measurements of the webhook benchmark (``bench/webhooks.py``), one database at a time: the
receiver's ceiling (the floor, driven by wrk and by an aiohttp client), throughput (``--events`` events
pre-recorded through a server without a worker, then ``herald worker`` processes drain them), and
event→delivery latency at a steady open-loop event rate. Each returns a small data class of figures that
``webhooks_results.py`` prints and judges; ``prerecord`` is shared with ``--profile``
(``webhooks_profile.py``). Split from the script to keep every bench module under the project's size.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass

import aiohttp
import orjson
import psycopg

import common
from common import HOST, fmt_ms, log
from herald.webhooks.secrets import new_signing_secret
from webhooks_harness import (
    Instance,
    Receiver,
    cpu_seconds,
    delivery_counts,
    fresh_instance,
    make_events,
    populate,
    quantile,
    sample_request,
    start_worker,
    verify_samples,
)

# --- 1. the receiver's ceiling ---------------------------------------------------------------------------


@dataclass
class Ceiling:
    name: str
    result: common.LoadResult
    body_bytes: int


def measure_ceiling(receiver: Receiver, args: argparse.Namespace, db: str) -> list[Ceiling]:
    body, headers = sample_request(new_signing_secret())
    found = []
    drivers = [("wrk", f"wrk, 2 threads, {args.concurrency} connections")] if common.have_wrk() else []
    if not drivers:
        log("NOTE: wrk is not on the PATH (apt-get install -y wrk); only the aiohttp ceiling is measured")
    drivers.append(("aiohttp", f"aiohttp client, {args.concurrency} in flight (the worker's client)"))
    for tool, name in drivers:
        receiver.reset()
        log(f"{db}: receiver ceiling, {name}, {args.ceiling_seconds} s, {len(body)} B body")
        result = common.load(
            receiver.url,
            body,
            headers,
            duration_s=args.ceiling_seconds,
            connections=args.concurrency,
            threads=2,
            tool=tool,
        )
        stats = receiver.stats()
        log(f"{db}: {name}: {result.requests_per_s:,.0f} req/s (receiver counted {stats['requests']:,})")
        found.append(Ceiling(name, result, len(body)))
    receiver.reset()
    return found


# --- 2. throughput ---------------------------------------------------------------------------------------


@dataclass
class Throughput:
    workers: int
    deliveries: int
    received: int
    seconds: float  # first → last arrival
    seconds_with_start: float  # worker processes started → last arrival
    prerecord_s: float
    worker_cpu_s: float | None  # the worker processes, first → last arrival
    receiver_cpu_s: float | None  # the receiver process, same window
    verified: int
    sampled: int
    db_states: dict[str, int]
    analyzed: bool = False  # PostgreSQL: ANALYZE ran after pre-recording

    @property
    def per_s(self) -> float:
        return self.deliveries / self.seconds if self.seconds > 0 else 0.0

    @property
    def per_s_with_start(self) -> float:
        return self.deliveries / self.seconds_with_start

    @property
    def complete(self) -> bool:
        return (
            self.received >= self.deliveries
            and self.db_states.get("completed", 0) == self.deliveries
            and self.db_states.get("attempts", 0) == self.deliveries
        )


async def _post_batches(port: int, key: str, bodies: list[bytes], clients: int) -> int:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    url = f"http://{HOST}:{port}/v1/interactions"
    queue = list(reversed(bodies))
    recorded = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:

        async def client() -> None:
            nonlocal recorded
            while queue:
                body = queue.pop()
                async with session.post(url, data=body, headers=headers) as response:
                    answer = await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"HTTP {response.status}: {answer[:300]!r}")
                recorded += int(orjson.loads(answer)["recorded"])

        await asyncio.gather(*(client() for _ in range(clients)))
    return recorded


def _cpu_spent(before: list[float | None], after: list[float | None]) -> float | None:
    if not before or None in before or None in after:
        return None
    return sum(b - a for a, b in zip(before, after, strict=True) if a is not None and b is not None)


def prerecord(instance: Instance, label: str, args: argparse.Namespace) -> float:
    """``--events`` events through ``POST /v1/interactions`` of a server without a worker, so that every
    delivery is queued and none is sent; ANALYZE after it with ``--analyze``. Returns the seconds taken."""
    quiet = {**instance.env, "HERALD_EMBEDDED_WORKER": "false"}
    with common.herald_server(instance.url, log_name=f"webhooks-{label}-server", env=quiet) as port:
        populate(instance, port, args.contacts)
        bodies = [
            orjson.dumps(
                {
                    "interactions": make_events(
                        instance, start, min(args.batch, args.events - start), stamp=False
                    )
                }
            )
            for start in range(0, args.events, args.batch)
        ]
        log(f"{label}: recording {args.events:,} events in {len(bodies)} requests (no worker running)")
        began = time.perf_counter()
        recorded = asyncio.run(_post_batches(port, instance.key, bodies, clients=2))
        prerecord_s = time.perf_counter() - began
    if recorded != args.events:
        raise SystemExit(f"{label}: recorded {recorded:,} events, expected {args.events:,}")
    queued = delivery_counts(instance)
    if queued.get("available") != args.events:
        raise SystemExit(f"{label}: {queued} deliveries queued, expected {args.events:,} available")
    if args.analyze and instance.database_name is not None:
        # What autovacuum would do once the table has grown (it is off on some servers, never instant).
        with psycopg.connect(common.libpq_url_for(instance.database_name), autocommit=True) as conn:
            conn.execute("ANALYZE")
        log(f"{label}: ANALYZE done")
    log(f"{label}: {args.events:,} deliveries queued in {prerecord_s:.1f} s")
    return prerecord_s


def measure_throughput(db: str, workers: int, receiver: Receiver, args: argparse.Namespace) -> Throughput:
    label = f"{db}-throughput-{workers}w"
    with fresh_instance(db, label, receiver, args) as instance:
        prerecord_s = prerecord(instance, label, args)
        log(f"{label}: starting {workers} herald worker process(es)")
        receiver.reset()
        started = time.time()
        processes = [start_worker(instance, f"{label}-{i + 1}") for i in range(workers)]
        pids = [p.pid for p in processes]
        cpu_at_first: list[float | None] = []

        def first_seen() -> None:  # CPU spent starting up is not delivery work
            cpu_at_first.extend(cpu_seconds(pid) for pid in [*pids, receiver.pid])

        try:
            stats = receiver.wait_for(args.events, max(120.0, args.events / 100), label, first_seen)
            cpu_at_last = [cpu_seconds(pid) for pid in [*pids, receiver.pid]]
        finally:
            for process in processes:
                common.stop(process)
        dump = receiver.dump()
        verified, sampled = verify_samples(dump["samples"], instance.secret)
        states = delivery_counts(instance)
    first, last = stats["first"] or started, stats["last"] or started
    result = Throughput(
        workers=workers,
        deliveries=stats["distinct"],
        received=stats["requests"],
        seconds=last - first,
        seconds_with_start=last - started,
        prerecord_s=prerecord_s,
        worker_cpu_s=_cpu_spent(cpu_at_first[:-1], cpu_at_last[:-1]),
        receiver_cpu_s=_cpu_spent(cpu_at_first[-1:], cpu_at_last[-1:]),
        verified=verified,
        sampled=sampled,
        db_states=states,
        analyzed=bool(args.analyze and db == "postgresql"),
    )
    log(
        f"{label}: {result.deliveries:,} deliveries in {result.seconds:.2f} s = {result.per_s:,.0f}/s "
        f"({result.per_s_with_start:,.0f}/s from the workers' start); signatures {verified}/{sampled}; "
        f"database {states}"
    )
    if result.deliveries < args.events:
        log(f"{label}: WARNING only {result.deliveries:,} of {args.events:,} arrived before the timeout")
    return result


# --- 3. latency at a steady rate -------------------------------------------------------------------------


@dataclass
class Latency:
    setup: str
    events_sent: int
    events_recorded: int
    send_seconds: float
    request_p50_ms: float
    request_p99_ms: float
    late_requests: int  # left more than 50 ms after their slot
    delivered: int
    received: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    missing: int
    verified: int
    sampled: int

    @property
    def achieved_per_s(self) -> float:
        return self.events_recorded / self.send_seconds


async def _steady_load(
    port: int, instance: Instance, args: argparse.Namespace, first: int
) -> tuple[int, int, float, list[float], int]:
    """Open loop: request k leaves at start + k * interval whatever happened to the ones before."""
    headers = {"Authorization": f"Bearer {instance.key}", "Content-Type": "application/json"}
    url = f"http://{HOST}:{port}/v1/interactions"
    interval = args.per_request / args.rate
    requests = round(args.duration / interval)
    latencies: list[float] = []
    recorded = 0
    late = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:

        async def one(k: int) -> None:
            nonlocal recorded
            body = orjson.dumps(
                {
                    "interactions": make_events(
                        instance, first + k * args.per_request, args.per_request, stamp=True
                    )
                }
            )
            began = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                answer = await response.read()
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}: {answer[:300]!r}")
            latencies.append(time.perf_counter() - began)
            recorded += int(orjson.loads(answer)["recorded"])

        tasks = []
        start = time.perf_counter()
        for k in range(requests):
            delay = start + k * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.05:
                late += 1
            tasks.append(asyncio.create_task(one(k)))
            if k and k % round(5 / interval) == 0:
                log(f"latency: {k * args.per_request:,} events sent")
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    # The generator's rate: the events over the time their requests took to leave and be answered.
    return requests * args.per_request, recorded, elapsed, latencies, late


def measure_latency(db: str, receiver: Receiver, args: argparse.Namespace) -> Latency:
    label = f"{db}-latency"
    with fresh_instance(db, label, receiver, args) as instance:
        embedded = db == "sqlite"
        env = dict(instance.env) if embedded else {**instance.env, "HERALD_EMBEDDED_WORKER": "false"}
        setup = "herald serve (embedded worker)" if embedded else "herald serve + 1 herald worker"
        worker = None
        with common.herald_server(instance.url, log_name=f"webhooks-{label}-server", env=env) as port:
            try:
                if not embedded:
                    worker = start_worker(instance, f"{label}-1")
                populate(instance, port, args.contacts)
                # Warm up: one event end to end, so the worker's start is not in the figures.
                receiver.reset()
                asyncio.run(
                    _post_batches(
                        port,
                        instance.key,
                        [orjson.dumps({"interactions": make_events(instance, 0, 1, stamp=True)})],
                        1,
                    )
                )
                if receiver.wait_for(1, 60, f"{label} warm-up")["distinct"] < 1:
                    raise SystemExit(f"{label}: the warm-up event was not delivered within 60 s")
                receiver.reset()
                log(
                    f"{label}: {setup}; {args.rate} events/s ({args.per_request} per request) for "
                    f"{args.duration} s"
                )
                sent, recorded, seconds, request_latencies, late = asyncio.run(
                    _steady_load(port, instance, args, first=1)
                )
                log(f"{label}: load done ({recorded:,} recorded in {seconds:.1f} s); waiting for the rest")
                stats = receiver.wait_for(recorded, args.drain_seconds, label)
            finally:
                if worker is not None:
                    common.stop(worker)
        dump = receiver.dump()
        verified, sampled = verify_samples(dump["samples"], instance.secret)
    ordered = sorted(dump["latencies"])
    missing = recorded - len(ordered)
    # A delivery that never came is slower than any that did.
    padded = ordered + [float("inf")] * max(missing, 0)

    def ms(q: float) -> float | None:
        return quantile(padded, q) * 1000 if padded else None

    request_ordered = sorted(request_latencies)
    result = Latency(
        setup=setup,
        events_sent=sent,
        events_recorded=recorded,
        send_seconds=seconds,
        request_p50_ms=quantile(request_ordered, 0.5) * 1000,
        request_p99_ms=quantile(request_ordered, 0.99) * 1000,
        late_requests=late,
        delivered=stats["distinct"],
        received=stats["requests"],
        p50_ms=ms(0.5),
        p95_ms=ms(0.95),
        p99_ms=ms(0.99),
        max_ms=padded[-1] * 1000 if padded else None,
        missing=missing,
        verified=verified,
        sampled=sampled,
    )
    log(
        f"{label}: p50 {fmt_ms(result.p50_ms)} ms, p95 {fmt_ms(result.p95_ms)} ms, "
        f"p99 {fmt_ms(result.p99_ms)} ms, max {fmt_ms(result.max_ms)} ms; "
        f"{result.achieved_per_s:,.0f} events/s achieved; {missing} missing"
    )
    return result
