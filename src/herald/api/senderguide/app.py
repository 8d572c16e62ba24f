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
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from herald.accounts.service import Principal
from herald.api.context import AppContext, key_from_authorization
from herald.api.senderguide import parse, render
from herald.errors import HeraldError, NotFound
from herald.interactions import service as interactions_service
from herald.interactions.schemas import ReportPage, ReportQuery

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
    def authenticate(request: Request) -> Principal | None:
        return context.principal_for_key(key_from_authorization(request.headers.get("authorization")))

    def run_report(principal: Principal, message_id: int, query: ReportQuery) -> ReportPage:
        with context.database.read() as session:
            return interactions_service.report_page(
                session,
                account_id=principal.account_id,
                timezone=principal.timezone,
                message_id=message_id,
                query=query,
            )

    async def interaction_data(request: Request) -> Response:
        principal = await run_in_threadpool(authenticate, request)
        if principal is None:
            return _error(request, 401, "invalid credentials")
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _error(request, 400, "request body is too large")
        try:
            query = parse.report_query(body)
        except parse.ReportRequestError as exc:
            return _error(request, 400, exc.status)
        raw_id = request.path_params["message_id"]
        if not raw_id.isdigit() or len(raw_id) > 18:
            return _error(request, 404, "message not found")
        message_id = int(raw_id)
        try:
            page = await run_in_threadpool(run_report, principal, message_id, query)
        except NotFound:
            return _error(request, 404, "message not found")
        return Response(render.report_page(page, message_id=message_id), media_type=render.JSON)

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
