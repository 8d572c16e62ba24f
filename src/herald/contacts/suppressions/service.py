"""The behaviour of suppressions: addresses that must not be sent to on a channel. Runs in the caller's
transaction; another account's suppression is not found."""

from __future__ import annotations

from sqlalchemy.orm import Session

from herald.contacts.models import Suppression
from herald.contacts.sql import lock
from herald.contacts.suppressions import repository
from herald.contacts.suppressions.schemas import SuppressionCreate, SuppressionView
from herald.errors import NotFound


def add_suppression(
    session: Session, *, account_id: int, command: SuppressionCreate
) -> tuple[SuppressionView, bool]:
    """Suppress an address on a channel; idempotent on (channel, address): a repeat keeps the row and
    takes the new reason. Returns the suppression and whether it is new."""
    lock(session, table="suppressions", account_id=account_id)
    existing = repository.suppression_for(
        session, account_id=account_id, channel=command.channel, address=command.address
    )
    if existing is not None:
        existing.reason = command.reason
        session.flush()
        return SuppressionView.model_validate(existing), False
    suppression = Suppression(
        account_id=account_id, channel=command.channel, address=command.address, reason=command.reason
    )
    session.add(suppression)
    session.flush()
    return SuppressionView.model_validate(suppression), True


def is_suppressed(session: Session, *, account_id: int, channel: str, address: str) -> bool:
    """Whether sending to ``address`` (already normalised) on ``channel`` is suppressed."""
    return (
        repository.suppression_for(session, account_id=account_id, channel=channel, address=address)
        is not None
    )


def list_suppressions(
    session: Session,
    *,
    account_id: int,
    after: int | None,
    fetch: int,
    channel: str | None = None,
    address: str | None = None,
) -> list[SuppressionView]:
    """Up to ``fetch`` suppressions in id order after ``after``; the address filter ignores case."""
    if address is not None:
        address = address.strip()
        address = address.lower() if "@" in address else address
    rows = repository.suppressions_page(
        session, account_id=account_id, after=after, fetch=fetch, channel=channel, address=address
    )
    return [SuppressionView.model_validate(row) for row in rows]


def delete_suppression(session: Session, *, account_id: int, suppression_id: int) -> None:
    if not repository.delete_suppression(session, account_id=account_id, suppression_id=suppression_id):
        raise NotFound(f"no suppression {suppression_id}")
