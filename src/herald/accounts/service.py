"""Accounts and API keys: creation, key issue and revocation, and the lookup behind every request."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from herald.accounts.models import Account, ApiKey
from herald.accounts.schemas import AccountView, IssuedKey, KeyView, Principal
from herald.db import dialect
from herald.db.base import utcnow
from herald.errors import Conflict, InvalidInput, NotFound

KEY_PREFIX = "hk_"
# What listings show and ``herald keys revoke`` takes: "hk_" and the first 8 characters of the secret.
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 8


def hash_key(key: str) -> str:
    """Keys carry 240 random bits, so a plain SHA-256 is enough to store them (no slow KDF needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_account(session: Session, *, name: str, timezone: str = "UTC") -> Account:
    """Add an account; its name is unique. Runs in the caller's transaction."""
    name = name.strip()
    if not name:
        raise InvalidInput("account name must not be empty")
    _checked_zone(timezone)
    if session.scalar(select(Account.id).where(Account.name == name)) is not None:
        raise Conflict(f"an account named {name!r} exists already")
    account = Account(name=name, timezone=timezone)
    session.add(account)
    session.flush()
    return account


def _checked_zone(timezone: str) -> str:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone: {timezone}") from exc
    return timezone


def find_account(session: Session, *, name: str) -> Account:
    account = session.scalar(select(Account).where(Account.name == name))
    if account is None:
        raise NotFound(f"no account named {name!r}")
    return account


def issue_key(session: Session, *, account_id: int) -> IssuedKey:
    """Make a new key for the account; the clear key exists only in the return value.

    Keys use URL-safe characters only, since ExpertSender clients paste them unencoded into query strings.
    """
    key = KEY_PREFIX + secrets.token_urlsafe(30)
    prefix = key[:SHOWN_PREFIX_LENGTH]
    session.add(ApiKey(account_id=account_id, prefix=prefix, key_hash=hash_key(key)))
    session.flush()
    return IssuedKey(key=key, prefix=prefix, account_id=account_id)


def revoke_key(session: Session, *, prefix: str) -> int:
    """Revoke the one live key starting with ``prefix``; refuses an ambiguous or unknown prefix."""
    if len(prefix) < len(KEY_PREFIX) + 4:
        raise InvalidInput("give at least the first 7 characters of the key")
    lookup = prefix[:SHOWN_PREFIX_LENGTH]
    candidates = (
        session.scalars(select(ApiKey).where(ApiKey.prefix == lookup, ApiKey.revoked_at.is_(None))).all()
        if len(prefix) >= SHOWN_PREFIX_LENGTH
        else session.scalars(
            select(ApiKey).where(ApiKey.prefix.startswith(prefix), ApiKey.revoked_at.is_(None))
        ).all()
    )
    if not candidates:
        raise NotFound(f"no live key starts with {prefix!r}")
    if len(candidates) > 1:
        raise Conflict(f"{len(candidates)} keys start with {prefix!r}; give more characters")
    candidates[0].revoked_at = utcnow()
    return candidates[0].id


# Every request runs this, so it goes straight to the driver (see dialect.fetch_all).
_AUTHENTICATE = (
    "SELECT accounts.id, accounts.name, accounts.timezone, api_keys.id FROM api_keys"
    " JOIN accounts ON accounts.id = api_keys.account_id"
    " WHERE api_keys.key_hash = :key_hash AND api_keys.revoked_at IS NULL"
)


def authenticate(session: Session, *, key: str) -> Principal | None:
    """The account behind a live key, or None; never raises for a malformed key."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    rows = dialect.fetch_all(session, _AUTHENTICATE, {"key_hash": hash_key(key)})
    if not rows:
        return None
    account_id, name, timezone, key_id = rows[0]
    return Principal(account_id=account_id, account_name=name, timezone=timezone, key_id=key_id)


def has_accounts(session: Session) -> bool:
    """Whether any account exists (the first start creates one when none does)."""
    return session.scalar(select(Account.id).limit(1)) is not None


def timezones_by_id(session: Session, *, ids: Iterable[int]) -> dict[int, str]:
    """Each account's time zone by id: for consumers that show times as the account sees them."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(select(Account.id, Account.timezone).where(Account.id.in_(wanted)))
    return {int(account_id): str(zone) for account_id, zone in rows}


def find_account_view(session: Session, *, name: str) -> AccountView:
    return _account_view(find_account(session, name=name))


def list_accounts(session: Session) -> list[AccountView]:
    """Every account, oldest first."""
    return [_account_view(account) for account in session.scalars(select(Account).order_by(Account.id))]


def update_account(session: Session, *, name: str, timezone: str | None = None) -> AccountView:
    """Change an account's settings (its time zone: report days and times follow it from now on)."""
    account = find_account(session, name=name)
    if timezone is not None:
        account.timezone = _checked_zone(timezone)
    session.flush()
    return _account_view(account)


def list_keys(session: Session, *, account_id: int) -> list[KeyView]:
    """The account's keys, oldest first, revoked ones included: never more than their prefix."""
    keys = session.scalars(select(ApiKey).where(ApiKey.account_id == account_id).order_by(ApiKey.id))
    return [
        KeyView(
            prefix=k.prefix, created_at=k.created_at, last_used_at=k.last_used_at, revoked_at=k.revoked_at
        )
        for k in keys
    ]


def mark_keys_used(session: Session, *, used: dict[int, datetime]) -> None:
    """Record when keys were last used (one statement per key; only ever moves the time forward)."""
    for key_id, moment in used.items():
        session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id)
            .where((ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < moment))
            .values(last_used_at=moment)
        )


def _account_view(account: Account) -> AccountView:
    return AccountView(
        id=account.id, name=account.name, timezone=account.timezone, created_at=account.created_at
    )
