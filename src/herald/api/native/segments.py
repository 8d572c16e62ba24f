"""``/v1/segments``: saved filters over contact attributes and list membership, evaluated when read."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from herald.api.native.deps import Context, CurrentAccount
from herald.api.native.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode_cursor, page_of
from herald.api.native.routing import contact_key, contact_view, problem_responses
from herald.contacts.schemas import ContactView
from herald.contacts.segments import service as segments_service
from herald.contacts.segments.schemas import SegmentCreate, SegmentPatch, SegmentView

router = APIRouter(tags=["segments"])

SEGMENT_DESCRIPTION = """
A segment is `match` (`all`: every condition holds, `any`: at least one does) over 1 to 50 conditions:

* `{"attribute": "city", "op": ..., "value": ...}` with `op` one of `eq`, `ne`, `in`, `not_in` (a list of
  values), `exists`, `not_exists` (no value), `gt`, `gte`, `lt`, `lte` (a number or a string), `contains`
  (a string; case-sensitive substring).
* `{"list_id": 3, "op": "member" | "not_member"}`; the list must be one of the account's.

Values compare only with stored values of their own kind: the string `"5"` never equals the number `5`,
strings order by code point. A missing attribute has no value, so it never satisfies `eq`, `in`,
`exists`, a comparison or `contains`, and always satisfies their negations `ne`, `not_in`, `not_exists`.
Names are unique within the account (409).
"""


def _segment_key(view: SegmentView) -> int:
    return view.id


def _segment_view(view: SegmentView) -> SegmentView:
    return view


@router.post(
    "/segments",
    status_code=201,
    summary="Create a segment",
    description=SEGMENT_DESCRIPTION,
    responses=problem_responses(400, 409),
)
def create_segment(command: SegmentCreate, context: Context, account: CurrentAccount) -> SegmentView:
    with context.database.write() as session:
        return segments_service.create_segment(session, account_id=account.account_id, command=command)


@router.get("/segments", summary="List segments")
def list_segments(
    context: Context, account: CurrentAccount, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[SegmentView]:
    after = decode_cursor(cursor)
    with context.database.read() as session:
        rows = segments_service.list_segments(
            session, account_id=account.account_id, after=after, fetch=limit + 1
        )
    return page_of(rows, limit=limit, key=_segment_key, view=_segment_view)


@router.get("/segments/{segment_id:int}", summary="Get a segment", responses=problem_responses(404))
def get_segment(segment_id: int, context: Context, account: CurrentAccount) -> SegmentView:
    with context.database.read() as session:
        return segments_service.get_segment(session, account_id=account.account_id, segment_id=segment_id)


@router.patch(
    "/segments/{segment_id:int}", summary="Update a segment", responses=problem_responses(400, 404, 409)
)
def update_segment(
    segment_id: int, patch: SegmentPatch, context: Context, account: CurrentAccount
) -> SegmentView:
    """Given fields replace the stored ones; `conditions`, when given, replaces all conditions."""
    with context.database.write() as session:
        return segments_service.update_segment(
            session, account_id=account.account_id, segment_id=segment_id, patch=patch
        )


@router.delete(
    "/segments/{segment_id:int}",
    status_code=204,
    summary="Delete a segment",
    responses=problem_responses(404),
)
def delete_segment(segment_id: int, context: Context, account: CurrentAccount) -> Response:
    with context.database.write() as session:
        segments_service.delete_segment(session, account_id=account.account_id, segment_id=segment_id)
    return Response(status_code=204)


@router.get(
    "/segments/{segment_id:int}/contacts", summary="Contacts in a segment", responses=problem_responses(404)
)
def segment_contacts(
    segment_id: int,
    context: Context,
    account: CurrentAccount,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[ContactView]:
    """The contacts matching the segment now, in id order, a page at a time."""
    after = decode_cursor(cursor)
    with context.database.read() as session:
        rows = segments_service.segment_contacts(
            session, account_id=account.account_id, segment_id=segment_id, after=after, fetch=limit + 1
        )
    return page_of(rows, limit=limit, key=contact_key, view=contact_view)
