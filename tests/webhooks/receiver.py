"""A real local HTTP receiver for webhook tests: an aiohttp server on 127.0.0.1 in a background thread
that records every request and answers what the test scripts."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.e2e.server import free_port


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Reply:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


class Receiver:
    """``answer`` decides each reply from the request (default: 200 "ok")."""

    def __init__(self, answer: Callable[[Received], Reply] | None = None) -> None:
        self.port = free_port()
        self.answer = answer or (lambda _request: Reply())
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Receiver:
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the receiver did not start")
        return self

    def __exit__(self, *_exc: Any) -> None:
        async def shutdown() -> None:
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def handle(request: web.Request) -> web.Response:
            received = Received(
                method=request.method,
                path=request.path,
                query_string=request.raw_path.partition("?")[2],  # as sent, still percent-encoded
                headers=dict(request.headers),
                body=await request.read(),
                at=time.monotonic(),
            )
            with self._lock:
                self.requests.append(received)
            reply = self.answer(received)
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s)
            return web.Response(status=reply.status, text=reply.body, headers=reply.headers)

        async def start() -> None:
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", handle)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
            self._started.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    def received(self) -> list[Received]:
        with self._lock:
            return list(self.requests)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.received()
            if len(got) >= count:
                return got
            time.sleep(0.02)
        raise AssertionError(f"expected {count} requests, got {len(self.received())}")
