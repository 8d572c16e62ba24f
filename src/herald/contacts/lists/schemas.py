"""Commands and views of lists and their memberships."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from herald.contacts.rules import Id, Name

MAX_MEMBERS_PER_REQUEST = 10_000


class ListCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Newsletter"}]})

    name: Name


class ListPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Weekly newsletter"}]})

    name: Name


class ListView(BaseModel):
    id: int
    name: str
    member_count: int
    created_at: datetime


class MembersAdd(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"contact_ids": [1, 2, 3]}]})

    contact_ids: list[Id] = Field(min_length=1, max_length=MAX_MEMBERS_PER_REQUEST)


class MembersAdded(BaseModel):
    added: int = Field(description="Contacts that became members.")
    already_members: int = Field(description="Contacts that were members already (left as they were).")
