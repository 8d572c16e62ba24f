"""``/v1/webhooks``: the account's webhook endpoints, their deliveries and attempt log, resend and recover.
The wire models are in ``schemas.py``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response

from herald.api.native.deps import Context, CurrentAccount
from herald.api.native.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode_cursor, page_of
from herald.api.native.routing import problem_responses
from herald.api.native.webhooks.schemas import (
    ATTEMPT_EXAMPLE,
    CREATED_EXAMPLE,
    DELIVERY_EXAMPLE,
    DISABLED_EXAMPLE,
    MAX_INTERACTION_ID,
    ROTATED_EXAMPLE,
    VIEW_EXAMPLE,
    AttemptOut,
    DeliveryOut,
    DeliveryStateName,
    RecoverRequest,
    Requeued,
    ResendRequest,
    RotateSecret,
    WebhookCreate,
    WebhookId,
    WebhookOut,
    WebhookPatch,
    WebhookWithSecret,
    api_field_names,
    attempt_out,
    delivery_out,
    responses,
    webhook_fields,
    webhook_out,
)
from herald.errors import FieldProblem, InvalidInput
from herald.interactions.types import ALL_TYPES
from herald.webhooks import outbox
from herald.webhooks import service as webhooks_service

router = APIRouter(tags=["webhooks"])

# --- routes ------------------------------------------------------------------------------------------

_EVENT_TYPES_TEXT = ", ".join(f"`{t}`" for t in ALL_TYPES)
_CHECKS = f"""
Checked on create and on the merged result of every change (400 `invalid_input`, each problem named in
`errors`): `url` is an absolute `http`/`https` URL without credentials, at most 2000 characters, whose
host is public (not a private, loopback or link-local address, unless the server allows private
addresses); `event_types` names at least one of {_EVENT_TYPES_TEXT} (`event_types.N` names a bad one;
repeats are kept once); `verb` is `POST` or `GET`; `auth` has both `username` and `password`, and the
username has no `:`.
"""


@router.post(
    "/webhooks",
    status_code=201,
    response_model=WebhookWithSecret,
    summary="Create a webhook",
    description="Registers an endpoint that receives the events of the types named, as they are recorded. "
    "Answers 201 with the endpoint, its `Location`, and its signing `secret`: **shown only in this "
    "answer** (and in rotate-secret's); every delivery is signed with it (see Webhook deliveries).\n"
    + _CHECKS,
    responses=responses(201, "The endpoint with its secret", CREATED_EXAMPLE, 400, 422),
)
def create_webhook(
    command: WebhookCreate, context: Context, account: CurrentAccount, response: Response
) -> WebhookWithSecret:
    webhooks_service.prefetch_url(command.url, context.webhook_policy)
    with api_field_names(), context.database.write() as session:
        created = webhooks_service.create_endpoint(
            session,
            account_id=account.account_id,
            spec=command.spec(),
            box=context.secrets,
            policy=context.webhook_policy,
        )
    response.headers["Location"] = f"/v1/webhooks/{created.view.public_id}"
    return WebhookWithSecret(**webhook_fields(created.view), secret=created.secret)


@router.get(
    "/webhooks",
    response_model=Page[WebhookOut],
    summary="List webhooks",
    description="Your endpoints in creation order, a page at a time, whichever API created them "
    "(`dialect`: `native`, or `senderguide` for those made through the SenderGuide API).",
    responses=responses(200, "A page of endpoints", {"data": [VIEW_EXAMPLE], "next_cursor": None}, 400),
)
def list_webhooks(
    context: Context, account: CurrentAccount, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[WebhookOut]:
    after = decode_cursor(cursor)
    with context.database.read() as session:
        rows = webhooks_service.list_endpoints(
            session, account_id=account.account_id, after_id=after, limit=limit + 1
        )
    return page_of(rows, limit=limit, key=lambda view: view.id, view=webhook_out)


@router.get(
    "/webhooks/{webhook_id}",
    response_model=WebhookOut,
    summary="Get a webhook",
    description="An endpoint of your account (any dialect), without its password or secret; 404 for any "
    "other id. `status` is `disabled` with a `disabled_reason` when you disabled it or when Herald did "
    "after its deliveries kept failing (`failing_since`).",
    responses=responses(200, "The endpoint", VIEW_EXAMPLE, 404),
)
def get_webhook(webhook_id: WebhookId, context: Context, account: CurrentAccount) -> WebhookOut:
    with context.database.read() as session:
        view = webhooks_service.get_endpoint(session, account_id=account.account_id, public_id=webhook_id)
    return webhook_out(view)


@router.patch(
    "/webhooks/{webhook_id}",
    response_model=WebhookOut,
    summary="Change a webhook",
    description="""Changes only the fields present. `description: null` clears the description; `auth: null`
