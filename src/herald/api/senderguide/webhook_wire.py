"""Wire to command and view to bytes for SenderGuide's 2.0 SMS webhooks (``/api/2.0/.../sms/webhooks``).

Pure translation: no session, no request. A body is ``{"webhook": {...}}``; every problem of its fields is
collected and named together under the field as the client spelled it (``auth_details.username``). The
service then checks what needs the endpoint's stored state or the network (the merged settings, the URL's
target); its problems come back in the same envelope.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast
from urllib.parse import urlsplit
from uuid import UUID

import orjson

from herald.api.senderguide.codes import DIALECT, EVENT_TYPES, WIRE_EVENT_TYPES
from herald.errors import FieldProblem, InvalidInput, NotFound
from herald.timezones import zone
from herald.webhooks import service as webhooks_service
from herald.webhooks.schemas import EndpointPatch, EndpointSpec, EndpointStatus, EndpointView

VERBS = ("POST", "GET")
# What a stored password looks like on the way out. Sent back on update it means "keep the stored one",
# so a client can PUT what it got from GET without overwriting the password with the mask.
PASSWORD_MASK = "********"  # noqa: S105 (the mask, not a password)
NOT_FOUND = "webhook not found"
MAX_BODY_BYTES = 64 * 1024
TOO_LARGE = "request body is too large"
NOT_JSON = "request body is not valid JSON"
# "Leave it as it is": what ``_auth`` gives for a part of basic auth an update does not name.
UNSET: object = object()


class _Problems:
    """The problems found so far, in the order the fields are read."""

    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, field: str, reason: str) -> None:
        self.items.append(FieldProblem(field, reason))

    def raise_any(self) -> None:
        if self.items:
            raise InvalidInput(_message(self.items), problems=self.items)


def parse_create(body: bytes) -> EndpointSpec:
    """A new SenderGuide endpoint from a create body; raises InvalidInput naming every problem."""
    webhook = _webhook_object(body)
    problems = _Problems()
    event_types = _event_types(webhook.get("event_types"), problems, null="is required")
    url = _url(webhook.get("url"), problems)
    verb = _verb(webhook.get("verb"), problems)
    raw_status = webhook.get("status")
    status = EndpointStatus.ENABLED if raw_status is None else _status(raw_status, problems)
    username, password = _auth(webhook, problems, partial=False)
    problems.raise_any()  # every field parsed from here on
    assert event_types is not None
    assert url is not None
    assert verb is not None
    assert status is not None
    return EndpointSpec(
        dialect=DIALECT,
        url=url,
        event_types=event_types,
        verb=verb,
        auth_username=username if isinstance(username, str) else None,
        auth_password=password if isinstance(password, str) else None,
        status=status,
    )


def parse_update(body: bytes) -> EndpointPatch:
    """A partial change from an update body: only the fields present change; raises InvalidInput."""
    webhook = _webhook_object(body)
    problems = _Problems()
    patch = EndpointPatch()
    if "event_types" in webhook:
        patch.event_types = _event_types(webhook["event_types"], problems, null="must not be null")
    if "url" in webhook:
        patch.url = _url(webhook["url"], problems)
    if "verb" in webhook:
        patch.verb = _verb(webhook["verb"], problems)
    if "status" in webhook:
        patch.status = _status(webhook["status"], problems)
    username, password = _auth(webhook, problems, partial=True)
    if username is not UNSET:
        patch.auth_username = cast("str | None", username)
    if password is not UNSET:
        patch.auth_password = cast("str | None", password)
    problems.raise_any()
    return patch


def parse_webhook_id(raw: str) -> str:
    """The endpoint id in a path, as stored (a lowercase UUID); anything else is simply not found."""
    if len(raw) > 64:
        raise NotFound(NOT_FOUND)
    try:
        return str(UUID(raw))
    except ValueError:
        raise NotFound(NOT_FOUND) from None


def render_webhook(view: EndpointView, timezone: str) -> bytes:
    """Create, get and update: ``{"status":"success","data":{"webhook":{...}}}``."""
    return orjson.dumps({"status": "success", "data": {"webhook": _webhook(view, timezone)}})


def render_webhooks(views: Sequence[EndpointView], timezone: str) -> bytes:
    """The list, in creation order: ``{"status":"success","data":{"webhooks":[...]}}``."""
    return orjson.dumps(
        {"status": "success", "data": {"webhooks": [_webhook(view, timezone) for view in views]}}
    )


def render_deleted() -> bytes:
    return orjson.dumps({"status": "success"})


def render_not_found() -> bytes:
    return orjson.dumps({"status": "error", "message": NOT_FOUND})


def render_invalid(error: InvalidInput) -> bytes:
    """A 400: ``{"status":"error","message":"<what is wrong>","errors":{"<field>":["<reason>", ...]}}``.

    Problems the service names by position (``event_types.2``) are shown under the field the client sent.
    """
    errors: dict[str, list[str]] = {}
    for problem in error.problems:
        reasons = errors.setdefault(_wire_field(problem.field), [])
        if problem.reason not in reasons:
            reasons.append(problem.reason)
    message = _message(error.problems) if error.problems else error.detail
    return orjson.dumps({"status": "error", "message": message, "errors": errors})


def _webhook(view: EndpointView, timezone: str) -> dict[str, Any]:
    """One endpoint with the keys in the vendor's order; the password is never shown."""
    basic = view.auth_username is not None
    return {
        "id": view.public_id,
        "url": view.url,
        "verb": view.verb.lower(),
        "auth_details": (
            {"username": view.auth_username, "password": PASSWORD_MASK if view.has_password else None}
            if basic
            else None
        ),
        "auth_type": "basic" if basic else None,
        "status": view.status,
        "updated_timestamp": _timestamp(view.updated_at, timezone),
        "created_timestamp": _timestamp(view.created_at, timezone),
        "event_types": [WIRE_EVENT_TYPES.get(kind, kind) for kind in view.event_types],
    }


