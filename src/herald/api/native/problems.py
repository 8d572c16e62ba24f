"""RFC 9457 problem details: the only error shape the native API answers with."""

from __future__ import annotations

from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from herald.api.methods import allowed_methods
from herald.errors import HeraldError

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger()

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
}


def problem_body(
    status: int, detail: str, *, code: str | None = None, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The RFC 9457 object: ``type``, ``title``, ``status``, ``detail``, and Herald's ``code``/``errors``."""
    body: dict[str, Any] = {
        "type": f"https://herald.dev/problems/{code}" if code else "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if code:
        body["code"] = code
    if errors:
        body["errors"] = errors
    return body


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = problem_body(status, detail, code=code, errors=errors)
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "[key]")]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    """Route every error, the framework's own included, through ``problem``."""

    @app.exception_handler(HeraldError)
    async def _herald(_: Request, exc: HeraldError) -> Response:
        headers = {"WWW-Authenticate": 'Bearer realm="herald"'} if exc.status == 401 else None
        errors = [{"field": p.field, "reason": p.reason} for p in exc.problems] or None
        return problem(exc.status, exc.detail, code=exc.code, errors=errors, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": _location(e.get("loc", ())), "reason": e.get("msg", "invalid")} for e in exc.errors()
        ]
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return problem(400, "request body is not valid JSON", code="invalid_json")
        return problem(422, "the request does not match the schema", code="invalid_input", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            allowed = allowed_methods(app.router.routes, request.scope)
            allow = {"Allow": ", ".join(allowed)}
            if request.method == "OPTIONS":  # what may be done here: an answer, not an error
                return Response(status_code=204, headers=allow)
            return problem(
                405, f"{request.method} is not allowed here; allowed: {allow['Allow']}", headers=allow
            )
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's own answer for a body it cannot decode (bad UTF-8, nesting too deep)
            return problem(400, "request body is not valid JSON", code="invalid_json")
        if exc.status_code == 404:  # no route: the path names nothing (an id that is not a number too)
            return problem(404, "not found", code="not_found")
        return problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("native.unhandled_error", path=request.url.path)
        return problem(500, "an unexpected error occurred; it has been logged", code="internal")
