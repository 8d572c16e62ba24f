"""What the webhook service takes and gives back, independent of any dialect's wire format."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

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


class EndpointPolicy(BaseModel):
    """How endpoints are checked when saved: whether private addresses are allowed."""

    model_config = ConfigDict(frozen=True)

    allow_private: bool = False


class EndpointSpec(BaseModel):
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


class EndpointPatch(BaseModel):
    """A partial change: only the fields set (``model_fields_set``) are applied. Setting
    ``auth_username`` to None removes basic auth."""

    url: str | None = None
    event_types: list[str] | None = None
    verb: str | None = None
    auth_username: str | None = None
    auth_password: str | None = None
    status: EndpointStatus | None = None
    description: str | None = None

    def given(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class EndpointView(BaseModel):
    model_config = ConfigDict(frozen=True)

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


class DeliveryView(BaseModel):
    model_config = ConfigDict(frozen=True)

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


class AttemptView(BaseModel):
    model_config = ConfigDict(frozen=True)

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


class Created(BaseModel):
    """A saved endpoint and its signing secret: the one time the secret is shown."""

    view: EndpointView
    secret: str = Field(repr=False)
