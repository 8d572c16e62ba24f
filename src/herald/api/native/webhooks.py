"""``/v1/webhooks``: the account's webhook endpoints, their deliveries and attempt log, resend and recover.

The wire models live here (the domain speaks dataclasses): a view never carries the basic-auth password
nor the signing secret; the secret appears only in the answers of create and rotate-secret.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi import Path as PathParam
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, WithJsonSchema

from herald.api.native.contacts import problem_responses
from herald.api.native.deps import Context, CurrentAccount
from herald.api.native.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode_cursor, page_of
from herald.errors import FieldProblem, InvalidInput, NotFound
from herald.interactions.types import ALL_TYPES
from herald.webhooks import service as webhooks_service
from herald.webhooks.schemas import (
    DELIVERY_STATES,
    AttemptView,
    DeliveryView,
    Dialect,
    EndpointPatch,
    EndpointSpec,
    EndpointStatus,
    EndpointView,
)

router = APIRouter(tags=["webhooks"])

MASKED_PASSWORD = "********"  # noqa: S105 (what a view shows instead of the password)
DEFAULT_GRACE_SECONDS = 86_400
MAX_GRACE_SECONDS = 7 * 86_400
MAX_EVENT_TYPES = 50
# Interaction ids are BIGINT: a larger number cannot name a row (and would overflow the column type).
MAX_INTERACTION_ID = 2**63 - 1
# The service names basic-auth problems as SenderGuide does (``auth_details``); this API says ``auth``.
_FIELD_PREFIXES = {"auth_details.": "auth."}
# Characters a URL or a header value cannot carry; NUL cannot even be stored by PostgreSQL.
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_CONTROL_BUT_LINE_BREAKS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_controls(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _no_controls_but_line_breaks(value: str) -> str:
    if _CONTROL_BUT_LINE_BREAKS.search(value):
        raise ValueError("must not contain control characters")
    return value


# url, event_types and verb are checked by the service (a 400 naming the field, as in every dialect); the
# schema only documents their values.
Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=webhooks_service.MAX_URL_LENGTH,
        examples=["https://hooks.example.com/herald"],
    ),
    AfterValidator(_no_controls),
]
EventType = Annotated[str, WithJsonSchema({"type": "string", "enum": list(ALL_TYPES)})]
EventTypes = Annotated[
    list[EventType],
    Field(max_length=MAX_EVENT_TYPES, description="Ledger event types to receive (at least one)."),
]
Verb = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(webhooks_service.VERBS),
            "description": "`POST` sends the event as a JSON body; `GET` as query parameters.",
        }
    ),
]
Description = Annotated[str, Field(max_length=1000), AfterValidator(_no_controls_but_line_breaks)]
Username = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_no_controls)]
Password = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_no_controls)]
InteractionId = Annotated[int, Field(ge=1, le=MAX_INTERACTION_ID)]
# The states a delivery shows (the service's DELIVERY_STATES values; a test keeps the two equal).
DeliveryStateName = Literal["pending", "sending", "delivered", "failed"]
DeliveryState = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(dict.fromkeys(DELIVERY_STATES.values())),
            "description": "`pending` (queued, or waiting for a retry), `sending` (an attempt is under "
            "way), `delivered` (a 2xx answer), `failed` (attempts spent, or the endpoint was disabled).",
        }
    ),
]

# --- examples ----------------------------------------------------------------------------------------

_ID = "5f0c6b1e-8a4e-4c1b-9a57-3f1f6d2a9b10"
_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 (an example)
_CREATE_EXAMPLE: dict[str, Any] = {
    "url": "https://hooks.example.com/herald",
    "event_types": ["deliveries", "bounces", "complaints"],
    "verb": "POST",
    "description": "bounce handling",
    "auth": {"username": "herald", "password": "s3cret"},
    "status": "enabled",
}
_VIEW_EXAMPLE: dict[str, Any] = {
    "id": _ID,
    "dialect": "native",
    "url": "https://hooks.example.com/herald",
    "verb": "POST",
    "event_types": ["deliveries", "bounces", "complaints"],
    "description": "bounce handling",
    "auth": {"username": "herald", "password": MASKED_PASSWORD},
    "status": "enabled",
    "disabled_reason": None,
    "failing_since": None,
    "secret_rotating_until": None,
    "created_at": "2026-11-26T16:33:19.923722Z",
    "updated_at": "2026-11-26T16:33:19.923722Z",
}
_CREATED_EXAMPLE: dict[str, Any] = {**_VIEW_EXAMPLE, "secret": _SECRET}
_ROTATED_EXAMPLE: dict[str, Any] = {
    **_VIEW_EXAMPLE,
    "secret": "whsec_3q2+7w8PmDdYHnTq0nVqA4Jk1sE5dM9lXo6bTzQ+Wc4=",
    "secret_rotating_until": "2026-11-27T16:40:02.113500Z",
    "updated_at": "2026-11-26T16:40:02.113500Z",
}
_DISABLED_EXAMPLE: dict[str, Any] = {
    **_VIEW_EXAMPLE,
    "status": "disabled",
    "disabled_reason": "disabled through the API",
    "updated_at": "2026-11-26T17:02:41.500112Z",
}
_DELIVERY_EXAMPLE: dict[str, Any] = {
    "id": 812,
    "endpoint_id": _ID,
    "interaction_id": 40417,
    "event_type": "bounces",
    "state": "pending",
    "attempts": 0,
    "next_attempt_at": "2026-11-26T17:05:00.000000Z",
    "last_status": None,
    "last_error": None,
    "created_at": "2026-11-26T17:05:00.000000Z",
    "finished_at": None,
}
_ATTEMPT_EXAMPLE: dict[str, Any] = {
    "id": 97,
    "delivery_id": 812,
    "endpoint_id": _ID,
    "interaction_id": 40417,
    "attempt": 1,
    "attempted_at": "2026-11-26T17:05:01.210000Z",
    "status_code": 503,
    "latency_ms": 182,
    "outcome": "retrying",
    "response_excerpt": "Service Unavailable",
    "error": None,
}


def _responses(
    status: int, description: str, example: Any, *problems: int
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries: the success answer with its example, and the problems the route may answer."""
    answer = {"description": description, "content": {"application/json": {"example": example}}}
    return {status: answer} | problem_responses(*problems)


