"""What an operator sees of the HTTP traffic: an access line per request and Prometheus metrics.

Both wrap the path dispatcher, so every dialect is seen alike. The access line names the method, the path
with secrets in its query redacted (the ExpertSender ``apiKey`` above all), the status and the duration.
Metrics (prometheus-client, the reference client) are off until ``HERALD_METRICS_TOKEN`` is set; then
``GET /metrics`` answers the Prometheus text format to ``Authorization: Bearer <token>`` only.
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable, Iterable
from urllib.parse import unquote_plus

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from herald.db.engine import Database
from herald.jobs.leases import QueueCount
from herald.webhooks import outbox

log = structlog.get_logger()
SECRET_PARAMETER = re.compile(r"(api[-_]?key|key|token|secret|password)", re.IGNORECASE)
_ID_SEGMENT = re.compile(
    r"^([0-9]+|[+-][0-9]+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)
QueueCounter = Callable[[Session], list[QueueCount]]


def redacted(path: str, query: bytes) -> str:
    """The path and query as logged: the value of every parameter that may be a secret replaced by
    ``***``, the rest as the client sent it."""
    if not query:
        return path
    parts = []
    for part in query.decode("latin-1").split("&"):
        name, sep, _value = part.partition("=")
        parts.append(f"{name}{sep}***" if sep and SECRET_PARAMETER.search(unquote_plus(name)) else part)
    return f"{path}?{'&'.join(parts)}"


def route_of(path: str, status: int) -> str:
    """A label that names the route, not the request: ids become ``{id}``, unknown paths one label."""
    if status == 404 and not path.startswith(("/v1/", "/api/", "/v2/")):
        return "unmatched"
    segments = ["{id}" if _ID_SEGMENT.match(part) else part for part in path.lower().split("/")]
    return "/".join(segments)


def dialect_of(path: str) -> str:
    lowered = path.lower()
    if lowered.startswith("/api/") and lowered[5:6].isdigit():
        return "senderguide"
    if lowered.startswith(("/v2/api", "/api")):
        return "expertsender"
    return "native"


class QueueCollector(Collector):
    """Rows per lane, kind and state, read at scrape time (the worker may be another process)."""

    def __init__(self, database: Database, counts: QueueCounter) -> None:
        self.database = database
        self.counts = counts

    def collect(self) -> Iterable[Metric]:
        items = GaugeMetricFamily(
            "herald_queue_items", "Queue rows per lane, kind and state", labels=["queue", "kind", "state"]
        )
        busy = GaugeMetricFamily("herald_lane_busy", "Items a worker holds now, per lane", labels=["queue"])
        running: dict[str, int] = {}
        try:
            with self.database.read() as session:
                rows = self.counts(session)
        except Exception:  # the database is away: report what can be reported
            log.exception("metrics.queues_unreadable")
            rows = []
        for row in rows:
            items.add_metric([row.queue, row.kind, row.state], row.count)
            if row.state in ("running", "sending"):
                running[row.queue] = running.get(row.queue, 0) + row.count
            running.setdefault(row.queue, 0)
        for queue, count in running.items():
            busy.add_metric([queue], count)
        attempts = GaugeMetricFamily(
            "herald_webhook_attempts", "Webhook attempts the log keeps, by outcome", labels=["outcome"]
        )
        try:
            with self.database.read() as session:
                outcomes = outbox.attempt_outcomes(session)
        except Exception:
            log.exception("metrics.attempts_unreadable")
            outcomes = {}
        for outcome, count in outcomes.items():
            attempts.add_metric([outcome], count)
        yield items
        yield busy
        yield attempts


class Observed:
    """An ASGI wrapper: logs each request and counts it; answers ``/metrics`` when a token is set."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics_token: str | None,
        database: Database,
        queue_counts: QueueCounter | None = None,
    ) -> None:
        self.app = app
        self.metrics_token = metrics_token
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "herald_http_requests",
            "HTTP requests answered",
            ["dialect", "route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "herald_http_request_duration_seconds",
            "Time to answer, by route",
            ["dialect", "route"],
            registry=self.registry,
        )
        self.recorded = Counter(
            "herald_interactions_recorded",
            "Ledger events recorded through this process",
            registry=self.registry,
        )
        if queue_counts is not None:
            self.registry.register(QueueCollector(database, queue_counts))

    def count_recorded(self, events: int) -> None:
        self.recorded.inc(events)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/metrics":
            await self._metrics(scope, send)
            return
        started = time.perf_counter()
        status = 500

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            elapsed = time.perf_counter() - started
            path: str = scope["path"]
            if self.metrics_token:  # nobody can scrape them otherwise: labelling costs ~10 µs a request
                dialect = dialect_of(path)
                route = route_of(path, status)
                self.requests.labels(dialect, route, scope["method"], str(status)).inc()
                self.latency.labels(dialect, route).observe(elapsed)
            log.info(
                "http.request",
                method=scope["method"],
                path=redacted(path, scope.get("query_string", b"")),
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )

    async def _metrics(self, scope: Scope, send: Send) -> None:
        if not self.metrics_token:
            await _plain(send, 404, b"not found\n")
            return
        given = b""
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                given = value
        expected = f"Bearer {self.metrics_token}".encode()
        if not hmac.compare_digest(given, expected):
            await _plain(send, 401, b"a bearer token is required\n")
            return
        await _plain(send, 200, generate_latest(self.registry), CONTENT_TYPE_LATEST)


async def _plain(
    send: Send, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8"
) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
