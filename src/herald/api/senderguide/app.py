"""The SenderGuide (Everlytic) JSON dialect: the 3.0 interaction-data report.

A plain Starlette app, not FastAPI: the dialect has its own error envelope for everything (the framework's
404 and 405 included) and its hot path should not pay for dependency injection or response models.
"""

from __future__ import annotations

import orjson
import structlog
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from herald.accounts import service as accounts_service
from herald.api.context import AppContext, key_from_authorization
from herald.api.senderguide import parse, render
from herald.api.senderguide.cache import ReportCache
from herald.errors import HeraldError, NotFound
from herald.interactions import service as interactions_service

log = structlog.get_logger()
MAX_BODY_BYTES = 64 * 1024


def _is_v2(request: Request) -> bool:
    return request.url.path.startswith("/api/2.")


def _error(request: Request, code: int, status: str) -> Response:
    """The error envelope of the family the path belongs to (3.0 report, or the 2.0 SMS API)."""
    if _is_v2(request):
        body = (
            orjson.dumps("Invalid credentials.")
            if code == 401
            else orjson.dumps({"status": "error", "message": status})
        )
    else:
        body = render.report_error(code, status)
    headers = {"WWW-Authenticate": 'Basic realm="herald"'} if code == 401 else None
    return Response(body, status_code=code, media_type=render.JSON, headers=headers)


def create_senderguide_app(context: AppContext) -> Starlette:
    cache = ReportCache(context.settings.report_cache_seconds)
    # SQLite answers a page in about a millisecond of CPU from a local file: doing it on the event loop
    # beats a threadpool hop, whose threads would convoy on the GIL (the driver releases it per row).
    # PostgreSQL waits on the network, so it goes to the threadpool.
    inline = context.database.dialect == "sqlite"

    def answer_report(authorization: str | None, raw_id: str, body: bytes) -> tuple[int, bytes]:
        """Authenticate, check the body, and read the page, all in one read transaction and one thread."""
        key = key_from_authorization(authorization)
        with context.database.read() as session:
            principal = accounts_service.authenticate(session, key=key) if key else None
            if principal is None:
                return 401, render.report_error(401, "invalid credentials")
            try:
                query = parse.report_query(body)
            except parse.ReportRequestError as exc:
                return 400, render.report_error(400, exc.status)
            if not raw_id.isdigit() or len(raw_id) > 18:
                return 404, render.report_error(404, "message not found")
            message_id = int(raw_id)
            try:
                page = interactions_service.report_page(
                    session,
                    account_id=principal.account_id,
                    timezone=principal.timezone,
                    message_id=message_id,
                    query=query,
                )
            except NotFound:
                return 404, render.report_error(404, "message not found")
        return 200, render.report_page(page, message_id=message_id)

    async def interaction_data(request: Request) -> Response:
        try:
            body = await request.body()
        except ClientDisconnect:
            return Response(status_code=499)
        if len(body) > MAX_BODY_BYTES:
            return _error(request, 400, "request body is too large")
        authorization = request.headers.get("authorization")
        raw_id = request.path_params["message_id"]
        key = cache.key(authorization, raw_id, body)
        generation = context.ledger_changed
        cached = cache.get(key, generation)
        if cached is not None:
            return Response(cached.body, status_code=cached.status, media_type=render.JSON)
        if inline:
            status, content = answer_report(authorization, raw_id, body)
        else:
            status, content = await run_in_threadpool(answer_report, authorization, raw_id, body)
        cache.put(key, status=status, body=content, generation=generation)
        headers = {"WWW-Authenticate": 'Basic realm="herald"'} if status == 401 else None
        return Response(content, status_code=status, media_type=render.JSON, headers=headers)

    async def not_found(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException) and exc.status_code == 405:
            return _error(request, 405, f"method {request.method} is not allowed here")
        return _error(request, 404, "not found")

    async def domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HeraldError)
        return _error(request, exc.status, exc.detail)

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("senderguide.unhandled_error", path=request.url.path)
        return _error(request, 500, "an unexpected error occurred; it has been logged")

    app = Starlette(
        routes=[
            Route("/api/3.0/messages/interaction-data/{message_id}", interaction_data, methods=["POST"]),
        ],
        exception_handlers={404: not_found, 405: not_found, HeraldError: domain_error, Exception: unexpected},
    )
    app.state.context = context
    return app