# --- requests ----------------------------------------------------------------------------------------


class BasicAuthIn(BaseModel):
    """HTTP basic auth Herald sends with every delivery: both parts, or neither."""

    model_config = ConfigDict(extra="forbid")

    username: Username | None = Field(default=None, description="Must not contain `:`.")
    password: Password | None = Field(default=None, description="Stored encrypted; never shown again.")


class WebhookCreate(BaseModel):
    """A new endpoint. Herald answers with its signing secret, once."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CREATE_EXAMPLE]})

    url: Url = Field(description="Absolute http(s) URL; no credentials in it (use `auth`).")
    event_types: EventTypes
    verb: Verb = "POST"
    description: Description | None = None
    auth: BasicAuthIn | None = None
    status: EndpointStatus = EndpointStatus.ENABLED

    def spec(self) -> EndpointSpec:
        return EndpointSpec(
            dialect=Dialect.NATIVE,
            url=self.url,
            event_types=list(self.event_types),
            verb=self.verb,
            auth_username=self.auth.username if self.auth else None,
            auth_password=self.auth.password if self.auth else None,
            status=self.status,
            description=self.description,
        )


class WebhookPatch(BaseModel):
    """A partial change: only the fields present change. ``auth: null`` removes basic auth; an ``auth``
    object changes the parts it names (a new username keeps the stored password)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"event_types": ["bounces", "complaints"], "description": "bounces only"},
                {"auth": None},
                {"status": "disabled"},
            ]
        },
    )

    url: Url | None = None
    event_types: EventTypes | None = None
    verb: Verb | None = None
    description: Description | None = Field(default=None, description="`null` clears it.")
    auth: BasicAuthIn | None = Field(default=None, description="`null` removes basic auth.")
    status: EndpointStatus | None = Field(
        default=None,
        description="`disabled` stops deliveries (pending ones fail); `enabled` clears the failure record.",
    )

    def patch(self) -> EndpointPatch:
        """The domain patch; ``null`` where the field cannot be null is a 400 naming it."""
        given = self.model_fields_set
        fields = ("url", "event_types", "verb", "status")
        nulls = [name for name in fields if name in given and getattr(self, name) is None]
        if self.auth is not None:
            nulls += [
                f"auth.{name}"
                for name in sorted(self.auth.model_fields_set)
                if getattr(self.auth, name) is None
            ]
        if nulls:
            raise InvalidInput(
                f"{', '.join(nulls)} must not be null",
                problems=[FieldProblem(name, "must not be null") for name in nulls],
            )
        patch = EndpointPatch(**{name: getattr(self, name) for name in given if name != "auth"})
        if "auth" in given:
            if self.auth is None:
                patch.auth_username = None
            else:
                if "username" in self.auth.model_fields_set:
                    patch.auth_username = self.auth.username
                if "password" in self.auth.model_fields_set:
                    patch.auth_password = self.auth.password
        return patch