def _timestamp(moment: datetime, timezone: str) -> str:
    """ISO 8601 to the second with the account zone's offset: ``2023-09-09T19:31:43+02:00``."""
    return moment.astimezone(zone(timezone)).isoformat(timespec="seconds")


def _webhook_object(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_BODY_BYTES:
        raise InvalidInput(TOO_LARGE)
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidInput(NOT_JSON) from None
    if not isinstance(data, dict):
        raise InvalidInput(NOT_JSON)
    webhook = data.get("webhook")
    if not isinstance(webhook, dict):
        raise InvalidInput(
            "webhook: is required and must be an object",
            problems=[FieldProblem("webhook", "is required and must be an object")],
        )
    return webhook


def _event_types(value: Any, problems: _Problems, *, null: str) -> list[str] | None:
    """Ledger types for the dialect's words (any letter case), in the order given; ``null`` is the reason
    given for a missing or null value."""
    valid = ", ".join(EVENT_TYPES)
    if value is None:
        problems.add("event_types", null)
        return None
    if not isinstance(value, list):
        problems.add("event_types", f"must be an array of event types ({valid})")
        return None
    if not value:
        problems.add("event_types", "must name at least one event type")
        return None
    kinds: list[str] = []
    for item in value:
        kind = EVENT_TYPES.get(item.strip().lower()) if isinstance(item, str) else None
        if kind is None:
            problems.add("event_types", f"{_show(item)} is not an event type; valid values: {valid}")
        else:
            kinds.append(kind)
    return kinds


def _url(value: Any, problems: _Problems) -> str | None:
    """The URL's shape only; the service checks its scheme, length and target."""
    if value is None or (isinstance(value, str) and not value.strip()):
        problems.add("url", "is required")
        return None
    if not isinstance(value, str):
        problems.add("url", "must be a string")
        return None
    url = value.strip()
    if any(char.isspace() or not char.isprintable() for char in url):
        problems.add("url", "must not contain spaces or control characters")
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        problems.add("url", "is not a valid URL")
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        # named with the other fields' problems; the service still checks the host and its address
        problems.add("url", "must be an absolute http or https URL")
        return None
    return url


def _verb(value: Any, problems: _Problems) -> str | None:
    if value is None:
        problems.add("verb", "is required")
        return None
    verb = value.strip().upper() if isinstance(value, str) else None
    if verb not in VERBS:
        problems.add("verb", "must be POST or GET")
        return None
    return verb


def _status(value: Any, problems: _Problems) -> EndpointStatus | None:
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in ("enabled", "disabled"):
        problems.add("status", "must be enabled or disabled")
        return None
    return EndpointStatus(text)


def _auth(webhook: dict[str, Any], problems: _Problems, *, partial: bool) -> tuple[object, object]:
    """(username, password) for the spec or patch: a string, None (no basic auth), or UNSET (leave alone).

    ``auth_type: null`` (or ``""``) means no basic auth; ``basic`` needs both credentials. Credentials sent
    without ``auth_type`` mean basic auth too (on update they change only what is given). A password equal to
    the mask keeps the stored one on update and is refused on create.
    """
    wants_basic: bool | None = None
    if "auth_type" in webhook:
        auth_type = webhook["auth_type"]
        if auth_type is None or (isinstance(auth_type, str) and not auth_type.strip()):
            wants_basic = False
        elif isinstance(auth_type, str) and auth_type.strip().lower() == "basic":
            wants_basic = True
        else:
            problems.add("auth_type", "must be basic or null")
            return UNSET, UNSET
    details = webhook.get("auth_details")
    if details is not None and not isinstance(details, dict):
        problems.add("auth_details", "must be an object with username and password")
        return UNSET, UNSET
    details = details or {}
    username = _credential(details, "username", problems)
    password = _credential(details, "password", problems)
    given = username is not None or password is not None
    if wants_basic is False:
        if given:
            problems.add("auth_type", "must be basic when auth_details carry a username or password")
            return UNSET, UNSET
        return None, None
    if wants_basic is None and not given:
        return (UNSET, UNSET) if partial else (None, None)
    # Basic auth, asked for by auth_type or implied by the credentials sent.
    need_both = wants_basic is True or not partial
    reason = "is required when auth_type is basic" if wants_basic else "is required for basic auth"
    for field, value in (("username", username), ("password", password)):
        if value is None and need_both and not _has_error(problems, f"auth_details.{field}"):
            problems.add(f"auth_details.{field}", reason)
    if password == PASSWORD_MASK:
        if not partial:
            problems.add(
                "auth_details.password",
                f'"{PASSWORD_MASK}" is how Herald hides a stored password; send the real password',
            )
        password = None  # on update: keep the stored password
    return (
        username if username is not None else UNSET,
        password if password is not None else UNSET,
    )


def _credential(details: dict[str, Any], name: str, problems: _Problems) -> str | None:
    """One of ``auth_details``' strings; None when absent, null or empty."""
    value = details.get(name)
    if value is None or value == "":
        return None
    field = f"auth_details.{name}"
    if not isinstance(value, str):
        problems.add(field, "must be a string")
        return None
    if name == "username":
        if len(value) > webhooks_service.MAX_USERNAME_LENGTH:
            problems.add(field, f"must be at most {webhooks_service.MAX_USERNAME_LENGTH} characters")
            return None
        if not value.isprintable():
            problems.add(field, "must not contain control characters")
            return None
    elif "\x00" in value:
        problems.add(field, "must not contain NUL characters")
        return None
    return value


def _has_error(problems: _Problems, field: str) -> bool:
    return any(problem.field == field for problem in problems.items)


def _wire_field(field: str) -> str:
    """``event_types.3`` (the service's position) is ``event_types`` on the wire."""
    head, _, rest = field.partition(".")
    return head if head == "event_types" and rest.isdigit() else field


def _message(problems: Sequence[FieldProblem]) -> str:
    """Every problem in one sentence: ``url: is required; verb: must be POST or GET``."""
    return "; ".join(f"{_wire_field(problem.field)}: {problem.reason}" for problem in problems)


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else orjson.dumps(value).decode()
    return text if len(text) <= 40 else text[:37] + "..."
