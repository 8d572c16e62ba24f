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
import asyncio
import contextlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import psycopg
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

import common
from common import HOST, RESULTS_DIR, VENV_BIN, Verdicts, fmt_ms, log, table
from herald import wiring
from herald.api.native.webhooks import payload as native_payload
from herald.db.engine import connect
from herald.migrations import tables  # noqa: F401 (every model, so the ORM resolves foreign keys)
from herald.settings import Settings
from herald.webhooks import service as webhooks_service
from herald.webhooks import shapes
from herald.webhooks.models import WebhookAttempt, WebhookDelivery
from herald.webhooks.schemas import EndpointPolicy, EndpointSpec
from herald.webhooks.secrets import load_secret_box, new_signing_secret

TARGET_DELIVERIES_PER_S = 1_000
TARGET_P99_S = 1.0
EVENT_TYPES = ["sends", "opens", "clicks"]
HOOK_PATH = "/hooks/herald"
FOLDER = RESULTS_DIR / "webhooks"


# --- small helpers ---------------------------------------------------------------------------------------


def quantile(ordered: Sequence[float], q: float) -> float:
    """Nearest rank, as ``common.Timing`` takes its p99."""
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def rfc3339_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process (Linux ``/proc``), None when unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Api:
    """The native API of a running server, one kept-alive connection (setup calls only)."""

    def __init__(self, port: int, key: str) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=120)
        self.auth = {"Authorization": f"Bearer {key}"}

    def call(self, method: str, path: str, body: bytes | None = None, content_type: str = "") -> Any:
        headers = dict(self.auth)
        if content_type:
            headers["Content-Type"] = content_type
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}: {data[:300]!r}")
        return orjson.loads(data) if data else None

    def close(self) -> None:
        self.connection.close()


