"""Commands and views of suppressions: addresses that must not be sent to on a channel."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from herald.contacts.rules import check_phone, normalize_email
from herald.types import Channel

# An address is suppressed per kind of address: email, or phone (``sms`` covers SMS and MMS).
SuppressibleChannel = Literal[Channel.EMAIL, Channel.SMS]


class SuppressionReason(StrEnum):
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    MANUAL = "manual"


def normalize_address(channel: Channel, address: str) -> str:
    """An email lower-cased or an E.164 phone, as the channel needs; ValueError otherwise."""
    return normalize_email(address) if channel == Channel.EMAIL else check_phone(address)


class SuppressionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"channel": "email", "address": "ada@example.com", "reason": "unsubscribed"},
                {"channel": "sms", "address": "+14155550123", "reason": "manual"},
            ]
        },
    )

    channel: SuppressibleChannel
    address: str = Field(max_length=320, description="An email for `email`, an E.164 number for `sms`.")
    reason: SuppressionReason = SuppressionReason.MANUAL

    @model_validator(mode="after")
    def _address_fits_channel(self) -> SuppressionCreate:
        self.address = normalize_address(self.channel, self.address)
        return self


class SuppressionView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: SuppressibleChannel
    address: str
    reason: SuppressionReason
    created_at: datetime
