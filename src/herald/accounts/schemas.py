"""What the accounts service gives back: who a request acts for, and a newly issued key."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Principal(BaseModel):
    """Who a request acts for: the account behind a valid key."""

    model_config = ConfigDict(frozen=True)

    account_id: int
    account_name: str
    timezone: str


class IssuedKey(BaseModel):
    """A new API key: shown once, stored only as its hash."""

    model_config = ConfigDict(frozen=True)

    key: str
    prefix: str
    account_id: int
