"""What a webhook receives, as far as the webhooks domain knows: the neutral facts of one event, the
payload shapes the dialects register (each API that creates endpoints owns the payload its endpoints get),
and the query-string form of any payload for verb GET.

A shape is registered at the composition root by the dialect that owns it (``api/native``,
``api/senderguide``); an endpoint stores the name of its shape (its ``dialect``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from herald.extension import ExtensionPoint
from herald.webhooks.records import EventFacts

PayloadBuilder = Callable[[str, EventFacts], dict[str, Any]]


@dataclass(frozen=True)
class PayloadShape:
    """How one dialect's endpoints are fed: which ledger event types they may subscribe to, the message
    channels whose events they receive (None: every channel), whether the payload needs the contact's
    first send of the message (one more seek per event), and the payload itself from (endpoint public id,
    facts)."""

    dialect: str
    event_types: tuple[str, ...]
    channels: frozenset[str] | None
    needs_first_send: bool
    build: PayloadBuilder

    def receives(self, event_type: str, channel: str | None) -> bool:
        return event_type in self.event_types and (self.channels is None or channel in self.channels)


shapes: ExtensionPoint[PayloadShape] = ExtensionPoint("the webhook payload shapes")


def shape_of(dialect: str) -> PayloadShape:
    """The registered shape of ``dialect``; KeyError for a name no dialect registered."""
    shape = shapes.get(dialect)
    if shape is None:
        raise KeyError(f"no webhook payload shape is registered for {dialect!r}")
    return shape


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
