"""Credentials before bodies on the native API, as an ASGI middleware in front of FastAPI.

FastAPI reads a route's JSON body before it resolves the route's dependencies, the API key among them,
so without this an anonymous caller could make the server read and hold a body of any size. Here every
request that may carry a body is authenticated first (401 problem), then refused by its declared length
(413 problem), then read up to its route's limit and handed on; the principal found is kept in the
request state, so the route's own dependency does not look the key up again.
"""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from herald.api.bodies import BodyTooLarge, ClientGone, read_body, refuse_declared, replay
from herald.api.context import AppContext, key_from_authorization
from herald.api.native.problems import PROBLEM_JSON, problem_body

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_LIMIT = 1024 * 1024
# Routes with a larger allowance; a route that reads its body as a stream enforces its limit itself, so
# here only its declared length is judged.
LIMITS: dict[str, int] = {"/v1/interactions": 64 * 1024 * 1024}
STREAMED: dict[str, int] = {"/v1/contacts/import": 200 * 1024 * 1024}


def key_of(headers: Headers) -> str | None:
    """The API key of ``Authorization: Bearer KEY`` (or Basic with the key as password) or ``X-API-Key``."""
    return key_from_authorization(headers.get("authorization")) or headers.get("x-api-key") or None


class CredentialsFirst:
    def __init__(self, app: ASGIApp, context: AppContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        key = key_of(Headers(scope=scope))
        principal = await run_in_threadpool(self.context.principal_for_key, key) if key else None
        if principal is None:
            detail = "missing or invalid API key" if key else "an API key is required"
            await _answer(send, 401, detail, "unauthenticated", {"WWW-Authenticate": 'Bearer realm="herald"'})
            return
        scope.setdefault("state", {})["principal"] = principal
        path: str = scope["path"]
        try:
            if path in STREAMED:
                refuse_declared(scope, STREAMED[path])
            else:
                body = await read_body(scope, receive, LIMITS.get(path, DEFAULT_LIMIT))
                receive = replay(body, receive)
        except BodyTooLarge as too_large:
            await _answer(send, 413, f"the body is larger than {too_large.limit} bytes", "too_large")
            return
        except ClientGone:
            return
        await self.app(scope, receive, send)


async def _answer(
    send: Send, status: int, detail: str, code: str, headers: dict[str, str] | None = None
) -> None:
    body = orjson.dumps(problem_body(status, detail, code=code))
    raw_headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        # The body was not read: the connection cannot carry another request.
        (b"connection", b"close"),
        *((name.lower().encode(), value.encode()) for name, value in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})
