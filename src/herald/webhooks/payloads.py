"""What a webhook receives: the SenderGuide (Everlytic) payload for that dialect's endpoints, a Standard
Webhooks-style envelope for native ones, and the query-string form for verb GET. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from herald.timezones import zone

# Ledger type → the vendor's webhook event name.
SENDERGUIDE_EVENT_NAMES = {
    "sends": "sent",
    "deliveries": "delivered",
    "failures": "failed",
    "bounces": "bounce",
    "replies": "reply",
}


@dataclass(frozen=True)
class EventFacts:
    """One ledger row with what its payload needs from around it (message, first send, account zone)."""

    interaction_id: int
    type: str
    message_id: int
    contact_id: int
    contact_email: str | None
    contact_phone: str | None
    occurred_at: datetime
    recorded_at: datetime
    event_id: str | None
    metadata: dict[str, Any]
    channel: str
    campaign_name: str
    timezone: str
    send_id: int | None
    sent_at: datetime | None


def _local(moment: datetime | None, timezone: str) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(zone(timezone)).isoformat(timespec="seconds")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def senderguide_payload(endpoint_public_id: str, facts: EventFacts) -> dict[str, Any]:
    """The vendor's documented shape; Herald's extra keys live only inside ``data.transaction``."""
    meta = facts.metadata
    at = _local(facts.occurred_at, facts.timezone)
    transaction: dict[str, Any] = {
        "id": facts.send_id,
        "custom_id": "",
        "campaign": {"name": facts.campaign_name},
        "sent_timestamp": _local(facts.sent_at, facts.timezone),
        "recipient": {"mobile_number": (facts.contact_phone or "").lstrip("+")},
        "message_id": facts.message_id,
        "contact_id": facts.contact_id,
    }
    if "provider_message_id" in meta:
        transaction["provider_message_id"] = meta["provider_message_id"]
    if facts.type == "failures":
        transaction["error_code"] = meta.get("error_code")
        transaction["error_reason"] = meta.get("reason")
    data: dict[str, Any] = {"transaction": transaction}
    if facts.type == "replies":
        data["reply"] = {"content": meta.get("text", ""), "received_timestamp": at}
    elif facts.type == "bounces":
        data["bounce"] = {
            "message": meta.get("reason", ""),
            "type": meta.get("bounce_type", ""),
            "received_timestamp": at,
        }
    return {
        "id": endpoint_public_id,
        "type": SENDERGUIDE_EVENT_NAMES.get(facts.type, facts.type),
        "timestamp": at,
        "data": data,
    }


def native_payload(facts: EventFacts) -> dict[str, Any]:
    """``{"type", "timestamp", "data"}`` as Standard Webhooks recommends; ``data`` is the ledger row as
    ``GET /v1/interactions`` shows it, plus the message's channel."""
    return {
        "type": facts.type,
        "timestamp": _utc(facts.occurred_at),
        "data": {
            "id": facts.interaction_id,
            "message_id": facts.message_id,
            "contact_id": facts.contact_id,
            "contact_email": facts.contact_email,
            "contact_phone": facts.contact_phone,
            "type": facts.type,
            "channel": facts.channel,
            "occurred_at": _utc(facts.occurred_at),
            "event_id": facts.event_id,
            "metadata": facts.metadata,
            "recorded_at": _utc(facts.recorded_at),
        },
    }


def flatten(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """The payload as query parameters: nested keys joined with dots (``data.transaction.id=5``), list
    items by position, null as an empty value, booleans as true/false."""
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, list):
            for position, item in enumerate(value):
                walk(f"{prefix}.{position}", item)
        elif value is None:
            pairs.append((prefix, ""))
        elif isinstance(value, bool):
            pairs.append((prefix, "true" if value else "false"))
        else:
            pairs.append((prefix, str(value)))

    walk("", payload)
    return pairs


def query_string(payload: dict[str, Any]) -> str:
    return urlencode(flatten(payload))


def with_query(url: str, query: str) -> str:
    """``url`` with ``query`` after its own query parameters (kept); a fragment is never sent."""
    parts = urlsplit(url)
    combined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, combined, ""))
