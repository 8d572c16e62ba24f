"""The payload SenderGuide (Everlytic) SMS webhooks receive, as the vendor documents it (NOTES.md):
registered at the composition root as the ``senderguide`` webhook shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from herald.api.senderguide.codes import DIALECT, WIRE_EVENT_TYPES
from herald.timezones import zone
from herald.webhooks.records import EventFacts
from herald.webhooks.shapes import PayloadShape


def _local(moment: datetime | None, timezone: str) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(zone(timezone)).isoformat(timespec="seconds")


def payload(endpoint_public_id: str, facts: EventFacts) -> dict[str, Any]:
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
        "type": WIRE_EVENT_TYPES.get(facts.type, facts.type),
        "timestamp": at,
        "data": data,
    }


# SenderGuide's SMS webhooks see only text-message events, and their ``transaction.id`` is the
# contact's first send of the message.
SHAPE = PayloadShape(
    dialect=DIALECT,
    event_types=tuple(WIRE_EVENT_TYPES),
    channels=frozenset({"sms", "mms"}),
    needs_first_send=True,
    build=payload,
)