class RotateSecret(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"grace_seconds": 3600}]})

    grace_seconds: int = Field(
        default=DEFAULT_GRACE_SECONDS,
        ge=0,
        le=MAX_GRACE_SECONDS,
        description="How long deliveries stay signed with the old secret too (0 to 604800; 0 drops it now).",
    )


class ResendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"interaction_id": 40417}]})

    interaction_id: InteractionId = Field(description="An interaction (ledger event) of your account.")


class RecoverRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"since": "2026-11-26T00:00:00Z", "until": "2026-11-27T00:00:00Z"}]},
    )

    since: AwareDatetime = Field(description="Inclusive; RFC 3339 with an offset.")
    until: AwareDatetime | None = Field(default=None, description="Exclusive; omit for 'up to now'.")


# --- answers -----------------------------------------------------------------------------------------


class BasicAuthOut(BaseModel):
    username: str
    password: str | None = Field(description=f"`{MASKED_PASSWORD}` when set: the password is never shown.")


class WebhookOut(BaseModel):
    """An endpoint as the API shows it: never its password nor its signing secret."""

    model_config = ConfigDict(json_schema_extra={"examples": [_VIEW_EXAMPLE]})

    id: str = Field(description="The endpoint's UUID.")
    dialect: Dialect = Field(description="The API that created it (`senderguide` ones see only SMS/MMS).")
    url: str
    verb: Verb
    event_types: list[EventType]
    description: str | None
    auth: BasicAuthOut | None
    status: EndpointStatus
    disabled_reason: str | None = Field(description="Why it is disabled (by you, or after failing).")
    failing_since: datetime | None = Field(description="Start of the current run of failed deliveries.")
    secret_rotating_until: datetime | None = Field(
        description="While set, deliveries are signed with the previous secret too."
    )
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookOut):
    """An endpoint with its signing secret: the only answers that ever show it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CREATED_EXAMPLE]})

    secret: str = Field(description="`whsec_` and 32 random bytes in base64. Shown this once: keep it.")


class DeliveryOut(BaseModel):
    """One event queued for one endpoint."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DELIVERY_EXAMPLE]})

    id: int
    endpoint_id: str
    interaction_id: int
    event_type: EventType
    state: DeliveryState
    attempts: int = Field(description="HTTP attempts made so far.")
    next_attempt_at: datetime | None = Field(description="When the next attempt is due (pending only).")
    last_status: int | None = Field(description="HTTP status of the last attempt, if any answered.")
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


