"""Webhook endpoints of every dialect: saved, checked, changed, disabled, deleted, their secrets rotated.

The outbox and the attempt log are in ``outbox.py``. Every function runs in the caller's transaction and
never commits. Endpoint ids on the wire are UUID strings (``public_id``); an id of another account is
simply not found. Which events an endpoint may receive is its dialect's payload shape (``shapes.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import cast
from urllib.parse import SplitResult, urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from herald.db.base import utcnow
from herald.errors import Conflict, FieldProblem, InvalidInput, NotFound
from herald.interactions.types import ALL_TYPES
from herald.jobs.leases import PENDING_STATES, QueueState
from herald.webhooks import ssrf
from herald.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, deliveries_table
from herald.webhooks.schemas import (
    Created,
    EndpointPatch,
    EndpointPolicy,
    EndpointSpec,
    EndpointStatus,
    EndpointView,
)
from herald.webhooks.secrets import SecretBox, new_signing_secret
from herald.webhooks.shapes import shapes

NOT_FOUND = "webhook not found"
VERBS = ("POST", "GET")
MAX_URL_LENGTH = 2000
MAX_USERNAME_LENGTH = 255


def check_endpoint(
    *,
    url: str,
    event_types: Sequence[str],
    verb: str,
    username: str | None,
    password: str | None,
    policy: EndpointPolicy,
    dialect: str,
) -> None:
    """Raise InvalidInput naming every problem of an endpoint's merged settings."""
    problems: list[FieldProblem] = []
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = urlsplit("")
    if len(url) > MAX_URL_LENGTH:
        problems.append(FieldProblem("url", f"must be at most {MAX_URL_LENGTH} characters"))
    elif _has_control_characters(url) or " " in url:
        problems.append(FieldProblem("url", "must not contain spaces or control characters"))
    elif parts.scheme not in ("http", "https") or not parts.hostname or not _valid_port(parts):
        problems.append(FieldProblem("url", "must be an absolute http or https URL"))
    elif parts.fragment or url.endswith("#"):
        problems.append(FieldProblem("url", "must not have a #fragment (it is never sent to the server)"))
    elif parts.username or parts.password:
        problems.append(FieldProblem("url", "must not carry credentials; use basic auth settings"))
    else:
        try:
            ssrf.check_url(url, allow_private=policy.allow_private)
        except ssrf.ForbiddenAddress as error:
            problems.append(FieldProblem("url", str(error)))
    if not event_types:
        problems.append(FieldProblem("event_types", "must name at least one event type"))
    shape = shapes.get(dialect)
    if shape is None:
        problems.append(FieldProblem("dialect", f"no webhook payload shape is named {dialect!r}"))
    receivable = shape.event_types if shape is not None else ()
    for position, kind in enumerate(event_types):
        if kind not in ALL_TYPES:
            problems.append(FieldProblem(f"event_types.{position}", f"unknown event type {kind!r}"))
        elif kind not in receivable:
            problems.append(
                FieldProblem(f"event_types.{position}", f"a {dialect} webhook cannot receive {kind!r} events")
            )
    if verb not in VERBS:
        problems.append(FieldProblem("verb", "must be POST or GET"))
    if (username is None) != (password is None):
        field = "auth_details.password" if password is None else "auth_details.username"
        problems.append(FieldProblem(field, "basic auth needs both a username and a password"))
    if username is not None and ":" in username:
        problems.append(FieldProblem("auth_details.username", "must not contain ':'"))
    if username is not None and len(username) > MAX_USERNAME_LENGTH:
        problems.append(
            FieldProblem("auth_details.username", f"must be at most {MAX_USERNAME_LENGTH} characters")
        )
    if username is not None and _has_control_characters(username):
        problems.append(FieldProblem("auth_details.username", "must not contain control characters"))
    if password is not None and "\x00" in password:
        problems.append(FieldProblem("auth_details.password", "must not contain NUL characters"))
    if problems:
        raise InvalidInput(
            problems[0].reason if len(problems) == 1 else "the webhook is invalid", problems=problems
        )


