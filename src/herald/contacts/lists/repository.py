"""All SQL of lists and their memberships."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from typing import cast as typing_cast

from sqlalchemy import ColumnElement, Integer, Table, delete, exists, func, literal, select, true
from sqlalchemy.orm import Session

from herald.contacts import sql
from herald.contacts.models import Contact, ContactList, ListMember
from herald.contacts.sql import after_id, given_rows
from herald.db import dialect
from herald.db.base import UTCDateTime
from herald.types import chunked, is_possible_id

LIST_MEMBERS = typing_cast(Table, ListMember.__table__)


def _member_count() -> Any:
    return (
        select(func.count())
        .select_from(ListMember)
        .where(ListMember.list_id == ContactList.id)
        .correlate(ContactList)
        .scalar_subquery()
    )


def contact_list(session: Session, *, account_id: int, list_id: int) -> ContactList | None:
    if not is_possible_id(list_id):
        return None
    return session.scalar(
        select(ContactList).where(ContactList.id == list_id, ContactList.account_id == account_id)
    )


def list_with_count(session: Session, *, account_id: int, list_id: int) -> tuple[ContactList, int] | None:
    if not is_possible_id(list_id):
        return None
    row = session.execute(
        select(ContactList, _member_count()).where(
            ContactList.id == list_id, ContactList.account_id == account_id
        )
    ).first()
    return None if row is None else (row[0], row[1])


def list_id_with_name(session: Session, *, account_id: int, name: str) -> int | None:
    return session.scalar(
        select(ContactList.id).where(ContactList.account_id == account_id, ContactList.name == name)
    )


def lists_page(
    session: Session, *, account_id: int, after: int | None, fetch: int
) -> list[tuple[ContactList, int]]:
    query = select(ContactList, _member_count()).where(ContactList.account_id == account_id)
    if after is not None:
        query = query.where(ContactList.id > after_id(after))
    return [(row[0], row[1]) for row in session.execute(query.order_by(ContactList.id).limit(fetch))]


def delete_list(session: Session, *, account_id: int, list_id: int) -> None:
    session.execute(
        delete(ContactList)
        .where(ContactList.id == list_id, ContactList.account_id == account_id)
        .execution_options(synchronize_session=False)
    )


def member_ids(session: Session, *, list_id: int, contact_ids: Collection[int]) -> set[int]:
    """Which of ``contact_ids`` are members of the list already."""
    found: set[int] = set()
    for chunk in chunked(sorted(contact_ids), sql.IN_CHUNK):
        found.update(
            session.scalars(
                select(ListMember.contact_id).where(
                    ListMember.list_id == list_id, ListMember.contact_id.in_(chunk)
                )
            )
        )
    return found


def insert_members(session: Session, *, pairs: Sequence[tuple[int, int]], at: datetime) -> None:
    """Add (list_id, contact_id) memberships; existing ones are left as they are."""
    statement = dialect.insert_ignoring_conflicts(session, LIST_MEMBERS)
    for chunk in chunked(pairs, sql.WRITE_CHUNK):
        given = given_rows(
            session,
            list_id=(Integer(), [list_id for list_id, _ in chunk]),
            contact_id=(Integer(), [contact_id for _, contact_id in chunk]),
        )
        # WHERE true: SQLite cannot otherwise tell the upsert's ON CONFLICT from a join's ON.
        rows_of = select(given.c.list_id, given.c.contact_id, literal(at, UTCDateTime())).where(true())
        session.execute(statement.from_select(["list_id", "contact_id", "created_at"], rows_of))


def delete_member(session: Session, *, list_id: int, contact_id: int) -> bool:
    if not is_possible_id(contact_id):
        return False
    return dialect.delete_any(
        session, ListMember, ListMember.list_id == list_id, ListMember.contact_id == contact_id
    )


def member_clause(list_id: int) -> ColumnElement[bool]:
    return exists().where(ListMember.list_id == list_id, ListMember.contact_id == Contact.id)


def list_names(session: Session, *, account_id: int, ids: Collection[int]) -> dict[int, str]:
    """Names of the account's lists among ``ids``."""
    names: dict[int, str] = {}
    for chunk in chunked(sorted(i for i in ids if is_possible_id(i)), sql.IN_CHUNK):
        rows = session.execute(
            select(ContactList.id, ContactList.name).where(
                ContactList.account_id == account_id, ContactList.id.in_(chunk)
            )
        )
        names.update((int(row_id), str(name)) for row_id, name in rows)
    return names
