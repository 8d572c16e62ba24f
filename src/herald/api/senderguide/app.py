"""The SenderGuide (Everlytic) JSON dialect: the 3.0 interaction-data report and the 2.0 SMS webhooks.

A plain Starlette app, not FastAPI: the dialect has its own error envelope for everything (the framework's
404 and 405 included) and its hot path should not pay for dependency injection or response models.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
import structlog
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from herald.accounts import service as accounts_service
from herald.accounts.service import Principal
from herald.api.context import AppContext, key_from_authorization
from herald.api.senderguide import parse, render, webhooks
from herald.api.senderguide.cache import ReportCache
from herald.errors import HeraldError, InvalidInput, NotFound
from herald.interactions import service as interactions_service
from herald.webhooks import service as webhooks_service
from herald.webhooks.schemas import Dialect

log = structlog.get_logger()
MAX_BODY_BYTES = 64 * 1024
SMS_WEBHOOKS = "/api/2.0/production/sms/webhooks"


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

    def webhook_call(authorization: str | None, call: Callable[[Principal], bytes]) -> tuple[int, bytes]:
        """Authenticate, then run one webhook operation in its own transaction; errors become answers."""
        principal = context.principal_for_key(key_from_authorization(authorization))
        if principal is None:
            return 401, b""  # rendered by _error, with its WWW-Authenticate header
        try:
            return 200, call(principal)
        except InvalidInput as error:
            return 400, webhooks.render_invalid(error)
        except NotFound:
            return 404, webhooks.render_not_found()

    async def answer_webhook(request: Request, call: Callable[[Principal], bytes]) -> Response:
        # Low traffic: always in the threadpool (a save resolves the URL's host), whatever the database.
        status, content = await run_in_threadpool(webhook_call, request.headers.get("authorization"), call)
        if status == 401:
            return _error(request, 401, "invalid credentials")
        return Response(content, status_code=status, media_type=render.JSON)

    async def webhook_body(request: Request) -> bytes | Response:
        try:
            body = await request.body()
        except ClientDisconnect:
            return Response(status_code=499)
        # Judged after authentication, by the parser: an anonymous caller learns nothing but 401.
        return body

    def webhook_path_id(request: Request) -> str:
        if request.url.path == f"{SMS_WEBHOOKS}/create":  # the create path, with another method than POST
            raise HTTPException(405)
        raw_id: str = request.path_params["webhook_id"]
        return raw_id

    async def list_webhooks(request: Request) -> Response:
        def call(principal: Principal) -> bytes:
            with context.database.read() as session:
                views = webhooks_service.list_endpoints(
                    session, account_id=principal.account_id, dialect=Dialect.SENDERGUIDE
                )
            return webhooks.render_webhooks(views, principal.timezone)

        return await answer_webhook(request, call)

    async def create_webhook(request: Request) -> Response:
        body = await webhook_body(request)
        if isinstance(body, Response):
            return body

        def call(principal: Principal) -> bytes:
            spec = webhooks.parse_create(body)
            webhooks_service.prefetch_url(spec.url, context.webhook_policy)  # DNS outside the write lock
            with context.database.write() as session:
                created = webhooks_service.create_endpoint(
                    session,
                    account_id=principal.account_id,
                    spec=spec,
                    box=context.secrets,
                    policy=context.webhook_policy,
                )
            return webhooks.render_webhook(created.view, principal.timezone)

        return await answer_webhook(request, call)

    async def get_webhook(request: Request) -> Response:
        raw_id = webhook_path_id(request)

        def call(principal: Principal) -> bytes:
            public_id = webhooks.parse_webhook_id(raw_id)
            with context.database.read() as session:
                view = webhooks_service.get_endpoint(
                    session, account_id=principal.account_id, public_id=public_id, dialect=Dialect.SENDERGUIDE
                )
            return webhooks.render_webhook(view, principal.timezone)

        return await answer_webhook(request, call)

    async def update_webhook(request: Request) -> Response:
        raw_id = webhook_path_id(request)
        body = await webhook_body(request)
        if isinstance(body, Response):
            return body

        def call(principal: Principal) -> bytes:
            patch = webhooks.parse_update(body)  # a malformed body is a 400 whatever the id
            public_id = webhooks.parse_webhook_id(raw_id)
            webhooks_service.prefetch_url(patch.url, context.webhook_policy)
            with context.database.write() as session:
                view = webhooks_service.update_endpoint(
                    session,
                    account_id=principal.account_id,
                    public_id=public_id,
                    patch=patch,
                    box=context.secrets,
                    policy=context.webhook_policy,
                    dialect=Dialect.SENDERGUIDE,
                )
            return webhooks.render_webhook(view, principal.timezone)

        return await answer_webhook(request, call)

    async def delete_webhook(request: Request) -> Response:
        raw_id = webhook_path_id(request)

        def call(principal: Principal) -> bytes:
            public_id = webhooks.parse_webhook_id(raw_id)
            with context.database.write() as session:
                webhooks_service.delete_endpoint(
                    session, account_id=principal.account_id, public_id=public_id, dialect=Dialect.SENDERGUIDE
                )
            return webhooks.render_deleted()

        return await answer_webhook(request, call)

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
            Route(SMS_WEBHOOKS, list_webhooks, methods=["GET"]),
            Route(f"{SMS_WEBHOOKS}/create", create_webhook, methods=["POST"]),
            Route(f"{SMS_WEBHOOKS}/{{webhook_id}}", get_webhook, methods=["GET"]),
            Route(f"{SMS_WEBHOOKS}/{{webhook_id}}", update_webhook, methods=["PUT"]),
            Route(f"{SMS_WEBHOOKS}/{{webhook_id}}", delete_webhook, methods=["DELETE"]),
            Route(f"{SMS_WEBHOOKS}/{{webhook_id}}/update", update_webhook, methods=["POST"]),
            Route(f"{SMS_WEBHOOKS}/{{webhook_id}}/delete", delete_webhook, methods=["POST"]),
        ],
        exception_handlers={404: not_found, 405: not_found, HeraldError: domain_error, Exception: unexpected},
    )
    # A path with a trailing slash is another path: answered in the envelope, never with a bare redirect.
    app.router.redirect_slashes = False
    app.state.context = context
    return app