class Receiver:
    """The receiver process's control endpoints."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://{HOST}:{port}{HOOK_PATH}"
        self.pid = int(self.stats()["pid"])

    def _call(self, method: str, path: str) -> Any:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        return (
            orjson.loads(data)
            if response.headers.get("Content-Type", "").startswith("application/json")
            else None
        )

    def reset(self) -> None:
        self._call("POST", "/_bench/reset")

    def stats(self) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", "/_bench/stats")
        return found

    def dump(self) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", "/_bench/dump")
        return found

    def wait_for(
        self, count: int, timeout_s: float, label: str, on_first: Callable[[], None] | None = None
    ) -> dict[str, Any]:
        """Poll until ``count`` distinct deliveries arrived (or the timeout); logs progress. ``on_first``
        runs once, as soon as the first delivery is seen."""
        deadline = time.monotonic() + timeout_s
        next_log = time.monotonic() + 2.0
        stats = self.stats()
        while stats["distinct"] < count and time.monotonic() < deadline:
            time.sleep(0.05)
            stats = self.stats()
            if on_first is not None and stats["distinct"]:
                on_first()
                on_first = None
            if time.monotonic() >= next_log:
                next_log += 2.0
                log(f"{label}: {stats['distinct']:,} / {count:,} delivered")
        return stats


@contextlib.contextmanager
def receiver_process() -> Iterator[Receiver]:
    port = common.free_port()
    command = [sys.executable, str(common.BENCH_DIR / "webhook_receiver.py"), "--port", str(port)]
    with common.running(
        command,
        port=port,
        health_path="/_bench/stats",
        env={},
        log_path=RESULTS_DIR / "webhooks-receiver.log",
    ):
        yield Receiver(port)


def sample_request(secret: str) -> tuple[bytes, dict[str, str]]:
    """A body the size and shape of a real native delivery (built by Herald's own payload function), and
    the headers the worker sends with it."""
    now = datetime.now(UTC)
    facts = shapes.EventFacts(
        interaction_id=12_345,
        type="opens",
        message_id=1,
        contact_id=4_321,
        contact_email="contact-000004321@example.com",
        contact_phone=None,
        occurred_at=now,
        recorded_at=now,
        event_id="wh-sample-000012345",
        metadata={"bench_sent_at": time.time()},
        channel="email",
        campaign_name="",
        timezone="UTC",
        send_id=None,
        sent_at=None,
    )
    body = orjson.dumps(native_payload.payload("", facts))
    stamp = now.replace(microsecond=0)
    headers = {
        "User-Agent": "Herald-Webhooks/1",
        "Content-Type": "application/json",
        "webhook-id": "msg_12345",
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id="msg_12345", timestamp=stamp, data=body.decode()),
    }
    return body, headers


# --- a fresh Herald --------------------------------------------------------------------------------------


@dataclass
class Instance:
    """A fresh database with an account, its key and one native endpoint pointing at the receiver."""

    db: str
    url: str
    env: dict[str, str]
    key: str
    account_id: int
    secret: str
    database_name: str | None = None
    message_id: int = 0
    contact_ids: list[int] = field(default_factory=list)


def herald_cli(env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(
        [str(VENV_BIN / "herald"), *args],
        env={**os.environ, **env},
        cwd=common.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"herald {' '.join(args)} failed: {completed.stderr[-2000:]}")
    return completed.stdout.strip()


@contextlib.contextmanager
def fresh_instance(db: str, label: str, receiver: Receiver, args: argparse.Namespace) -> Iterator[Instance]:
    database_name = None
    if db == "sqlite":
        FOLDER.mkdir(parents=True, exist_ok=True)
        path = FOLDER / f"{label}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        database_name = common.create_postgres_database()
        url = common.postgres_url_for(database_name)
    env = {
        "HERALD_DATABASE_URL": url,
        "HERALD_SECRET_KEY": Fernet.generate_key().decode("ascii"),
        "HERALD_WEBHOOK_ALLOW_PRIVATE": "true",
        "HERALD_WEBHOOK_CONCURRENCY": str(args.concurrency),
    }
    try:
        herald_cli(env, "migrate")
        account_id = int(herald_cli(env, "accounts", "create", "bench").splitlines()[-1])
        key = herald_cli(env, "keys", "create", "--account", "bench").splitlines()[-1]
        settings = Settings(database_url=url, secret_key=env["HERALD_SECRET_KEY"])
        database = connect(settings)
        try:
            with database.write() as session:
                created = webhooks_service.create_endpoint(
                    session,
                    account_id=account_id,
                    spec=EndpointSpec(
                        dialect=native_payload.DIALECT, url=receiver.url, event_types=EVENT_TYPES
                    ),
                    box=load_secret_box(settings.secret_key, settings.secret_key_file),
                    policy=EndpointPolicy(allow_private=True),
                )
        finally:
            database.dispose()
        yield Instance(db, url, env, key, account_id, created.secret, database_name)
    finally:
        if database_name is not None:
            common.drop_postgres_database(database_name)


def populate(instance: Instance, port: int, contacts: int) -> None:
    """One sent email message and ``contacts`` contacts, through the native API."""
    api = Api(port, instance.key)
    try:
        message = api.call(
            "POST",
            "/v1/messages",
            orjson.dumps(
                {
                    "channel": "email",
                    "type": "Newsletter",
                    "sender": "news@example.com",
                    "subject": "Webhook benchmark",
                    "status": "Sent",
                }
            ),
            "application/json",
        )
        instance.message_id = int(message["id"])
        ndjson = b"\n".join(orjson.dumps({"email": f"contact-{n:09d}@example.com"}) for n in range(contacts))
        api.call("POST", "/v1/contacts/import", ndjson, "application/x-ndjson")
        ids: list[int] = []
        cursor = ""
        while True:
            page = api.call("GET", f"/v1/contacts?limit=1000{'&cursor=' + cursor if cursor else ''}")
            ids.extend(int(c["id"]) for c in page["data"])
            cursor = page.get("next_cursor") or ""
            if not cursor:
                break
        instance.contact_ids = ids
    finally:
        api.close()


def make_events(instance: Instance, first: int, count: int, *, stamp: bool) -> list[dict[str, Any]]:
    """Events ``first`` .. ``first + count - 1``: a send to each contact in turn, then opens and clicks
    (7:3) of those sends, each with its own ``event_id``; ``stamp`` puts ``time.time()`` in the metadata."""
    contacts = instance.contact_ids
    occurred_at = rfc3339_now()
    sent_at = time.time()
    rows = []
    for n in range(first, first + count):
        kind = "sends" if n < len(contacts) else "clicks" if n % 10 >= 7 else "opens"
        metadata: dict[str, Any] = {}
        if kind == "clicks":
            metadata["url"] = "https://example.com/offer?utm_source=herald"
        if stamp:
            metadata["bench_sent_at"] = sent_at
        rows.append(
            {
                "message_id": instance.message_id,
                "contact_id": contacts[n % len(contacts)],
                "type": kind,
                "occurred_at": occurred_at,
                "event_id": f"wh-{n:09d}",
                "metadata": metadata,
            }
        )
    return rows


def start_worker(instance: Instance, name: str) -> subprocess.Popen[bytes]:
    """``herald worker`` as an operator starts it, in its own process group (stopped by ``common.stop``)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    with (RESULTS_DIR / f"webhooks-{name}.log").open("wb") as worker_log:
        return subprocess.Popen(
            [str(VENV_BIN / "herald"), "worker", "--name", name],
            env={**os.environ, **instance.env},
            stdout=worker_log,
            stderr=subprocess.STDOUT,
            cwd=common.ROOT,
            start_new_session=True,
        )


def delivery_counts(instance: Instance) -> dict[str, int]:
    database = connect(Settings(database_url=instance.url, secret_key=instance.env["HERALD_SECRET_KEY"]))
    try:
        with database.read() as session:
            states = dict(
                session.execute(
                    select(WebhookDelivery.state, func.count()).group_by(WebhookDelivery.state)
                ).all()
            )
            attempts = session.scalar(select(func.count()).select_from(WebhookAttempt)) or 0
    finally:
        database.dispose()
    return {**{str(k): int(v) for k, v in states.items()}, "attempts": int(attempts)}


def verify_samples(samples: list[dict[str, Any]], secret: str) -> tuple[int, int]:
    """(verified, sampled): each kept request's signature checked by the ``standardwebhooks`` package,
    and its body a native payload of one of the events this run posted."""
    signer = Webhook(secret)
    verified = 0
    for sample in samples:
        try:
            signer.verify(sample["body"], sample["headers"])
        except WebhookVerificationError:
            continue
        body = orjson.loads(sample["body"])
        if str(body["data"]["event_id"]).startswith("wh-") and sample["headers"]["webhook-id"].startswith(
            "msg_"
        ):
            verified += 1
    return verified, len(samples)


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


# --- driver ----------------------------------------------------------------------------------------------


@dataclass
class DbResult:
    db: str
    ceilings: list[Ceiling]
    throughput: list[Throughput]
    latency: Latency | None
    machine_before: dict[str, Any]
    machine_after: dict[str, Any] = field(default_factory=dict)


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
