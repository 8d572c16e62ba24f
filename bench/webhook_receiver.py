"""The receiving end of ``bench/webhooks.py``: a bare aiohttp server, in its own process, answering
``200 ok`` to every request outside ``/_bench/``, and counting what it got.

Every request costs the receiver the same work whoever sends it (Herald's worker, wrk, an aiohttp client):
read the body, parse it with ``orjson``, and note the ``webhook-id`` header the first time it is seen, with
the arrival time (``time.time()``) and, when the body carries it, arrival minus the send time the load
generator stamped into ``data.metadata.bench_sent_at``. A few whole requests (headers and body) are kept so
the benchmark can verify their signatures.

Control endpoints (not counted):

* ``GET /_bench/stats``: ``{"requests", "distinct", "first", "last", "pid"}`` (arrival times of the first
  and last new ``webhook-id``, Unix seconds; the receiver's process id, for its CPU time);
* ``GET /_bench/dump``: the stats plus ``latencies`` (seconds, one per distinct id that carried a send time)
  and ``samples`` (``[{"headers": {...}, "body": "..."}]``);
* ``POST /_bench/reset``: forget everything.

    .venv/bin/python bench/webhook_receiver.py --port 8099 [--loop asyncio]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import time
from typing import Any

import orjson
from aiohttp import web

SAMPLE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "user-agent")
FIRST_SAMPLES = 100  # the first requests kept whole, then one in SAMPLE_EVERY, up to MAX_SAMPLES
SAMPLE_EVERY = 100
MAX_SAMPLES = 400


class State:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.seen: set[str] = set()
        self.first: float | None = None
        self.last: float | None = None
        self.latencies: list[float] = []
        self.samples: list[dict[str, Any]] = []

    def stats(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "distinct": len(self.seen),
            "first": self.first,
            "last": self.last,
            "pid": os.getpid(),
        }


def build_app() -> web.Application:
    state = State()

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        now = time.time()
        state.requests += 1
        webhook_id = request.headers.get("webhook-id")
        try:
            parsed = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            parsed = None
        if webhook_id is not None and webhook_id not in state.seen:
            state.seen.add(webhook_id)
            if state.first is None:
                state.first = now
            state.last = now
            sent = _sent_at(parsed)
            if sent is not None:
                state.latencies.append(now - sent)
            count = len(state.seen)
            if len(state.samples) < MAX_SAMPLES and (count <= FIRST_SAMPLES or count % SAMPLE_EVERY == 0):
                state.samples.append(
                    {
                        "headers": {h: request.headers.get(h, "") for h in SAMPLE_HEADERS},
                        "body": body.decode("utf-8", errors="replace"),
                    }
                )
        return web.Response(text="ok")

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response(state.stats(), dumps=lambda v: orjson.dumps(v).decode())

    async def dump(_request: web.Request) -> web.Response:
        out = {**state.stats(), "latencies": state.latencies, "samples": state.samples}
        return web.Response(body=orjson.dumps(out), content_type="application/json")

    async def reset(_request: web.Request) -> web.Response:
        state.reset()
        return web.Response(text="reset")

    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_get("/_bench/stats", stats)
    app.router.add_get("/_bench/dump", dump)
    app.router.add_post("/_bench/reset", reset)
    app.router.add_route("*", "/{tail:.*}", receive)
    return app


def _sent_at(parsed: Any) -> float | None:
    if not isinstance(parsed, dict):
        return None
    data = parsed.get("data")
    metadata = data.get("metadata") if isinstance(data, dict) else None
    sent = metadata.get("bench_sent_at") if isinstance(metadata, dict) else None
    return float(sent) if isinstance(sent, int | float) else None


async def serve(port: int) -> None:
    runner = web.AppRunner(build_app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"receiving on http://127.0.0.1:{port}", flush=True)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="event loop (default uvloop, as uvicorn uses for Herald itself)",
    )
    args = parser.parse_args()
    if args.loop == "uvloop":
        import uvloop

        uvloop.run(serve(args.port))
    else:
        asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
