"""``/v1/lists``: named lists of contacts and their members."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from herald.api.native.deps import Context, CurrentAccount
from herald.api.native.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode_cursor, page_of
from herald.api.native.routing import contact_key, contact_view, problem_responses
from herald.contacts.lists import service as lists_service
from herald.contacts.lists.schemas import ListCreate, ListPatch, ListView, MembersAdd, MembersAdded
from herald.contacts.schemas import ContactView

router = APIRouter(tags=["lists"])


def _list_key(view: ListView) -> int:
    return view.id


def _list_view(view: ListView) -> ListView:
    return view


@router.post("/lists", status_code=201, summary="Create a list", responses=problem_responses(409))
def create_list(command: ListCreate, context: Context, account: CurrentAccount) -> ListView:
    """List names are unique within the account (409 otherwise)."""
    with context.database.write() as session:
        return lists_service.create_list(session, account_id=account.account_id, name=command.name)


@router.get("/lists", summary="List lists")
def list_lists(
    context: Context, account: CurrentAccount, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[ListView]:
    """Lists in id order, a page at a time, each with its `member_count`."""
    after = decode_cursor(cursor)
    with context.database.read() as session:
        rows = lists_service.list_lists(session, account_id=account.account_id, after=after, fetch=limit + 1)
    return page_of(rows, limit=limit, key=_list_key, view=_list_view)


@router.get("/lists/{list_id:int}", summary="Get a list", responses=problem_responses(404))
def get_list(list_id: int, context: Context, account: CurrentAccount) -> ListView:
    with context.database.read() as session:
        return lists_service.get_list(session, account_id=account.account_id, list_id=list_id)


@router.patch("/lists/{list_id:int}", summary="Rename a list", responses=problem_responses(404, 409))
def rename_list(list_id: int, command: ListPatch, context: Context, account: CurrentAccount) -> ListView:
    with context.database.write() as session:
        return lists_service.rename_list(
            session, account_id=account.account_id, list_id=list_id, name=command.name
        )


@router.delete(
    "/lists/{list_id:int}", status_code=204, summary="Delete a list", responses=problem_responses(404, 409)
)
def delete_list(list_id: int, context: Context, account: CurrentAccount) -> Response:
    """Deletes the list and its memberships, never the contacts. A list that a segment's condition names
    cannot be deleted (409) until the segment is changed or deleted."""
    with context.database.write() as session:
        lists_service.delete_list(session, account_id=account.account_id, list_id=list_id)
    return Response(status_code=204)


@router.post("/lists/{list_id:int}/members", summary="Add members", responses=problem_responses(400, 404))
def add_members(list_id: int, command: MembersAdd, context: Context, account: CurrentAccount) -> MembersAdded:
    """Adds up to 10,000 contacts to the list; contacts that are members already are counted, not changed.
    Every id must be a contact of the account: otherwise a 400 names the unknown ids and nothing is added."""
    with context.database.write() as session:
        return lists_service.add_members(
            session, account_id=account.account_id, list_id=list_id, contact_ids=command.contact_ids
        )


@router.get("/lists/{list_id:int}/members", summary="List members", responses=problem_responses(404))
def list_members(
    list_id: int,
    context: Context,
    account: CurrentAccount,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[ContactView]:
    """The member contacts in contact id order, a page at a time."""
    after = decode_cursor(cursor)
    with context.database.read() as session:
        rows = lists_service.list_members(
            session, account_id=account.account_id, list_id=list_id, after=after, fetch=limit + 1
        )
    return page_of(rows, limit=limit, key=contact_key, view=contact_view)


@router.delete(
    "/lists/{list_id:int}/members/{contact_id:int}",
    status_code=204,
    summary="Remove a member",
    responses=problem_responses(404),
)
def remove_member(list_id: int, contact_id: int, context: Context, account: CurrentAccount) -> Response:
    """Takes the contact off the list (the contact stays); 404 when it is not a member."""
    with context.database.write() as session:
        lists_service.remove_member(
            session, account_id=account.account_id, list_id=list_id, contact_id=contact_id
        )
    return Response(status_code=204)
