"""What the benchmarks share: servers started as subprocesses, load generation, throwaway PostgreSQL
databases, statistics and tables.

Everything talks to 127.0.0.1 only. A server started here is a child process in its own process group; it is
stopped (SIGTERM, then SIGKILL) by that group's id when the ``with`` block ends, whatever happens inside.

Load generation uses ``wrk`` when it is on the PATH (Debian/Ubuntu: ``apt-get install -y wrk``) and falls
back to an aiohttp load generator in this process otherwise; every result says which one produced it.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

HOST = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
VENV_BIN = Path(sys.executable).parent
DEFAULT_POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def log(message: str) -> None:
    """Progress on stderr with a timestamp, so stdout keeps only the tables."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- statistics and tables ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Median and 99th percentile of a sample of durations, in milliseconds."""

    median_ms: float
    p99_ms: float
    n: int

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Timing:
        ordered = sorted(seconds)
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        return cls(statistics.median(ordered) * 1000, p99 * 1000, len(ordered))


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, title: str = "") -> str:
    """A Markdown table (readable in a terminal and pasteable into BENCHMARKS.md)."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(
                c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
            + " |"
        )

    out = [f"\n{title}\n"] if title else []
    out.append(line(cells[0]))
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    out.extend(line(row) for row in cells[1:])
    return "\n".join(out)


@dataclass
class Verdicts:
    """PASS/FAIL lines against the targets; ``failed`` decides the exit code."""

    lines: list[tuple[str, bool, str]] = field(default_factory=list)

    def check(self, target: str, ok: bool, measured: str) -> None:
        self.lines.append((target, ok, measured))

    @property
    def failed(self) -> bool:
        return any(not ok for _, ok, _ in self.lines)

    def render(self, title: str) -> str:
        return table(
            ["target", "verdict", "measured"],
            [(t, "PASS" if ok else "FAIL", m) for t, ok, m in self.lines],
            title=title,
        )


# --- servers -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(port: int, path: str, process: subprocess.Popen[bytes], timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with code {process.returncode}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server on port {port} did not answer {path} within {timeout_s:.0f} s")


@contextlib.contextmanager
def running(
    command: Sequence[str], *, port: int, health_path: str, env: dict[str, str], log_path: Path
) -> Iterator[int]:
    """Run a server subprocess until the block ends; yields its port once ``health_path`` answers."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as server_log:
        process = subprocess.Popen(
            list(command),
            env={**os.environ, **env},
            stdout=server_log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        try:
            wait_until_up(port, health_path, process)
            yield port
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group we created for this server, then SIGKILL it if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextlib.contextmanager
def herald_server(
    database_url: str, *, workers: int = 1, log_name: str = "server", env: dict[str, str] | None = None
) -> Iterator[int]:
    """``herald serve`` on a free loopback port, as a user starts it (``env``: extra settings, e.g.
    ``HERALD_REPORT_CACHE_SECONDS``; anything not given keeps its default)."""
    port = free_port()
    command = [
        str(VENV_BIN / "herald"),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    settings = {"HERALD_DATABASE_URL": database_url, **(env or {})}
    with running(
        command, port=port, health_path="/healthz", env=settings, log_path=RESULTS_DIR / f"{log_name}.log"
    ) as p:
        yield p


@contextlib.contextmanager
def bare_server(body: bytes, *, workers: int = 1, query: dict[str, Any] | None = None) -> Iterator[int]:
    """``bench/bare_app.py``: the same uvicorn settings as ``herald serve``, answering with ``body``
    (after running ``query``, ``{"url", "sql", "params"}``, through the bare driver when given)."""
    port = free_port()
    with tempfile.NamedTemporaryFile(prefix="herald-bare-", suffix=".json", delete=False) as handle:
        handle.write(body)
        body_path = handle.name
    query_args: list[str] = []
    if query is not None:
        with tempfile.NamedTemporaryFile(
            "w", prefix="herald-bare-q-", suffix=".json", delete=False
        ) as handle:
            json.dump(query, handle)
            query_args = ["--query", handle.name]
    command = [
        sys.executable,
        str(BENCH_DIR / "bare_app.py"),
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--body",
        body_path,
        *query_args,
    ]
    try:
        with running(
            command, port=port, health_path="/healthz", env={}, log_path=RESULTS_DIR / "bare.log"
        ) as p:
            yield p
    finally:
        Path(body_path).unlink(missing_ok=True)
        if query_args:
            Path(query_args[1]).unlink(missing_ok=True)


class KeepAliveClient:
    """Sequential requests on one kept-alive loopback connection (the least client overhead we can get)."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, float]:
        """One POST; returns status, body and the wall time in seconds."""
        start = time.perf_counter()
        self.connection.request("POST", path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        return response.status, data, time.perf_counter() - start

    def close(self) -> None:
        self.connection.close()


# --- load generation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadResult:
    tool: str
    requests_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    requests: int
    errors: int


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(value: str) -> str:
    return "[==[" + value + "]==]"


def _wrk(
    url: str, body: bytes, headers: dict[str, str], *, duration_s: int, connections: int, threads: int
) -> LoadResult:
    script = ['wrk.method = "POST"', f"wrk.body = {_lua_string(body.decode())}"]
    # The spaces matter: "[[" would open a Lua long string.
    script += [f"wrk.headers[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items()]
    with tempfile.NamedTemporaryFile("w", prefix="herald-wrk-", suffix=".lua", delete=False) as handle:
        handle.write("\n".join(script) + "\n")
        script_path = handle.name
    try:
        completed = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{duration_s}s",
                "--latency",
                "-s",
                script_path,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=duration_s + 60,
            check=True,
        )
    finally:
        Path(script_path).unlink(missing_ok=True)
    out = completed.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())

    def quantile(label: str) -> float | None:
        found = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if not found:
            return None
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]
        return float(found.group(1)) * scale

    return LoadResult("wrk", rps, quantile("50"), quantile("99"), total, errors)


async def _aiohttp_load(
    url: str, body: bytes, headers: dict[str, str], *, duration_s: int, connections: int
) -> LoadResult:
    import aiohttp

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration_s
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status >= 300:
                        errors += 1
                latencies.append(time.perf_counter() - start)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - start
    timing = Timing.of(latencies)
    return LoadResult(
        "aiohttp", len(latencies) / elapsed, timing.median_ms, timing.p99_ms, len(latencies), errors
    )


def load(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    duration_s: int,
    connections: int,
    threads: int,
    tool: str = "auto",
) -> LoadResult:
    """Hammer ``url`` with POSTs of ``body`` for ``duration_s``: wrk if installed, else aiohttp."""
    if tool == "wrk" or (tool == "auto" and have_wrk()):
        return _wrk(url, body, headers, duration_s=duration_s, connections=connections, threads=threads)
    return asyncio.run(_aiohttp_load(url, body, headers, duration_s=duration_s, connections=connections))


# --- throwaway PostgreSQL databases ------------------------------------------------------------------


def psycopg_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def postgres_admin_url() -> str:
    return os.environ.get("HERALD_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_ADMIN_URL)


def postgres_url_for(name: str) -> str:
    """The SQLAlchemy URL (psycopg 3) of database ``name`` on the admin URL's server."""
    return (
        sa.engine.make_url(psycopg_url(postgres_admin_url()))
        .set(database=name)
        .render_as_string(hide_password=False)
    )


def libpq_url_for(name: str) -> str:
    """The same database as a libpq URL, for psycopg.connect."""
    return postgres_url_for(name).replace("postgresql+psycopg://", "postgresql://", 1)


def _admin() -> sa.Engine:
    return sa.create_engine(psycopg_url(postgres_admin_url()), isolation_level="AUTOCOMMIT")


def postgres_reachable() -> str | None:
    """None when the admin URL answers, else why not."""
    engine = _admin()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        return str(exc.orig)
    finally:
        engine.dispose()
    return None


def postgres_exists(name: str) -> bool:
    engine = _admin()
    try:
        with engine.connect() as conn:
            found = conn.exec_driver_sql(
                "SELECT 1 FROM pg_database WHERE datname = %(n)s", {"n": name}
            ).first()
    finally:
        engine.dispose()
    return found is not None


def create_postgres_database(name: str | None = None, *, template: str | None = None) -> str:
    """Create ``name`` (default ``herald_bench_<random>``), optionally as a copy of ``template``."""
    name = name or f"herald_bench_{uuid.uuid4().hex[:10]}"
    engine = _admin()
    try:
        with engine.connect() as conn:
            clause = f' TEMPLATE "{template}"' if template else ""
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"{clause}')
    finally:
        engine.dispose()
    return name


def drop_postgres_database(name: str) -> None:
    engine = _admin()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import platform
    import sqlite3

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "load_generator": "wrk" if have_wrk() else "aiohttp (wrk not installed)",
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }
