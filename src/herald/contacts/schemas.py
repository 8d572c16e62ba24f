"""Commands and views of contacts themselves (lists, segments, suppressions and imports have their rooms).

Inputs forbid unknown fields and normalise as they validate: an email is lower-cased, a phone must already
be E.164, attribute values are scalars (``rules.py``). The same types serve the API, the importer and the
tests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from herald.contacts.rules import Attributes, Email, Phone


class ContactCreate(BaseModel):
    """A new contact: an email, a phone, or both, and its attributes."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "email": "ada@example.com",
                    "phone": "+14155550123",
                    "attributes": {"first_name": "Ada", "city": "London", "age": 36, "vip": True},
                }
            ]
        },
    )

    email: Email | None = None
    phone: Phone | None = None
    attributes: Attributes = Field(default_factory=dict)

    @model_validator(mode="after")
    def _reachable(self) -> ContactCreate:
        if self.email is None and self.phone is None:
            raise ValueError("a contact needs an email or a phone")
        return self


class ContactPatch(BaseModel):
    """Changes to a contact: given fields replace (null removes email or phone), attributes merge by key."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"phone": "+14155550199", "attributes": {"city": "Paris", "vip": None}}]
        },
    )

    email: Email | None = None
    phone: Phone | None = None
    attributes: Attributes = Field(
        default_factory=dict, description="Merged into the stored attributes; a null value deletes the key."
    )


class ContactFilter(BaseModel):
    email: str | None = None
    phone: str | None = None
    list_id: int | None = None


class ContactView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str | None
    phone: str | None
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime
