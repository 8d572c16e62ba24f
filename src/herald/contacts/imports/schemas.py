"""The row and the result of a bulk contact import."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from herald.contacts.rules import Attributes, Email, Id, Phone

MAX_LIST_IDS_PER_ROW = 100


class ImportRow(BaseModel):
    """One contact of a bulk import (an NDJSON line, or a CSV row once its columns are sorted out)."""

    model_config = ConfigDict(extra="forbid")

    email: Email | None = None
    phone: Phone | None = None
    attributes: Attributes = Field(default_factory=dict)
    list_ids: list[Id] = Field(default_factory=list, max_length=MAX_LIST_IDS_PER_ROW)

    @model_validator(mode="after")
    def _reachable(self) -> ImportRow:
        if self.email is None and self.phone is None:
            raise ValueError("a contact needs an email or a phone")
        return self


class ImportResult(BaseModel):
    created: int = Field(description="New contacts.")
    updated: int = Field(description="Existing contacts a row matched (by email, else by phone).")
    rows: int = Field(description="Data rows read.")
    dry_run: bool = Field(default=False, description="True when nothing was written (`?dry_run=true`).")
