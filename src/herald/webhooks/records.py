"""The webhooks domain's records: values built per delivery on the worker's hot path (the facts a payload
is made from, a request ready to send, what its attempt came to). Plain dataclasses rather than the
pydantic models of ``schemas.py``: they never come from a wire and are built by the thousand per second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


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


@dataclass
class Outgoing:
    """One HTTP request to make, ready to send: the body is signed, the URL carries GET's query."""

    delivery_id: int
    endpoint_id: int
    interaction_id: int
    attempt: int
    method: str
    url: str
    body: bytes | None
    headers: dict[str, str] = field(repr=False)  # may carry the Authorization header
    # The claim's lease expiry: it tells this claim from a later one of the same row (a fencing token).
    lease_until: datetime | None = None
    # The endpoint had a failure record when claimed: a success must clear it.
    endpoint_failing: bool = False


@dataclass
class Outcome:
    """What one attempt came to. ``status`` None means no HTTP answer (timeout, refused, ...)."""

    delivery_id: int
    endpoint_id: int
    interaction_id: int
    attempt: int
    status: int | None
    latency_ms: int
    error: str | None = None
    excerpt: str | None = None
    retry_after: timedelta | None = None
    endpoint_failing: bool = False
    lease_until: datetime | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        return self.status == 410
