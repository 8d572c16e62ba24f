"""What the webhook service takes and gives back, independent of any dialect's wire format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from herald.jobs.leases import QueueState


class EndpointStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


# Delivery states as the API shows them; the queue columns use the lanes' vocabulary underneath.
DELIVERY_STATES: dict[str, str] = {
    QueueState.AVAILABLE: "pending",
    QueueState.RUNNING: "sending",
    QueueState.COMPLETED: "delivered",
    QueueState.DISCARDED: "failed",
}

UNSET: object = object()


@dataclass(frozen=True)
class EndpointPolicy:
    """How endpoints are checked when saved: whether private addresses are allowed."""

    allow_private: bool = False


@dataclass
class EndpointSpec:
    """A new endpoint; ``dialect`` names the payload shape it receives (the API that creates it),
    ``event_types`` are ledger types (sends, deliveries, ...)."""

    dialect: str
    url: str
    event_types: list[str]
    verb: str = "POST"
    auth_username: str | None = None
    auth_password: str | None = None
    status: EndpointStatus = EndpointStatus.ENABLED
    description: str | None = None


@dataclass
class EndpointPatch:
    """A partial change: only the fields set (not ``UNSET``) are applied. Setting ``auth_username`` to
    None removes basic auth."""

    url: object = UNSET
    event_types: object = UNSET
    verb: object = UNSET
    auth_username: object = UNSET
    auth_password: object = UNSET
    status: object = UNSET
    description: object = UNSET

    def given(self) -> dict[str, object]:
        return {name: value for name, value in vars(self).items() if value is not UNSET}


@dataclass(frozen=True)
class EndpointView:
    id: int
    public_id: str
    dialect: str
    url: str
    verb: str
    event_types: list[str]
    description: str | None
    auth_username: str | None
    has_password: bool
    status: str
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime
    secret_rotating_until: datetime | None = None


@dataclass(frozen=True)
class DeliveryView:
    id: int
    endpoint_id: str
    interaction_id: int
    event_type: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class AttemptView:
    id: int
    delivery_id: int
    endpoint_id: str
    interaction_id: int
    attempt: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    outcome: str
    response_excerpt: str | None
    error: str | None


@dataclass
class Created:
    view: EndpointView
    secret: str = field(repr=False)
