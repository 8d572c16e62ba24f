"""``/v1/interactions``: batch ingest of events produced elsewhere, and the ledger in ingest order."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from herald.accounts.schemas import Principal
from herald.api.native.deps import Context, CurrentAccount
from herald.api.native.interaction_rows import parse_occurred_at, validate_row
from herald.api.native.pagination import Cursor, Limit, decode_cursor, encode_cursor
from herald.api.native.problems import problem
from herald.db.engine import Database
from herald.errors import FieldProblem, InvalidInput
from herald.interactions import service as interactions_service
from herald.interactions.records import IngestResult, InteractionView, Rejection
from herald.interactions.schemas import MAX_BATCH, InteractionFilter
from herald.interactions.types import InteractionType
from herald.types import MAX_ID

router = APIRouter(tags=["interactions"])

INGEST_EXAMPLE = {
    "interactions": [
        {
            "message_id": 123,
            "contact_id": 111111,
            "type": "sends",
            "occurred_at": "2023-05-15T20:04:59Z",
            "event_id": "esp-7f3a-0001",
        },
        {
            "message_id": 123,
            "contact_id": 111111,
            "type": "clicks",
            "occurred_at": "2023-05-15T21:10:02+02:00",
            "event_id": "esp-7f3a-0002",
            "metadata": {"url": "https://example.com/offer", "user_agent": "Mozilla/5.0"},
        },
    ]
}


class InteractionIn(BaseModel):
    """One event. ``type`` is one of the ledger types; ``metadata`` keys are described in the docs."""

    message_id: int
    contact_id: int
    type: InteractionType
    occurred_at: datetime = Field(description="RFC 3339 with an offset, e.g. 2023-05-15T20:04:59Z.")
    event_id: str | None = Field(
        default=None, max_length=200, description="Your id; a repeat is a duplicate."
    )
    metadata: dict[str, Any] = Field(default_factory=dict)


class IngestBatch(BaseModel):
    """The envelope. Its rows are judged one by one, each against ``InteractionIn``: a row that does not
    fit is rejected alone (named in ``rejections``) and the rest of the batch is recorded, so any JSON
    value is a row the endpoint answers."""

    interactions: list[Any] = Field(
        max_length=MAX_BATCH, description="Up to 10,000 rows, each as `InteractionIn` describes."
    )


class RejectionOut(BaseModel):
    index: int = Field(description="Position of the rejected row in `interactions`, from 0.")
    reason: str


class IngestOut(BaseModel):
    recorded: int
    duplicates: int
    rejected: int
    rejections: list[RejectionOut]


class InteractionOut(BaseModel):
    id: int = Field(description="The ingest sequence: increases in the order events were recorded.")
    message_id: int
    contact_id: int
    contact_email: str | None
    contact_phone: str | None
    type: InteractionType
    occurred_at: datetime
    event_id: str | None
    metadata: dict[str, Any]
    recorded_at: datetime


class InteractionPage(BaseModel):
    data: list[InteractionOut]
    next_cursor: str | None = None


def _ingest(database: Database, principal: Principal, raw_rows: list[Any]) -> IngestResult:
    events = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(raw_rows):
        checked = validate_row(index, raw)
        if isinstance(checked, Rejection):
            rejected.append(checked)
        else:
            events.append(checked)
    with database.write() as session:
        return interactions_service.record(
            session, account_id=principal.account_id, events=events, rejected=rejected
        )


@router.post(
    "/interactions",
    summary="Record a batch of interactions",
    response_model=IngestOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/IngestBatch"},
                    "example": INGEST_EXAMPLE,
                }
            },
        }
    },
    responses={400: {"description": "Body is not JSON"}, 413: {"description": "More than 10,000 rows"}},
)
async def record_interactions(request: Request, context: Context, principal: CurrentAccount) -> Response:
    """Append up to 10,000 events. Each row is validated alone: good rows are recorded even when others are
    rejected, and each rejection names its row's index and the reason. A row whose `event_id` was recorded
    before (or earlier in the same batch) is counted as a duplicate and stored once, so a retried batch
    records nothing twice."""
    body = await request.body()  # read by CredentialsFirst, after the key and within the route's limit
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return problem(400, "request body is not valid JSON", code="invalid_json")
    rows = parsed.get("interactions") if isinstance(parsed, dict) else None
    if not isinstance(rows, list):
        raise InvalidInput(
            'the body must be an object with an "interactions" array',
            problems=[FieldProblem("interactions", "required, an array of interactions")],
        )
    if len(rows) > MAX_BATCH:
        return problem(413, f"at most {MAX_BATCH} interactions per request; got {len(rows)}", code="too_many")
    result = await run_in_threadpool(_ingest, context.database, principal, rows)
    context.count_recorded(result.recorded)
    out = {
        "recorded": result.recorded,
        "duplicates": result.duplicates,
        "rejected": len(result.rejected),
        "rejections": [{"index": r.index, "reason": r.reason} for r in result.rejected],
    }
    return Response(orjson.dumps(out), media_type="application/json")


def _timestamp(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = parse_occurred_at(value)
    if parsed is None:
        reason = "must be an RFC 3339 timestamp with an offset, between the years 1 and 9999 in UTC"
        raise InvalidInput(f"{name} {reason}", problems=[FieldProblem(name, reason)])
    return parsed


def _out(view: InteractionView) -> dict[str, Any]:
    return {
        "id": view.id,
        "message_id": view.message_id,
        "contact_id": view.contact_id,
        "contact_email": view.contact_email,
        "contact_phone": view.contact_phone,
        "type": view.type,
        "occurred_at": view.occurred_at.isoformat().replace("+00:00", "Z"),
        "event_id": view.event_id,
        "metadata": view.metadata,
        "recorded_at": view.recorded_at.isoformat().replace("+00:00", "Z"),
    }


@router.get("/interactions", summary="List interactions in ingest order", response_model=InteractionPage)
def list_interactions(
    context: Context,
    principal: CurrentAccount,
    message_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only this message's events.")
    ] = None,
    contact_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only this contact's events.")
    ] = None,
    type: InteractionType | None = None,
    occurred_from: Annotated[str | None, Query(description="Inclusive, RFC 3339.")] = None,
    occurred_to: Annotated[str | None, Query(description="Exclusive, RFC 3339.")] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Response:
    """Pages follow the ingest sequence (`id`), not the event time, so a page never skips or repeats a row,
    even when events about the past arrive while you page."""
    where = InteractionFilter(
        message_id=message_id,
        contact_id=contact_id,
        type=type,
        occurred_from=_timestamp("occurred_from", occurred_from),
        occurred_to=_timestamp("occurred_to", occurred_to),
    )
    after = decode_cursor(cursor)
    with context.database.read() as session:
        views = interactions_service.list_interactions(
            session, account_id=principal.account_id, where=where, after_id=after, limit=limit
        )
    more = len(views) > limit
    shown = views[:limit]
    body = {"data": [_out(v) for v in shown], "next_cursor": encode_cursor(shown[-1].id) if more else None}
    return Response(orjson.dumps(body), media_type="application/json")
