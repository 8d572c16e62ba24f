"""``/v1/suppressions``: addresses not to send to on a channel, and why."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from herald.api.native.deps import Context, CurrentAccount
from herald.api.native.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode_cursor, page_of
from herald.api.native.routing import problem_responses
from herald.contacts.suppressions import service as suppressions_service
from herald.contacts.suppressions.schemas import SuppressibleChannel, SuppressionCreate, SuppressionView

router = APIRouter(tags=["suppressions"])


def _key(view: SuppressionView) -> int:
    return view.id


def _view(view: SuppressionView) -> SuppressionView:
    return view


@router.post("/suppressions", status_code=201, summary="Suppress an address")
def add_suppression(command: SuppressionCreate, context: Context, account: CurrentAccount) -> SuppressionView:
    """Idempotent on (channel, address): the answer is 201 with the suppression either way; when the
    address was suppressed already it keeps its id and `created_at` and takes the `reason` sent.
    `address` is an email for `email` (stored lower-cased) and an E.164 number for `sms`."""
    with context.database.write() as session:
        view, _created = suppressions_service.add_suppression(
            session, account_id=account.account_id, command=command
        )
    return view


@router.get("/suppressions", summary="List suppressions")
def list_suppressions(
    context: Context,
    account: CurrentAccount,
    channel: Annotated[SuppressibleChannel | None, Query(description="Only this channel.")] = None,
    address: Annotated[str | None, Query(description="Only this address (emails in any case).")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[SuppressionView]:
    after = decode_cursor(cursor)
    with context.database.read() as session:
        rows = suppressions_service.list_suppressions(
            session,
            account_id=account.account_id,
            after=after,
            fetch=limit + 1,
            channel=channel,
            address=address,
        )
    return page_of(rows, limit=limit, key=_key, view=_view)


@router.delete(
    "/suppressions/{suppression_id:int}",
    status_code=204,
    summary="Lift a suppression",
    responses=problem_responses(404),
)
def delete_suppression(suppression_id: int, context: Context, account: CurrentAccount) -> Response:
    with context.database.write() as session:
        suppressions_service.delete_suppression(
            session, account_id=account.account_id, suppression_id=suppression_id
        )
    return Response(status_code=204)
