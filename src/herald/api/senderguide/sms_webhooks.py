"""``/api/2.0/production/sms/webhooks``: create, list, get, update (PUT and the POST alias) and delete
(DELETE and the POST alias) SenderGuide SMS webhooks. Credentials are checked before the body is judged:
an anonymous caller learns nothing but 401."""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from herald.accounts.schemas import Principal
from herald.api.bodies import BodyTooLarge, ClientGone, read_body
from herald.api.context import AppContext, key_from_authorization
from herald.api.senderguide import render, webhook_wire
from herald.api.senderguide.codes import DIALECT
from herald.api.senderguide.errors import error_response
from herald.errors import InvalidInput, NotFound
from herald.webhooks import service as webhooks_service

SMS_WEBHOOKS = "/api/2.0/production/sms/webhooks"
Operation = Callable[[AppContext, Principal, bytes], bytes]


def _run(context: AppContext, principal: Principal, operation: Operation, body: bytes) -> tuple[int, bytes]:
    """Run one webhook operation in its own transaction; errors become answers."""
    try:
        return 200, operation(context, principal, body)
    except InvalidInput as error:
        return 400, webhook_wire.render_invalid(error)
    except NotFound:
        return 404, webhook_wire.render_not_found()


async def _answer(request: Request, operation: Operation, *, reads_body: bool = False) -> Response:
    """Credentials first (401), then the body's size (400), then the body and the operation. Low traffic:
    always in the threadpool (a save resolves the URL's host), whatever the database."""
    context: AppContext = request.app.state.context
    key = key_from_authorization(request.headers.get("authorization"))
    principal = await run_in_threadpool(context.principal_for_key, key)
    if principal is None:
        return error_response(request, 401, "invalid credentials")
    body = b""
    if reads_body:
        try:
            body = await read_body(request.scope, request.receive, webhook_wire.MAX_BODY_BYTES)
        except BodyTooLarge:
            too_large = webhook_wire.render_invalid(InvalidInput(webhook_wire.TOO_LARGE))
            return Response(too_large, status_code=400, media_type=render.JSON)
        except ClientGone:
            return Response(status_code=499)
    status, content = await run_in_threadpool(_run, context, principal, operation, body)
    return Response(content, status_code=status, media_type=render.JSON)


def _path_id(request: Request) -> str:
    if request.url.path == f"{SMS_WEBHOOKS}/create":  # the create path, with another method than POST
        raise HTTPException(405)
    raw_id: str = request.path_params["webhook_id"]
    return raw_id


async def list_webhooks(request: Request) -> Response:
    def operation(context: AppContext, principal: Principal, body: bytes) -> bytes:
        with context.database.read() as session:
            views = webhooks_service.list_endpoints(session, account_id=principal.account_id, dialect=DIALECT)
        return webhook_wire.render_webhooks(views, principal.timezone)

    return await _answer(request, operation)


async def create_webhook(request: Request) -> Response:
    def operation(context: AppContext, principal: Principal, body: bytes) -> bytes:
        spec = webhook_wire.parse_create(body)
        webhooks_service.prefetch_url(spec.url, context.webhook_policy)  # DNS outside the write lock
        with context.database.write() as session:
            created = webhooks_service.create_endpoint(
                session,
                account_id=principal.account_id,
                spec=spec,
                box=context.secrets,
                policy=context.webhook_policy,
            )
        return webhook_wire.render_webhook(created.view, principal.timezone)

    return await _answer(request, operation, reads_body=True)


async def get_webhook(request: Request) -> Response:
    raw_id = _path_id(request)

    def operation(context: AppContext, principal: Principal, body: bytes) -> bytes:
        public_id = webhook_wire.parse_webhook_id(raw_id)
        with context.database.read() as session:
            view = webhooks_service.get_endpoint(
                session, account_id=principal.account_id, public_id=public_id, dialect=DIALECT
            )
        return webhook_wire.render_webhook(view, principal.timezone)

    return await _answer(request, operation)


async def update_webhook(request: Request) -> Response:
    raw_id = _path_id(request)

    def operation(context: AppContext, principal: Principal, body: bytes) -> bytes:
        patch = webhook_wire.parse_update(body)  # a malformed body is a 400 whatever the id
        public_id = webhook_wire.parse_webhook_id(raw_id)
        webhooks_service.prefetch_url(patch.url, context.webhook_policy)
        with context.database.write() as session:
            view = webhooks_service.update_endpoint(
                session,
                account_id=principal.account_id,
                public_id=public_id,
                patch=patch,
                box=context.secrets,
                policy=context.webhook_policy,
                dialect=DIALECT,
            )
        return webhook_wire.render_webhook(view, principal.timezone)

    return await _answer(request, operation, reads_body=True)


async def delete_webhook(request: Request) -> Response:
    raw_id = _path_id(request)

    def operation(context: AppContext, principal: Principal, body: bytes) -> bytes:
        public_id = webhook_wire.parse_webhook_id(raw_id)
        with context.database.write() as session:
            webhooks_service.delete_endpoint(
                session, account_id=principal.account_id, public_id=public_id, dialect=DIALECT
            )
        return webhook_wire.render_deleted()

    return await _answer(request, operation)
