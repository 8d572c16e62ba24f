"""The native JSON API (``/v1``), documented by its OpenAPI at ``/openapi.json`` and ``/docs``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from herald import __version__
from herald.api.context import AppContext
from herald.api.native import openapi, pages, problems, routers
from herald.api.native.interactions import IngestBatch, InteractionIn
from herald.api.native.webhooks import docs as webhook_docs

log = structlog.get_logger()
KEY_USE_FLUSH_SECONDS = 60.0

DESCRIPTION = """
Herald's own API. Authenticate with `Authorization: Bearer KEY` (or `X-API-Key: KEY`).
Errors are RFC 9457 `application/problem+json`. Lists page with an opaque `cursor`:
pass the `next_cursor` of one page to get the next; a page without `next_cursor` is the last.

The vendor-compatible dialects are served by the same process:
SenderGuide at `/api/3.0/...` and `/api/2.0/...`, ExpertSender at `/v2/Api/...` (see the docs folder).
"""


def create_native_app(context: AppContext, *, other_dialects: tuple[dict[str, Any], ...] = ()) -> FastAPI:
    """The native API; ``other_dialects`` are the OpenAPI documents of the dialects served beside it."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        flusher = asyncio.create_task(_flush_key_use(context))
        try:
            yield
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            await run_in_threadpool(context.flush_key_use)

    app = FastAPI(
        title="Herald",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.context = context
    problems.install(app)
    for router in routers.ALL:
        app.include_router(router, prefix="/v1")
    webhook_docs.install(app)
    openapi.install(app, extra_models=(IngestBatch, InteractionIn), other_dialects=other_dialects)
    pages.install(app)

    @app.get(
        "/healthz",
        tags=["operations"],
        summary="Is the server up and its database reachable?",
        description='No key needed. 200 `{"status":"ok"}` when a query on the database succeeds; '
        "any other answer means the server cannot serve (point load balancers and monitors here).",
        responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
    )
    def healthz() -> Response:
        with context.database.read() as session:
            session.connection().exec_driver_sql("SELECT 1")
        return Response(b'{"status":"ok"}', media_type="application/json")

    return app


async def _flush_key_use(context: AppContext) -> None:
    """About once a minute, write when keys were last used (``herald keys list`` shows it)."""
    while True:
        await asyncio.sleep(KEY_USE_FLUSH_SECONDS)
        try:
            await run_in_threadpool(context.flush_key_use)
        except Exception:  # the database is away: the times are kept for the next flush
            log.exception("keys.flush_failed")
