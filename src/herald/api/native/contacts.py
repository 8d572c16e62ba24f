"""``/v1/contacts``: contacts one by one, and the bulk import (CSV or NDJSON, all rows or none)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from herald.api.native.deps import Context, CurrentAccount
from herald.api.native.guard import STREAMED
from herald.api.native.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode_cursor, page_of
from herald.api.native.problems import PROBLEM_JSON, problem
from herald.api.native.routing import contact_key, contact_view, problem_responses
from herald.contacts import service as contacts_service
from herald.contacts.imports import parsing as importing
from herald.contacts.imports import service as imports_service
from herald.contacts.imports.errors import ImportRejected
from herald.contacts.imports.schemas import ImportResult
from herald.contacts.schemas import ContactCreate, ContactFilter, ContactPatch, ContactView

router = APIRouter(tags=["contacts"])
MAX_IMPORT_BYTES = STREAMED["/v1/contacts/import"]


@router.post(
    "/contacts",
    status_code=201,
    summary="Create a contact",
    responses=problem_responses(409),
)
def create_contact(command: ContactCreate, context: Context, account: CurrentAccount) -> ContactView:
    """A contact needs an email or a phone (or both). The email is stored lower-cased; the phone must be
    E.164. Attribute values are scalars (string, number, boolean); null values are dropped. An email or
    phone that another contact of the account has is a 409."""
    with context.database.write() as session:
        return contacts_service.create_contact(session, account_id=account.account_id, command=command)


@router.get("/contacts", summary="List contacts")
def list_contacts(
    context: Context,
    account: CurrentAccount,
    email: Annotated[str | None, Query(description="Only the contact with this email (any case).")] = None,
    phone: Annotated[str | None, Query(description="Only the contact with this E.164 phone.")] = None,
    list_id: Annotated[int | None, Query(description="Only members of this list.")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[ContactView]:
    """Contacts in id order, a page at a time; filters combine with AND."""
    after = decode_cursor(cursor)
    with context.database.read() as session:
        rows = contacts_service.list_contacts(
            session,
            account_id=account.account_id,
            after=after,
            fetch=limit + 1,
            filters=ContactFilter(email=email, phone=phone, list_id=list_id),
        )
    return page_of(rows, limit=limit, key=contact_key, view=contact_view)


IMPORT_DESCRIPTION = """
Create or update many contacts in one transaction: either every row is imported or none is.

Send `Content-Type: text/csv` or `application/x-ndjson`; the body is read as it arrives, up to 200 MB.

* **CSV**: a header row, then a contact a row. The columns `email` and `phone` (any case) are the contact's;
  a `lists` column may hold `;`-separated list ids to add the contact to; every other named column is an
  attribute with a *string* value (an empty cell leaves that attribute unchanged). Blank lines are skipped.
* **NDJSON**: one object a line: `{"email", "phone", "attributes", "list_ids"}`, typed values.

A row updates the contact with its email or, when none has it, the contact with its phone; otherwise it
creates one. Rows apply in order, so a contact named twice ends as the later row leaves it. Attributes
merge key by key (null deletes a key), a row's phone replaces the contact's, and an email is only added
to a contact that had none. `updated` counts existing contacts that rows matched.

Any bad row (format, unknown list, a phone another contact keeps) makes the answer a 422 problem with
`errors: [{"row", "field", "reason"}]` (rows count from 1, blank lines excluded; row 0 is the CSV header;
at most 1000 listed, `error_count` gives the total), and nothing is written. `?dry_run=true` checks
everything and answers the counts without writing.
"""

_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": "email,phone,first_name,city,lists\nada@example.com,+14155550123,Ada,London,3;7\n",
            },
            "application/x-ndjson": {
                "schema": {"type": "string"},
                "example": '{"email": "ada@example.com", "attributes": {"age": 36}, "list_ids": [3]}\n'
                '{"phone": "+14155550123", "attributes": {"vip": true}}\n',
            },
        },
    }
}


def _rejected(exc: ImportRejected) -> Response:
    body = {
        "type": f"https://herald.dev/problems/{exc.code}",
        "title": "Unprocessable Content",
        "status": exc.status,
        "detail": exc.detail,
        "code": exc.code,
        "errors": [{"row": p.row, "field": p.field, "reason": p.reason} for p in exc.rows],
        "error_count": exc.total,
    }
    return Response(orjson.dumps(body), status_code=exc.status, media_type=PROBLEM_JSON)


def _too_large() -> Response:
    return problem(413, f"an import body is at most {MAX_IMPORT_BYTES} bytes", code="too_large")


@router.post(
    "/contacts/import",
    summary="Import contacts (CSV or NDJSON)",
    description=IMPORT_DESCRIPTION,
    openapi_extra=_IMPORT_BODY,
    response_model=ImportResult,
    responses=problem_responses(400, 413, 415)
    | {422: {"description": "Rows are invalid; nothing was imported", "content": {PROBLEM_JSON: {}}}},
)
async def import_contacts(
    request: Request,
    context: Context,
    account: CurrentAccount,
    dry_run: Annotated[bool, Query(description="Check every row and count, but write nothing.")] = False,
) -> ImportResult | Response:
    content_type = request.headers.get("content-type", "")
    parser = importing.parser_for(content_type)
    if parser is None:
        return problem(
            415,
            "send the import as text/csv or application/x-ndjson",
            code="unsupported_media_type",
        )
    received = 0  # the declared length was judged by CredentialsFirst
    async for chunk in request.stream():
        received += len(chunk)
        if received > MAX_IMPORT_BYTES:
            return _too_large()
        if chunk:
            await run_in_threadpool(parser.feed, chunk)
    parsed = await run_in_threadpool(parser.close)
    rejection = parsed.rejection()
    if rejection is not None:
        return _rejected(rejection)

    def store() -> ImportResult:
        transaction = context.database.read() if dry_run else context.database.write()
        with transaction as session:
            return imports_service.import_contacts(
                session, account_id=account.account_id, rows=parsed.rows, dry_run=dry_run
            )

    try:
        return await run_in_threadpool(store)
    except ImportRejected as exc:
        return _rejected(exc)


@router.get("/contacts/{contact_id:int}", summary="Get a contact", responses=problem_responses(404))
def get_contact(contact_id: int, context: Context, account: CurrentAccount) -> ContactView:
    with context.database.read() as session:
        return contacts_service.get_contact(session, account_id=account.account_id, contact_id=contact_id)


@router.patch(
    "/contacts/{contact_id:int}", summary="Update a contact", responses=problem_responses(400, 404, 409)
)
def update_contact(
    contact_id: int, patch: ContactPatch, context: Context, account: CurrentAccount
) -> ContactView:
    """Partial update. `email` and `phone`, when given, replace the stored ones (null removes one, but a
    contact keeps at least one of them). `attributes` is merged key by key into the stored attributes:
    a key with a value sets it, a key with null deletes it, keys not sent are kept."""
    with context.database.write() as session:
        return contacts_service.update_contact(
            session, account_id=account.account_id, contact_id=contact_id, patch=patch
        )


@router.delete(
    "/contacts/{contact_id:int}",
    status_code=204,
    summary="Delete a contact",
    responses=problem_responses(404),
)
def delete_contact(contact_id: int, context: Context, account: CurrentAccount) -> Response:
    """Deletes the contact and its list memberships."""
    with context.database.write() as session:
        contacts_service.delete_contact(session, account_id=account.account_id, contact_id=contact_id)
    return Response(status_code=204)
