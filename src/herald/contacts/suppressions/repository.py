"""All SQL of suppressions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from herald.contacts.models import Suppression
from herald.contacts.sql import after_id
from herald.db import dialect
from herald.types import is_possible_id


def suppression(session: Session, *, account_id: int, suppression_id: int) -> Suppression | None:
    if not is_possible_id(suppression_id):
        return None
    return session.scalar(
        select(Suppression).where(Suppression.id == suppression_id, Suppression.account_id == account_id)
    )


def suppression_for(session: Session, *, account_id: int, channel: str, address: str) -> Suppression | None:
    return session.scalar(
        select(Suppression).where(
            Suppression.account_id == account_id,
            Suppression.channel == channel,
            Suppression.address == address,
        )
    )


def suppressions_page(
    session: Session,
    *,
    account_id: int,
    after: int | None,
    fetch: int,
    channel: str | None = None,
    address: str | None = None,
) -> list[Suppression]:
    query = select(Suppression).where(Suppression.account_id == account_id)
    if after is not None:
        query = query.where(Suppression.id > after_id(after))
    if channel is not None:
        query = query.where(Suppression.channel == channel)
    if address is not None:
        query = query.where(Suppression.address == address)
    return list(session.scalars(query.order_by(Suppression.id).limit(fetch)))


def delete_suppression(session: Session, *, account_id: int, suppression_id: int) -> bool:
    if not is_possible_id(suppression_id):
        return False
    return dialect.delete_any(
        session, Suppression, Suppression.id == suppression_id, Suppression.account_id == account_id
    )
