"""The closed set of ledger event types, shared by ingest, reports and (later) webhooks."""

from __future__ import annotations

from enum import StrEnum


class InteractionType(StrEnum):
    SENDS = "sends"
    DELIVERIES = "deliveries"
    OPENS = "opens"
    CLICKS = "clicks"
    BOUNCES = "bounces"
    UNSUBSCRIBES = "unsubscribes"
    COMPLAINTS = "complaints"
    FAILURES = "failures"
    REPLIES = "replies"


ALL_TYPES: tuple[str, ...] = tuple(t.value for t in InteractionType)
