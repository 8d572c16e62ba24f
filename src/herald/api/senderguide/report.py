"""``POST /api/3.0/messages/interaction-data/{id}``: one page of a message's interactions of one type.

Pages are numbered and hold ``PAGE_SIZE`` rows: the vendor's paging, turned here into a slice of the
ledger's report (``interactions.report``), whose walk over its counters makes every page cost the same.
"""

from __future__ import annotations

from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from herald.accounts import service as accounts_service
from herald.accounts.schemas import Principal
from herald.api.bodies import BodyTooLarge, ClientGone, read_body
from herald.api.context import AppContext, key_from_authorization
from herald.api.senderguide import parse, render
from herald.api.senderguide.cache import ReportCache
from herald.api.senderguide.errors import error_response
from herald.errors import NotFound
from herald.interactions import report as interactions_report
from herald.types import is_possible_id, parse_integer

MAX_BODY_BYTES = 64 * 1024
PAGE_SIZE = 100


def check_caller(
    context: AppContext, authorization: str | None, message_id: int | None, *, with_version: bool = True
) -> tuple[Principal | None, int]:
    """Who asks, and the report version of the message they ask for: what decides whether a cached page
    may answer. Runs before the body is read, on every request the change stamp cannot vouch for, so the
    two reads need no common snapshot (``glance``): the version is read after the key, and a page read
    later still is at least as new as the version it is cached under."""
    key = key_from_authorization(authorization)
    with context.database.glance() as session:
        principal = accounts_service.authenticate(session, key=key) if key else None
        if principal is not None:
            context.note_use(principal)
        if principal is None or message_id is None or not with_version:
            return principal, 0
        return principal, interactions_report.report_version(session, message_id=message_id)


def answer_report(
    context: AppContext, principal: Principal, message_id: int | None, body: bytes
) -> tuple[int, bytes]:
    """Check the body, then read the page, in one read transaction and one thread."""
    try:
        request = parse.report_query(body)
    except parse.ReportRequestError as exc:
        return 400, render.report_error(400, exc.status)
    if message_id is None:
        return 404, render.report_error(404, "message not found")
    with context.database.read() as session:
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


def path_message_id(raw_id: str) -> int | None:
    """The id in the path: ASCII digits naming a possible row, else None (answered 404)."""
    message_id = parse_integer(raw_id) if raw_id[:1].isascii() and raw_id[:1].isdigit() else None
    return message_id if message_id is not None and is_possible_id(message_id) else None


def report_version(context: AppContext, message_id: int | None) -> int:
    if message_id is None:
        return 0
    with context.database.glance() as session:
        return interactions_report.report_version(session, message_id=message_id)


async def interaction_data(request: Request) -> Response:
    """Credentials, then the body's size, then the body; a cached page answers only while it is the page
    this request would render (``cache.py`` says how that is known without a query on SQLite)."""
    context: AppContext = request.app.state.context
    cache: ReportCache = request.app.state.report_cache
    authorization = request.headers.get("authorization")
    message_id = path_message_id(request.path_params["message_id"])
    # SQLite answers in about a millisecond of CPU from a local file: doing it on the event loop beats a
    # threadpool hop, whose threads would convoy on the GIL (the driver releases it per row). PostgreSQL
    # waits on the network, so it goes to the threadpool.
    inline = context.database.dialect == "sqlite"
    stamp = context.database.change_stamp()  # read first: anything committed after it moves it
    version: int | None = None
    principal = cache.known_caller(authorization, stamp)
    if principal is None:
        caching = cache.seconds > 0  # without the cache the version is never asked for
        if inline:
            principal, version = check_caller(context, authorization, message_id, with_version=caching)
        else:
            principal, version = await run_in_threadpool(
                partial(check_caller, with_version=caching), context, authorization, message_id
            )
        if principal is None:
            return error_response(request, 401, "invalid credentials")
        cache.remember_caller(authorization, principal, stamp)
    else:
        context.note_use(principal)
    try:
        body = await read_body(request.scope, request.receive, MAX_BODY_BYTES)
    except BodyTooLarge:
        return error_response(request, 400, "request body is too large")
    except ClientGone:
        return Response(status_code=499)
    key = cache.key(principal.account_id, principal.timezone, message_id, body)
    cached = cache.entry(key)
    if cached is not None and not (stamp is not None and cached.stamp == stamp):
        if version is None:
            version = report_version(context, message_id)
        if cached.version != version:
            cached = None
        else:
            cached.stamp = stamp  # still this page: valid again until the next commit
    if cached is not None:
        return Response(cached.body, status_code=cached.status, media_type=render.JSON)
    if version is None and cache.seconds > 0:
        version = report_version(context, message_id)
    if inline:
        status, content = answer_report(context, principal, message_id, body)
    else:
        status, content = await run_in_threadpool(answer_report, context, principal, message_id, body)
    cache.put(key, status=status, body=content, version=version or 0, stamp=stamp)
    return Response(content, status_code=status, media_type=render.JSON)