removes basic auth; an `auth` object changes the parts it names (a new `username` alone keeps the stored
password). `null` for `url`, `event_types`, `verb` or `status` is a 400.

`status: disabled` stops deliveries: the pending ones become `failed` (recover brings them back) and
`disabled_reason` says why. `status: enabled` clears `disabled_reason` and `failing_since`.
"""
    + _CHECKS,
    responses=responses(200, "The changed endpoint", DISABLED_EXAMPLE, 400, 404, 422),
)
def update_webhook(
    webhook_id: WebhookId, changes: WebhookPatch, context: Context, account: CurrentAccount
) -> WebhookOut:
    webhooks_service.prefetch_url(changes.url, context.webhook_policy)
    with api_field_names(), context.database.write() as session:
        view = webhooks_service.update_endpoint(
            session,
            account_id=account.account_id,
            public_id=webhook_id,
            patch=changes.patch(),
            box=context.secrets,
            policy=context.webhook_policy,
        )
    return webhook_out(view)


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a webhook",
    description="Removes the endpoint with its deliveries and attempt log (204). A delivery already in "
    "flight is not sent again. 404 for an unknown id.",
    responses=problem_responses(404),
)
def delete_webhook(webhook_id: WebhookId, context: Context, account: CurrentAccount) -> Response:
    with context.database.write() as session:
        webhooks_service.delete_endpoint(session, account_id=account.account_id, public_id=webhook_id)
    return Response(status_code=204)


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    response_model=WebhookWithSecret,
    summary="Rotate the signing secret",
    description="Gives the endpoint a new signing secret, shown in this answer only. For `grace_seconds` "
    "(default 86400, at most 604800) deliveries carry signatures by both the new and the previous secret, "
    "so receivers can switch without losing events; `secret_rotating_until` says until when. "
    "`grace_seconds: 0` drops the previous secret at once. The body may be omitted.",
    responses=responses(200, "The endpoint with its new secret", ROTATED_EXAMPLE, 404, 422),
)
def rotate_secret(
    webhook_id: WebhookId,
    context: Context,
    account: CurrentAccount,
    command: Annotated[RotateSecret | None, Body()] = None,
) -> WebhookWithSecret:
    grace = timedelta(seconds=(command or RotateSecret()).grace_seconds)
    with context.database.write() as session:
        rotated = webhooks_service.rotate_secret(
            session, account_id=account.account_id, public_id=webhook_id, grace=grace, box=context.secrets
        )
    return WebhookWithSecret(**webhook_fields(rotated.view), secret=rotated.secret)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=Page[DeliveryOut],
    summary="List a webhook's deliveries",
    description="One delivery per event sent to the endpoint, oldest first. `state`: `pending` (queued or "
    "waiting for a retry, `next_attempt_at` says when), `sending`, `delivered`, `failed` (attempts spent, "
    "or the endpoint was disabled). Filter by `interaction_id` and `state`.",
    responses=responses(
        200, "A page of deliveries", {"data": [DELIVERY_EXAMPLE], "next_cursor": None}, 400, 404, 422
    ),
)
def list_deliveries(
    webhook_id: WebhookId,
    context: Context,
    account: CurrentAccount,
    interaction_id: Annotated[
        int | None, Query(ge=1, le=MAX_INTERACTION_ID, description="Only this event's deliveries.")
    ] = None,
    state: Annotated[DeliveryStateName | None, Query(description="Only deliveries in this state.")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[DeliveryOut]:
    after = decode_cursor(cursor)
    with context.database.read() as session:
        rows = outbox.list_deliveries(
            session,
            account_id=account.account_id,
            public_id=webhook_id,
            interaction_id=interaction_id,
            state=state,
            after_id=after,
            limit=limit + 1,
        )
    return page_of(rows, limit=limit, key=lambda view: view.id, view=delivery_out)


@router.get(
    "/webhooks/{webhook_id}/attempts",
    response_model=Page[AttemptOut],
    summary="List a webhook's attempt log",
    description="Every HTTP attempt made to the endpoint, oldest first: the receiver's `status_code`, "
    "`latency_ms`, the `outcome`, the start of its answer (`response_excerpt`) and, when none came, the "
    "`error`. Filter by `interaction_id` to follow one event.",
    responses=responses(
        200, "A page of attempts", {"data": [ATTEMPT_EXAMPLE], "next_cursor": None}, 400, 404, 422
    ),
)
def list_attempts(
    webhook_id: WebhookId,
    context: Context,
    account: CurrentAccount,
    interaction_id: Annotated[
        int | None, Query(ge=1, le=MAX_INTERACTION_ID, description="Only this event's attempts.")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[AttemptOut]:
    after = decode_cursor(cursor)
    with context.database.read() as session:
        rows = outbox.list_attempts(
            session,
            account_id=account.account_id,
            public_id=webhook_id,
            interaction_id=interaction_id,
            after_id=after,
            limit=limit + 1,
        )
    return page_of(rows, limit=limit, key=lambda view: view.id, view=attempt_out)


@router.post(
    "/webhooks/{webhook_id}/resend",
    status_code=202,
    response_model=DeliveryOut,
    summary="Send an event again",
    description="Queues one event of your account for the endpoint again, now, whatever became of it "
    "before (a delivery already `sending` is left alone): 202 with the delivery, `pending` with `attempts` "
    "0. An event sent before keeps its delivery `id`, so receivers can recognise the repeat (see Webhook "
    "deliveries). "
    "Works for events the endpoint never received too (any type; a SenderGuide SMS webhook takes only its "
    "five SMS/MMS events, else 409). 404 for an interaction that is not "
    "your account's; 409 while the endpoint is disabled.",
    responses=responses(202, "The queued delivery", DELIVERY_EXAMPLE, 400, 404, 422),
)
def resend(
    webhook_id: WebhookId, command: ResendRequest, context: Context, account: CurrentAccount
) -> DeliveryOut:
    with context.database.write() as session:
        view = outbox.resend(
            session,
            account_id=account.account_id,
            public_id=webhook_id,
            interaction_id=command.interaction_id,
        )
    return delivery_out(view)


@router.post(
    "/webhooks/{webhook_id}/recover",
    status_code=202,
    response_model=Requeued,
    summary="Queue failed deliveries again",
    description="Queues again every `failed` delivery of the endpoint created in [`since`, `until`) "
    "(`until` defaults to now), e.g. after fixing a receiver that was down or re-enabling the endpoint: "
    "202 with how many. Each starts again with `attempts` 0. `until` must be later than `since` (400); "
    "409 while the endpoint is disabled.",
    responses=responses(202, "How many were queued", {"requeued": 12}, 400, 404, 422),
)
def recover(
    webhook_id: WebhookId, command: RecoverRequest, context: Context, account: CurrentAccount
) -> Requeued:
    if command.until is not None and command.until <= command.since:
        raise InvalidInput(
            "until must be later than since", problems=[FieldProblem("until", "must be later than since")]
        )
    with context.database.write() as session:
        count = outbox.recover(
            session,
            account_id=account.account_id,
            public_id=webhook_id,
            since=command.since,
            until=command.until,
        )
    return Requeued(requeued=count)