def prefetch_url(url: object, policy: EndpointPolicy) -> None:
    """Resolve a URL's host before the write transaction that saves it, so that the address check inside
    (``check_endpoint``) does not hold the database's write lock through a slow DNS lookup."""
    if isinstance(url, str) and not policy.allow_private:
        ssrf.prefetch(url)


def create_endpoint(
    session: Session, *, account_id: int, spec: EndpointSpec, box: SecretBox, policy: EndpointPolicy
) -> Created:
    """Save a new endpoint with a fresh signing secret, returned here once and never again."""
    event_types = _unique(spec.event_types)
    _check_description(spec.description)
    check_endpoint(
        url=spec.url,
        event_types=event_types,
        verb=spec.verb,
        username=spec.auth_username,
        password=spec.auth_password,
        policy=policy,
        dialect=str(spec.dialect),
    )
    secret = new_signing_secret()
    now = utcnow()
    endpoint = WebhookEndpoint(
        public_id=str(uuid.uuid4()),
        account_id=account_id,
        dialect=str(spec.dialect),
        url=spec.url,
        verb=spec.verb,
        event_types=event_types,
        description=spec.description,
        auth_username=spec.auth_username,
        auth_password_token=box.seal(spec.auth_password) if spec.auth_password is not None else None,
        secret_token=box.seal(secret),
        status=str(spec.status),
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    session.flush()
    return Created(view=_view(endpoint), secret=secret)


def list_endpoints(
    session: Session,
    *,
    account_id: int,
    dialect: str | None = None,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[EndpointView]:
    """The account's endpoints in creation order (all dialects unless one is named)."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.account_id == account_id)
    if dialect is not None:
        query = query.where(WebhookEndpoint.dialect == dialect)
    if after_id is not None:
        query = query.where(WebhookEndpoint.id > after_id)
    query = query.order_by(WebhookEndpoint.id)
    if limit is not None:
        query = query.limit(limit)
    return [_view(row) for row in session.scalars(query)]


def get_endpoint(
    session: Session, *, account_id: int, public_id: str, dialect: str | None = None
) -> EndpointView:
    return _view(load(session, account_id=account_id, public_id=public_id, dialect=dialect))


def update_endpoint(
    session: Session,
    *,
    account_id: int,
    public_id: str,
    patch: EndpointPatch,
    box: SecretBox,
    policy: EndpointPolicy,
    dialect: str | None = None,
) -> EndpointView:
    """Apply the fields given; the merged result is checked as a whole. Re-enabling clears the failure
    record; disabling discards the endpoint's pending deliveries (``recover`` brings them back)."""
    endpoint = load(session, account_id=account_id, public_id=public_id, dialect=dialect, lock=True)
    given = patch.given()
    url = cast(str, given.get("url", endpoint.url))
    event_types = _unique(cast(list[str], given.get("event_types", endpoint.event_types)))
    verb = cast(str, given.get("verb", endpoint.verb))
    username = cast("str | None", given.get("auth_username", endpoint.auth_username))
    if "auth_password" in given:
        password = cast("str | None", given["auth_password"])
    elif "auth_username" in given and given["auth_username"] is None:
        password = None
    else:
        password = box.open(endpoint.auth_password_token) if endpoint.auth_password_token else None
    check_endpoint(
        url=url,
        event_types=event_types,
        verb=verb,
        username=username,
        password=password,
        policy=policy,
        dialect=endpoint.dialect,
    )
    endpoint.url = url
    endpoint.event_types = event_types
    endpoint.verb = verb
    endpoint.auth_username = username
    if "auth_password" in given or username is None:
        endpoint.auth_password_token = box.seal(password) if password is not None else None
    if "description" in given:
        endpoint.description = _check_description(cast("str | None", given["description"]))
    if "status" in given:
        status = str(given["status"])
        if status == EndpointStatus.ENABLED and endpoint.status != EndpointStatus.ENABLED:
            endpoint.status = status
            endpoint.disabled_reason = None
            endpoint.failing_since = None
        elif status == EndpointStatus.DISABLED and endpoint.status != EndpointStatus.DISABLED:
            disable(session, endpoint, reason="disabled through the API")
    endpoint.updated_at = utcnow()
    session.flush()
    return _view(endpoint)


def delete_endpoint(session: Session, *, account_id: int, public_id: str, dialect: str | None = None) -> None:
    """Remove the endpoint with its deliveries and attempt log; a delivery in flight is not sent again."""
    endpoint = load(session, account_id=account_id, public_id=public_id, dialect=dialect)
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint.id))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    session.delete(endpoint)
    session.flush()


