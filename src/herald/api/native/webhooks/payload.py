"""The payload native webhooks receive: registered at the composition root as the ``native`` shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from herald.interactions.types import ALL_TYPES
from herald.webhooks.records import EventFacts
from herald.webhooks.shapes import PayloadShape

# The name endpoints created through the native API carry.
DIALECT = "native"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def payload(_endpoint_public_id: str, facts: EventFacts) -> dict[str, Any]:
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


# Native endpoints may subscribe to every ledger event, of every channel.
SHAPE = PayloadShape(
    dialect=DIALECT, event_types=ALL_TYPES, channels=None, needs_first_send=False, build=payload
)
