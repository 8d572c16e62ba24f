"""The ExpertSender XML dialect: routing glue between ASGI, ``parse``, the messages service and ``render``.

A plain ASGI app rather than a framework router, because ExpertSender (ASP.NET) matches paths ignoring
case, with or without ``/v2`` and a trailing slash, and every answer, the 404 of an unknown path, the 405
of a wrong method and the 500 of a bug included, must be the vendor's XML ``ErrorMessage``.

Checks run in this order, one error per response: path (404), method (405), ``apiKey`` (403), query
parameters or the id's syntax (400), the message itself (404).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from herald.accounts.schemas import Principal
from herald.api.context import AppContext
from herald.api.expertsender import codes, parse, render, views
from herald.errors import HeraldError, NotFound, Unauthenticated

log = structlog.get_logger()

_PREFIX = r"^/(?:v2/)?api/"
_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(_PREFIX + r"smsmmsmessages/?$", re.IGNORECASE), "messages"),
    (re.compile(_PREFIX + r"smsmmsmessages/([^/]+)/?$", re.IGNORECASE), "message"),
]
_READ_METHODS = ("GET", "HEAD")
_INTERNAL_ERROR = "Internal server error. The error has been logged."


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


def _error(status: int, message: str) -> Answer:
    return Answer(status, render.error(status, message))


class ExpertSenderApp:
    def __init__(self, context: AppContext) -> None:
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        try:
            answer = await self._answer(scope)
        except Exception:
            log.exception("expertsender.unhandled_error", path=scope.get("path"), method=scope.get("method"))
            answer = _error(500, _INTERNAL_ERROR)
        headers = [
            (b"content-type", render.CONTENT_TYPE.encode()),
            (b"content-length", str(len(answer.body)).encode()),
            (b"cache-control", b"private"),
        ]
        if answer.status == 405:
            headers.append((b"allow", ", ".join(_READ_METHODS).encode()))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        body = b"" if scope["method"] == "HEAD" else answer.body
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope: Scope) -> Answer:
        path: str = scope["path"]
        route = next(((name, m) for pattern, name in _ROUTES if (m := pattern.match(path))), None)
        if route is None:
            return _error(404, f"Resource not found: {path}")
        name, match = route
        if scope["method"] not in _READ_METHODS:
            return _error(405, f"Method {scope['method']} is not allowed here; use GET.")
        params = parse.query_params(scope.get("query_string", b""))
        if name == "messages":
            return await run_in_threadpool(self._guarded, params, self._messages)
        segment = match.group(1)
        return await run_in_threadpool(
            self._guarded, params, lambda p, principal: self._message(segment, principal)
        )

    def _guarded(
        self, params: dict[str, str], handler: Callable[[dict[str, str], Principal], bytes]
    ) -> Answer:
        """Authenticate, run the handler, and turn Herald's errors into the vendor's (in a worker thread)."""
        try:
            key = parse.api_key(params)
            principal = self.context.principal_for_key(key)
            if principal is None:
                raise Unauthenticated("Invalid API key." if key else "Invalid API key: apiKey is required.")
            return Answer(200, handler(params, principal))
        except HeraldError as exc:
            return _error(codes.error_status(exc), exc.detail)

    def _messages(self, params: dict[str, str], principal: Principal) -> bytes:
        query = parse.list_query(params, timezone=principal.timezone)
        with self.context.database.read() as session:
            summaries = views.message_summaries(session, account_id=principal.account_id, query=query)
        return render.message_list(summaries, timezone=principal.timezone)

    def _message(self, segment: str, principal: Principal) -> bytes:
        message_id = parse.message_id(segment)
        if message_id is None:
            raise NotFound(f"SMS/MMS message {segment} not found")
        with self.context.database.read() as session:
            view = views.message_detail(session, account_id=principal.account_id, message_id=message_id)
        return render.message_detail(view, timezone=principal.timezone)


def create_expertsender_app(context: AppContext) -> ASGIApp:
    return ExpertSenderApp(context)
