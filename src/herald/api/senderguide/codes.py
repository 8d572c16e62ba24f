"""The SenderGuide dialect's own words and the domain's, as total mapping tables (tested for totality)."""

from __future__ import annotations

# The name endpoints created through this dialect carry, and so the payload shape they receive.
DIALECT = "senderguide"

# The SMS webhooks' event words and the ledger types they stand for (a bijection).
EVENT_TYPES: dict[str, str] = {
    "sent": "sends",
    "delivered": "deliveries",
    "failed": "failures",
    "bounce": "bounces",
    "reply": "replies",
}
WIRE_EVENT_TYPES: dict[str, str] = {ledger: wire for wire, ledger in EVENT_TYPES.items()}