def rotate_secret(
    session: Session, *, account_id: int, public_id: str, grace: timedelta, box: SecretBox
) -> Created:
    """Give the endpoint a new signing secret; for ``grace`` deliveries carry signatures by both."""
    endpoint = load(session, account_id=account_id, public_id=public_id, lock=True)
    secret = new_signing_secret()
    now = utcnow()
    if grace > timedelta(0):
        endpoint.previous_secret_token = endpoint.secret_token
        endpoint.previous_secret_until = now + grace
    else:
        endpoint.previous_secret_token = None
        endpoint.previous_secret_until = None
    endpoint.secret_token = box.seal(secret)
    endpoint.updated_at = now
    session.flush()
    return Created(view=_view(endpoint), secret=secret)


def disable(session: Session, endpoint: WebhookEndpoint, *, reason: str) -> None:
    """Stop calling the endpoint: its pending deliveries are discarded with ``reason``."""
    now = utcnow()
    endpoint.status = EndpointStatus.DISABLED
    endpoint.disabled_reason = reason
    endpoint.updated_at = now
    session.execute(
        update(deliveries_table)
        .where(
            deliveries_table.c.endpoint_id == endpoint.id,
            deliveries_table.c.state.in_(PENDING_STATES),
        )
        .values(
            state=QueueState.DISCARDED,
            last_error=reason,
            run_at=now,
            finished_at=now,
            locked_by=None,
            locked_until=None,
        )
    )


def require_enabled(endpoint: WebhookEndpoint) -> None:
    if endpoint.status != EndpointStatus.ENABLED:
        raise Conflict(
            "the webhook is disabled; enable it first",
            problems=[FieldProblem("status", "must be enabled to send events")],
        )


def _valid_port(parts: SplitResult) -> bool:
    try:
        return parts.port is None or parts.port > 0
    except ValueError:  # out of range or not a number
        return False


def _check_description(description: str | None) -> str | None:
    if description is not None and "\x00" in description:
        raise InvalidInput(
            "description must not contain NUL characters",
            problems=[FieldProblem("description", "must not contain NUL characters")],
        )
    return description


def _has_control_characters(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def load(
    session: Session, *, account_id: int, public_id: str, dialect: str | None = None, lock: bool = False
) -> WebhookEndpoint:
    try:
        public_id = str(uuid.UUID(public_id))
    except ValueError:
        raise NotFound(NOT_FOUND) from None
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.public_id == public_id, WebhookEndpoint.account_id == account_id
    )
    if dialect is not None:
        query = query.where(WebhookEndpoint.dialect == dialect)
    if lock:
        query = query.with_for_update()
    endpoint = session.scalars(query).first()
    if endpoint is None:
        raise NotFound(NOT_FOUND)
    return endpoint


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _view(row: WebhookEndpoint) -> EndpointView:
    rotating = row.previous_secret_until
    if rotating is not None and rotating <= utcnow():
        rotating = None
    return EndpointView(
        id=row.id,
        public_id=row.public_id,
        dialect=row.dialect,
        url=row.url,
        verb=row.verb,
        event_types=list(row.event_types),
        description=row.description,
        auth_username=row.auth_username,
        has_password=row.auth_password_token is not None,
        status=row.status,
        disabled_reason=row.disabled_reason,
        failing_since=row.failing_since,
        created_at=row.created_at,
        updated_at=row.updated_at,
        secret_rotating_until=rotating,
    )
