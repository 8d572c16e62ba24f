"""``POST /api/3.0/messages/interaction-data/{id}``: one page of a message's interactions of one type.

Pages are numbered and hold ``PAGE_SIZE`` rows: the vendor's paging, turned here into a slice of the
ledger's report (``interactions.report``), whose walk over its counters makes every page cost the same.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from herald.accounts import service as accounts_service
from herald.api.context import AppContext, key_from_authorization
from herald.api.senderguide import parse, render
from herald.api.senderguide.cache import ReportCache
from herald.api.senderguide.errors import error_response
from herald.errors import NotFound
from herald.interactions import report as interactions_report
from herald.types import is_possible_id, parse_integer

MAX_BODY_BYTES = 64 * 1024
PAGE_SIZE = 100


def answer_report(
    context: AppContext, authorization: str | None, raw_id: str, body: bytes
) -> tuple[int, bytes]:
    """Authenticate, check the body, and read the page, all in one read transaction and one thread."""
    key = key_from_authorization(authorization)
    with context.database.read() as session:
        principal = accounts_service.authenticate(session, key=key) if key else None
        if principal is None:
            return 401, render.report_error(401, "invalid credentials")
        try:
            request = parse.report_query(body)
        except parse.ReportRequestError as exc:
            return 400, render.report_error(400, exc.status)
        message_id = parse_integer(raw_id) if raw_id[:1].isascii() and raw_id[:1].isdigit() else None
        if message_id is None or not is_possible_id(message_id):
            return 404, render.report_error(404, "message not found")
        try:
            rows = interactions_report.report_slice(
                session,
                account_id=principal.account_id,
                timezone=principal.timezone,
                message_id=message_id,
                query=request.slice(PAGE_SIZE),
            )
        except NotFound:
            return 404, render.report_error(404, "message not found")
    return 200, render.report_page(rows, message_id=message_id, page=request.page, page_size=PAGE_SIZE)


async def interaction_data(request: Request) -> Response:
    context: AppContext = request.app.state.context
    cache: ReportCache = request.app.state.report_cache
    try:
        body = await request.body()
    except ClientDisconnect:
        return Response(status_code=499)
    if len(body) > MAX_BODY_BYTES:
        return error_response(request, 400, "request body is too large")
    authorization = request.headers.get("authorization")
    raw_id = request.path_params["message_id"]
    key = cache.key(authorization, raw_id, body)
    generation = context.ledger_changed
    cached = cache.get(key, generation)
    if cached is not None:
        return Response(cached.body, status_code=cached.status, media_type=render.JSON)
    # SQLite answers a page in about a millisecond of CPU from a local file: doing it on the event loop
    # beats a threadpool hop, whose threads would convoy on the GIL (the driver releases it per row).
    # PostgreSQL waits on the network, so it goes to the threadpool.
    if context.database.dialect == "sqlite":
        status, content = answer_report(context, authorization, raw_id, body)
    else:
        status, content = await run_in_threadpool(answer_report, context, authorization, raw_id, body)
    cache.put(key, status=status, body=content, generation=generation)
    headers = {"WWW-Authenticate": 'Basic realm="herald"'} if status == 401 else None
    return Response(content, status_code=status, media_type=render.JSON, headers=headers)
