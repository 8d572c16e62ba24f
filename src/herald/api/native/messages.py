"""Native ``/v1/messages``: create, read, change, soft-delete and list messages (email, SMS, MMS)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam

from herald.api.native.deps import Context, CurrentAccount
from herald.api.native.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode_cursor, page_of
from herald.messages import service as messages_service
from herald.messages.schemas import (
    MessageCreate,
    MessageFilter,
    MessageStatus,
    MessageType,
    MessageUpdate,
    MessageView,
)
from herald.types import Channel

router = APIRouter(tags=["messages"])

MessageId = Annotated[int, PathParam(description="The message's id.")]

_RULES = """
Rules checked on every create and on the merged result of every change (400 `invalid_input`, each
problem named in `errors`):

* `subject` is for `email` and `mms`; an `sms` message with a subject is refused (an empty string
  counts as no subject).
* `throttling_hours` (1 to 8760) is required when `throttling_method` is `Manual` and must be absent or
  null otherwise.
* every id in `list_ids`, `segment_ids`, `excluded_list_ids` and `excluded_segment_ids` must be a list
  or segment of your account (unknown ids are named); a list or segment cannot be both targeted and
  excluded. Repeated ids and tags are kept once, in their first position.
"""


@router.post(
    "/messages",
    status_code=201,
    response_model=MessageView,
    summary="Create a message",
    description="Creates a message in the given `status` (default `Draft`; other statuses are kept as "
    "given, e.g. to import messages sent elsewhere). Answers 201 with the message and a `Location`.\n"
    + _RULES,
)
def create_message(
    command: MessageCreate, context: Context, account: CurrentAccount, response: Response
) -> MessageView:
    with context.database.write() as session:
        view = messages_service.create_message(session, account_id=account.account_id, command=command)
    response.headers["Location"] = f"/v1/messages/{view.id}"
    return view


@router.get("/messages/{message_id:int}", response_model=MessageView, summary="Get a message")
def get_message(message_id: MessageId, context: Context, account: CurrentAccount) -> MessageView:
    """A message of your account, `Deleted` ones included; 404 for any other id."""
    with context.database.read() as session:
        return messages_service.get_message(session, account_id=account.account_id, message_id=message_id)


@router.patch(
    "/messages/{message_id:int}",
    response_model=MessageView,
    summary="Change a message",
    description="""Changes only the fields present; `null` clears `subject` and `throttling_hours`.
Leaving `throttling_method` `Manual` without giving `throttling_hours` clears the hours.

**Content** (every field but `status`) can change only while the message is `Draft`, `Scheduled` or
`Paused`, judged on its status before the request; otherwise 409 `conflict`.

**Status** moves only along these transitions (setting the current status again is a no-op), otherwise
409 `conflict` naming the current and requested status and the allowed ones:

| from | to |
|---|---|
| Draft | Scheduled, InProgress, Deleted |
| Scheduled | Draft, InProgress, Paused, Deleted |
| InProgress | Paused, Sent |
| Paused | InProgress, Scheduled, Deleted |
| Sent | Deleted |
| Deleted | (none) |
"""
    + _RULES,
)
def update_message(
    message_id: MessageId, changes: MessageUpdate, context: Context, account: CurrentAccount
) -> MessageView:
    with context.database.write() as session:
        return messages_service.update_message(
            session, account_id=account.account_id, message_id=message_id, changes=changes
        )


@router.delete(
    "/messages/{message_id:int}",
    status_code=204,
    response_class=Response,
    summary="Delete a message",
    description="Marks the message `Deleted` (204). The message and its interactions stay: reports and "
    "`GET /v1/messages/{id}` still show it. Deleting a `Deleted` message again is a no-op (204); a message "
    "`InProgress` cannot be deleted (409: pause it first).",
)
def delete_message(message_id: MessageId, context: Context, account: CurrentAccount) -> Response:
    with context.database.write() as session:
        messages_service.delete_message(session, account_id=account.account_id, message_id=message_id)
    return Response(status_code=204)


@router.get(
    "/messages",
    response_model=Page[MessageView],
    summary="List messages",
    description="Your messages by increasing id, one page at a time. `Deleted` messages are left out "
    "unless you ask for them with `status=Deleted`. `tag` matches one tag exactly.",
)
def list_messages(
    context: Context,
    account: CurrentAccount,
    channel: Annotated[Channel | None, Query()] = None,
    type: Annotated[MessageType | None, Query()] = None,
    status: Annotated[MessageStatus | None, Query()] = None,
    tag: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[MessageView]:
    after = decode_cursor(cursor)
    filters = MessageFilter(channel=channel, type=type, status=status, tag=tag)
    with context.database.read() as session:
        rows = messages_service.list_messages(
            session, account_id=account.account_id, filters=filters, after=after, limit=limit + 1
        )
    return page_of(rows, limit=limit, key=lambda view: view.id, view=lambda view: view)
