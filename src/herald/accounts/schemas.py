"""What the accounts service gives back: who a request acts for, and a newly issued key."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class Principal(BaseModel):
    """Who a request acts for: the account behind a valid key."""

    model_config = ConfigDict(frozen=True)

    account_id: int
    account_name: str
    timezone: str
    key_id: int = 0


class IssuedKey(BaseModel):
    """A new API key: shown once, stored only as its hash."""

    model_config = ConfigDict(frozen=True)

    key: str
    prefix: str
    account_id: int


class AccountView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    timezone: str
    created_at: datetime


class KeyView(BaseModel):
    """What a listing shows of a key: its prefix and its dates, never the key."""

    model_config = ConfigDict(frozen=True)

    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
