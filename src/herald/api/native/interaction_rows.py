"""The rows of `POST /v1/interactions`, checked one by one: a bad row is rejected alone, with its reason,
and the rest of the batch is recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from herald.interactions.records import NewInteraction, Rejection
from herald.interactions.schemas import MAX_EVENT_ID_LENGTH
from herald.interactions.types import ALL_TYPES, InteractionType

_STRING_METADATA = ("url", "text", "reason", "user_agent", "ip", "provider_message_id")
_FIELDS = frozenset({"message_id", "contact_id", "type", "occurred_at", "event_id", "metadata"})
_TYPES = {t.value: t for t in InteractionType}
_BOUNCE_TYPES = ("hard", "soft")
MAX_METADATA_KEYS = 50


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or value > 2**62:
        return None
    return value


def parse_occurred_at(value: Any) -> datetime | None:
    """An RFC 3339 timestamp with an explicit offset, as UTC; None when it is anything else, or when its
    offset moves it outside the years 1 to 9999 in UTC (``0001-01-01T00:00:00+14:00``)."""
    if not isinstance(value, str) or not 10 < len(value) <= 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None


def _metadata_problem(metadata: dict[str, Any]) -> str | None:
    if len(metadata) > MAX_METADATA_KEYS:
        return f"metadata has more than {MAX_METADATA_KEYS} keys"
    for key in _STRING_METADATA:
        if key in metadata and metadata[key] is not None and not isinstance(metadata[key], str):
            return f"metadata.{key} must be a string"
    bounce_type = metadata.get("bounce_type")
    if bounce_type is not None and bounce_type not in _BOUNCE_TYPES:
        return 'metadata.bounce_type must be "hard" or "soft"'
    error_code = metadata.get("error_code")
    if error_code is not None and (isinstance(error_code, bool) or not isinstance(error_code, str | int)):
        return "metadata.error_code must be a string or an integer"
    return None


def validate_row(index: int, raw: Any) -> NewInteraction | Rejection:
    """Check one row of ``POST /v1/interactions``; the first problem found is its reason."""
    if not isinstance(raw, dict):
        return Rejection(index, "each interaction must be a JSON object")
    unknown = sorted(raw.keys() - _FIELDS) if len(raw) > len(_FIELDS) or not raw.keys() <= _FIELDS else None
    if unknown:
        return Rejection(index, f"unknown field: {unknown[0]}")
    message_id = _positive_int(raw.get("message_id"))
    if message_id is None:
        return Rejection(index, "message_id is required and must be a positive integer")
    contact_id = _positive_int(raw.get("contact_id"))
    if contact_id is None:
        return Rejection(index, "contact_id is required and must be a positive integer")
    kind = raw.get("type")
    known = (_TYPES.get(kind) or _TYPES.get(kind.lower())) if isinstance(kind, str) else None
    if known is None:
        return Rejection(index, f"type must be one of: {', '.join(ALL_TYPES)}")
    occurred_at = parse_occurred_at(raw.get("occurred_at"))
    if occurred_at is None:
        return Rejection(
            index,
            "occurred_at is required, as RFC 3339 with an offset (2024-05-15T20:04:59Z), "
            "between the years 1 and 9999 in UTC",
        )
    event_id = raw.get("event_id")
    if event_id is not None and (
        not isinstance(event_id, str) or not event_id or len(event_id) > MAX_EVENT_ID_LENGTH
    ):
        return Rejection(
            index, f"event_id must be a non-empty string of at most {MAX_EVENT_ID_LENGTH} characters"
        )
    metadata = raw.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        return Rejection(index, "metadata must be a JSON object")
    problem = _metadata_problem(metadata) if metadata else None
    if problem:
        return Rejection(index, problem)
    return NewInteraction(
        index=index,
        message_id=message_id,
        contact_id=contact_id,
        type=known,
        occurred_at=occurred_at,
        event_id=event_id,
        metadata=metadata,
    )
