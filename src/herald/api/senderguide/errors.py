"""The SenderGuide error envelopes: which family a path belongs to decides the shape of every error."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from herald.api.senderguide import render


def is_v2(request: Request) -> bool:
    return request.url.path.startswith("/api/2.")


def error_response(request: Request, code: int, status: str) -> Response:
    """The envelope of the family the path belongs to (the 3.0 report, or the 2.0 SMS API)."""
    if is_v2(request):
        body = (
            orjson.dumps("Invalid credentials.")
            if code == 401
            else orjson.dumps({"status": "error", "message": status})
        )
    else:
        body = render.report_error(code, status)
    headers = {"WWW-Authenticate": 'Basic realm="herald"'} if code == 401 else None
    return Response(body, status_code=code, media_type=render.JSON, headers=headers)