class AttemptOut(BaseModel):
    """One HTTP attempt of a delivery."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ATTEMPT_EXAMPLE]})

    id: int
    delivery_id: int
    endpoint_id: str
    interaction_id: int
    attempt: int = Field(description="1 for the first attempt of the delivery.")
    attempted_at: datetime
    status_code: int | None = Field(description="The receiver's HTTP status; null when none answered.")
    latency_ms: int
    outcome: str = Field(
        description="`delivered` (2xx), `retrying` (another attempt is scheduled), `failed` (the last "
        "attempt failed), `gone` (410: the endpoint was disabled)."
    )
    response_excerpt: str | None = Field(description="The start of the receiver's answer.")
    error: str | None = Field(description="Why the attempt failed without an answer (timeout, refused...).")


class Requeued(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"requeued": 12}]})

    requeued: int = Field(description="How many failed deliveries were queued again.")


def _out(view: EndpointView) -> WebhookOut:
    return WebhookOut(**_fields(view))


def _fields(view: EndpointView) -> dict[str, Any]:
    auth = None
    if view.auth_username is not None:
        auth = BasicAuthOut(
            username=view.auth_username, password=MASKED_PASSWORD if view.has_password else None
        )
    return {
        "id": view.public_id,
        "dialect": view.dialect,
        "url": view.url,
        "verb": view.verb,
        "event_types": view.event_types,
        "description": view.description,
        "auth": auth,
        "status": view.status,
        "disabled_reason": view.disabled_reason,
        "failing_since": view.failing_since,
        "secret_rotating_until": view.secret_rotating_until,
        "created_at": view.created_at,
        "updated_at": view.updated_at,
    }


def _delivery(view: DeliveryView) -> DeliveryOut:
    return DeliveryOut(**vars(view))


def _attempt(view: AttemptView) -> AttemptOut:
    return AttemptOut(**vars(view))


@contextmanager
def _api_field_names() -> Iterator[None]:
    """Rename the service's field names to this API's (``auth_details.username`` → ``auth.username``)."""
    try:
        yield
    except InvalidInput as exc:
        renamed = [FieldProblem(_api_field(p.field), p.reason) for p in exc.problems]
        raise InvalidInput(exc.detail, problems=renamed) from exc


def _api_field(name: str) -> str:
    for prefix, replacement in _FIELD_PREFIXES.items():
        if name.startswith(prefix):
            return replacement + name[len(prefix) :]
    return name


def _webhook_id(
    webhook_id: Annotated[str, PathParam(description="The endpoint's UUID.", examples=[_ID])],
    _account: CurrentAccount,  # authenticated first: an anonymous caller gets 401, whatever the id
) -> str:
    """The id in its stored form; anything that is not a UUID names no endpoint (404, without a query)."""
    try:
        return str(uuid.UUID(webhook_id))
    except ValueError:
        raise NotFound(webhooks_service.NOT_FOUND) from None


WebhookId = Annotated[str, Depends(_webhook_id)]

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
    responses=_responses(201, "The endpoint with its secret", _CREATED_EXAMPLE, 400, 422),
)
def create_webhook(
    command: WebhookCreate, context: Context, account: CurrentAccount, response: Response
) -> WebhookWithSecret:
    webhooks_service.prefetch_url(command.url, context.webhook_policy)
    with _api_field_names(), context.database.write() as session:
        created = webhooks_service.create_endpoint(
            session,
            account_id=account.account_id,
            spec=command.spec(),
            box=context.secrets,
            policy=context.webhook_policy,
        )
    response.headers["Location"] = f"/v1/webhooks/{created.view.public_id}"
    return WebhookWithSecret(**_fields(created.view), secret=created.secret)


@router.get(
    "/webhooks",
    response_model=Page[WebhookOut],
    summary="List webhooks",
    description="Your endpoints in creation order, a page at a time, whichever API created them "
    "(`dialect`: `native`, or `senderguide` for those made through the SenderGuide API).",
    responses=_responses(200, "A page of endpoints", {"data": [_VIEW_EXAMPLE], "next_cursor": None}, 400),
)
def list_webhooks(
    context: Context, account: CurrentAccount, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[WebhookOut]:
    after = decode_cursor(cursor)
    with context.database.read() as session:
        rows = webhooks_service.list_endpoints(
            session, account_id=account.account_id, after_id=after, limit=limit + 1
        )
    return page_of(rows, limit=limit, key=lambda view: view.id, view=_out)


@router.get(
    "/webhooks/{webhook_id}",
    response_model=WebhookOut,
    summary="Get a webhook",
    description="An endpoint of your account (any dialect), without its password or secret; 404 for any "
    "other id. `status` is `disabled` with a `disabled_reason` when you disabled it or when Herald did "
    "after its deliveries kept failing (`failing_since`).",
    responses=_responses(200, "The endpoint", _VIEW_EXAMPLE, 404),
)
def get_webhook(webhook_id: WebhookId, context: Context, account: CurrentAccount) -> WebhookOut:
    with context.database.read() as session:
        view = webhooks_service.get_endpoint(session, account_id=account.account_id, public_id=webhook_id)
    return _out(view)


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
    responses=_responses(200, "The changed endpoint", _DISABLED_EXAMPLE, 400, 404, 422),
)
def update_webhook(
    webhook_id: WebhookId, changes: WebhookPatch, context: Context, account: CurrentAccount
) -> WebhookOut:
    webhooks_service.prefetch_url(changes.url, context.webhook_policy)
    with _api_field_names(), context.database.write() as session:
        view = webhooks_service.update_endpoint(
            session,
            account_id=account.account_id,
            public_id=webhook_id,
            patch=changes.patch(),
            box=context.secrets,
            policy=context.webhook_policy,
        )
    return _out(view)


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
    responses=_responses(200, "The endpoint with its new secret", _ROTATED_EXAMPLE, 404, 422),
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
    return WebhookWithSecret(**_fields(rotated.view), secret=rotated.secret)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=Page[DeliveryOut],
    summary="List a webhook's deliveries",
    description="One delivery per event sent to the endpoint, oldest first. `state`: `pending` (queued or "
    "waiting for a retry, `next_attempt_at` says when), `sending`, `delivered`, `failed` (attempts spent, "
    "or the endpoint was disabled). Filter by `interaction_id` and `state`.",
    responses=_responses(
        200, "A page of deliveries", {"data": [_DELIVERY_EXAMPLE], "next_cursor": None}, 400, 404, 422
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
        rows = webhooks_service.list_deliveries(
            session,
            account_id=account.account_id,
            public_id=webhook_id,
            interaction_id=interaction_id,
            state=state,
            after_id=after,
            limit=limit + 1,
        )
    return page_of(rows, limit=limit, key=lambda view: view.id, view=_delivery)


@router.get(
    "/webhooks/{webhook_id}/attempts",
    response_model=Page[AttemptOut],
    summary="List a webhook's attempt log",
    description="Every HTTP attempt made to the endpoint, oldest first: the receiver's `status_code`, "
    "`latency_ms`, the `outcome`, the start of its answer (`response_excerpt`) and, when none came, the "
    "`error`. Filter by `interaction_id` to follow one event.",
    responses=_responses(
        200, "A page of attempts", {"data": [_ATTEMPT_EXAMPLE], "next_cursor": None}, 400, 404, 422
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
        rows = webhooks_service.list_attempts(
            session,
            account_id=account.account_id,
            public_id=webhook_id,
            interaction_id=interaction_id,
            after_id=after,
            limit=limit + 1,
        )
    return page_of(rows, limit=limit, key=lambda view: view.id, view=_attempt)


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
    responses=_responses(202, "The queued delivery", _DELIVERY_EXAMPLE, 400, 404, 422),
)
def resend(
    webhook_id: WebhookId, command: ResendRequest, context: Context, account: CurrentAccount
) -> DeliveryOut:
    with context.database.write() as session:
        view = webhooks_service.resend(
            session,
            account_id=account.account_id,
            public_id=webhook_id,
            interaction_id=command.interaction_id,
        )
    return _delivery(view)


@router.post(
    "/webhooks/{webhook_id}/recover",
    status_code=202,
    response_model=Requeued,
    summary="Queue failed deliveries again",
    description="Queues again every `failed` delivery of the endpoint created in [`since`, `until`) "
    "(`until` defaults to now), e.g. after fixing a receiver that was down or re-enabling the endpoint: "
    "202 with how many. Each starts again with `attempts` 0. `until` must be later than `since` (400); "
    "409 while the endpoint is disabled.",
    responses=_responses(202, "How many were queued", {"requeued": 12}, 400, 404, 422),
)
def recover(
    webhook_id: WebhookId, command: RecoverRequest, context: Context, account: CurrentAccount
) -> Requeued:
    if command.until is not None and command.until <= command.since:
        raise InvalidInput(
            "until must be later than since", problems=[FieldProblem("until", "must be later than since")]
        )
    with context.database.write() as session:
        count = webhooks_service.recover(
            session,
            account_id=account.account_id,
            public_id=webhook_id,
            since=command.since,
            until=command.until,
        )
    return Requeued(requeued=count)
