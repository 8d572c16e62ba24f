"""The wire models of ``/v1/webhooks``, with their OpenAPI examples.

The wire differs from the domain's schemas here (basic auth is one ``auth`` object, the password is
masked, ids are UUID strings), so the API has its own models and converts: a view never carries the
basic-auth password nor the signing secret; the secret appears only in the answers of create and
rotate-secret.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends
from fastapi import Path as PathParam
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, WithJsonSchema

from herald.api.native.deps import CurrentAccount
from herald.api.native.routing import problem_responses
from herald.api.native.webhooks.payload import DIALECT
from herald.errors import FieldProblem, InvalidInput, NotFound
from herald.interactions.types import ALL_TYPES
from herald.types import NOT_A_BOOLEAN
from herald.webhooks import service as webhooks_service
from herald.webhooks.schemas import (
    DELIVERY_STATES,
    AttemptView,
    DeliveryView,
    EndpointPatch,
    EndpointSpec,
    EndpointStatus,
    EndpointView,
)

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
InteractionId = Annotated[int, Field(ge=1, le=MAX_INTERACTION_ID), NOT_A_BOOLEAN]
# The APIs that create endpoints (the payload shapes registered at the composition root; a test keeps the
# two equal).
WebhookDialect = Literal["native", "senderguide"]
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
VIEW_EXAMPLE: dict[str, Any] = {
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
CREATED_EXAMPLE: dict[str, Any] = {**VIEW_EXAMPLE, "secret": _SECRET}
ROTATED_EXAMPLE: dict[str, Any] = {
    **VIEW_EXAMPLE,
    "secret": "whsec_3q2+7w8PmDdYHnTq0nVqA4Jk1sE5dM9lXo6bTzQ+Wc4=",
    "secret_rotating_until": "2026-11-27T16:40:02.113500Z",
    "updated_at": "2026-11-26T16:40:02.113500Z",
}
DISABLED_EXAMPLE: dict[str, Any] = {
    **VIEW_EXAMPLE,
    "status": "disabled",
    "disabled_reason": "disabled through the API",
    "updated_at": "2026-11-26T17:02:41.500112Z",
}
DELIVERY_EXAMPLE: dict[str, Any] = {
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
ATTEMPT_EXAMPLE: dict[str, Any] = {
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


def responses(status: int, description: str, example: Any, *problems: int) -> dict[int | str, dict[str, Any]]:
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
            dialect=DIALECT,
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

    grace_seconds: Annotated[
        int,
        Field(
            ge=0,
            le=MAX_GRACE_SECONDS,
            description="How long deliveries stay signed with the old secret too (0 to 604800; 0 drops it "
            "now).",
        ),
        NOT_A_BOOLEAN,
    ] = DEFAULT_GRACE_SECONDS


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

    model_config = ConfigDict(json_schema_extra={"examples": [VIEW_EXAMPLE]})

    id: str = Field(description="The endpoint's UUID.")
    dialect: WebhookDialect = Field(
        description="The API that created it (`senderguide` ones see only SMS/MMS)."
    )
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

    model_config = ConfigDict(json_schema_extra={"examples": [CREATED_EXAMPLE]})

    secret: str = Field(description="`whsec_` and 32 random bytes in base64. Shown this once: keep it.")


class DeliveryOut(BaseModel):
    """One event queued for one endpoint."""

    model_config = ConfigDict(json_schema_extra={"examples": [DELIVERY_EXAMPLE]})

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

    model_config = ConfigDict(json_schema_extra={"examples": [ATTEMPT_EXAMPLE]})

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


def webhook_out(view: EndpointView) -> WebhookOut:
    return WebhookOut(**webhook_fields(view))


def webhook_fields(view: EndpointView) -> dict[str, Any]:
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


def delivery_out(view: DeliveryView) -> DeliveryOut:
    return DeliveryOut(**view.model_dump())


def attempt_out(view: AttemptView) -> AttemptOut:
    return AttemptOut(**view.model_dump())


@contextmanager
def api_field_names() -> Iterator[None]:
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
