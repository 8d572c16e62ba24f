"""The floor of an HTTP endpoint: a bare Starlette app answering every POST with pre-serialised bytes.

It runs under the same uvicorn settings as ``herald serve`` (uvloop and httptools when installed, access log
off, the same worker count), reads the request body as Herald's report endpoint does, and answers with the
same bytes Herald would, so "Herald req/s divided by bare req/s" measures only what Herald adds.

With ``--query FILE`` (JSON: ``{"url": ..., "sql": ..., "params": [...]}``) each request first runs that one
statement through the bare driver (sqlite3 or psycopg, one connection per threadpool thread) in the
threadpool, as Herald does: the floor of an endpoint that must touch the database once.

    .venv/bin/python bench/bare_app.py --port 8099 --body page.json [--workers 1] [--query q.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import psycopg
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY_ENV = "HERALD_BENCH_BARE_BODY"
QUERY_ENV = "HERALD_BENCH_BARE_QUERY"


def _query_runner(spec: dict[str, Any]) -> Any:
    """A function running the one statement on this thread's own connection; returns the row count."""
    local = threading.local()
    url: str = spec["url"]
    sql: str = spec["sql"]
    params = tuple(spec["params"])

    def run() -> int:
        conn = getattr(local, "conn", None)
        if conn is None:
            if url.startswith("sqlite:///"):
                conn = sqlite3.connect(
                    url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
                )
            else:
                conn = psycopg.connect(
                    url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True
                )
            local.conn = conn
        return len(conn.execute(sql, params).fetchall())

    return run


def build() -> Starlette:
    """The app factory uvicorn imports (in each worker); the body comes from ``HERALD_BENCH_BARE_BODY``."""
    body = Path(os.environ[BODY_ENV]).read_bytes()
    query_file = os.environ.get(QUERY_ENV)
    query = _query_runner(json.loads(Path(query_file).read_text())) if query_file else None

    async def answer(request: Request) -> Response:
        await request.body()
        if query is not None:
            await run_in_threadpool(query)
        return Response(body, media_type="application/json")

    async def healthz(_request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/{path:path}", answer, methods=["POST"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True, help="file holding the response body")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--query", type=Path, help="JSON file: a statement to run per request (see above)")
    args = parser.parse_args()
    os.environ[BODY_ENV] = str(args.body.resolve())
    if args.query:
        os.environ[QUERY_ENV] = str(args.query.resolve())

    import uvicorn

    uvicorn.run(
        "bare_app:build",
        factory=True,
        app_dir=str(Path(__file__).resolve().parent),
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_level="info",
        access_log=False,
    )


if __name__ == "__main__":
    main()
