"""All SQL of contacts themselves. Every query that reaches account data is filtered by ``account_id``.

Functions that return a page take the number of rows to fetch; callers ask for one more than they show.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import cast as typing_cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Table,
    Text,
    and_,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from herald.contacts import sql
from herald.contacts.models import Contact, ContactList, ListMember
from herald.contacts.sql import (
    after_id,
    given_rows,
    is_postgresql,
    json_text,
)
from herald.db import dialect
from herald.db.base import UTCDateTime
from herald.types import chunked, is_possible_id

CONTACTS = typing_cast(Table, Contact.__table__)


def contact(session: Session, *, account_id: int, contact_id: int) -> Contact | None:
    if not is_possible_id(contact_id):
        return None
    return session.scalar(select(Contact).where(Contact.id == contact_id, Contact.account_id == account_id))


def contact_id_with_email(session: Session, *, account_id: int, email: str) -> int | None:
    return session.scalar(select(Contact.id).where(Contact.account_id == account_id, Contact.email == email))


def contact_id_with_phone(session: Session, *, account_id: int, phone: str) -> int | None:
    return session.scalar(select(Contact.id).where(Contact.account_id == account_id, Contact.phone == phone))


def contacts_page(
    session: Session,
    *,
    account_id: int,
    after: int | None,
    fetch: int,
    email: str | None = None,
    phone: str | None = None,
    list_id: int | None = None,
    where: ColumnElement[bool] | None = None,
) -> list[Contact]:
    """Contacts in id order after ``after``, narrowed by the given filters (``where``: a clause on
    ``contacts``, such as a segment's)."""
    query = select(Contact).where(Contact.account_id == account_id)
    if after is not None:
        query = query.where(Contact.id > after_id(after))
    if email is not None:
        query = query.where(Contact.email == email)
    if phone is not None:
        query = query.where(Contact.phone == phone)
    if list_id is not None:
        # A join, so that PostgreSQL can walk the list's members in contact order (its primary key).
        query = query.join(
            ListMember, and_(ListMember.contact_id == Contact.id, ListMember.list_id == list_id)
        )
    if where is not None:
        query = query.where(where)
    return list(session.scalars(query.order_by(Contact.id).limit(fetch)))


def known_contact_ids(session: Session, *, account_id: int, ids: Collection[int]) -> set[int]:
    """Which of ``ids`` are contacts of the account."""
    found: set[int] = set()
    for chunk in chunked(sorted(i for i in ids if is_possible_id(i)), sql.IN_CHUNK):
        found.update(
            session.scalars(select(Contact.id).where(Contact.account_id == account_id, Contact.id.in_(chunk)))
        )
    return found


@dataclass
class StoredContact:
    id: int
    email: str | None
    phone: str | None
    attributes: dict[str, Any]


def contacts_with_keys(
    session: Session, *, account_id: int, emails: Collection[str], phones: Collection[str]
) -> list[StoredContact]:
    """The account's contacts having one of ``emails`` or one of ``phones`` (each once)."""
    found: dict[int, StoredContact] = {}
    columns = (Contact.id, Contact.email, Contact.phone, Contact.attributes)
    postgres = is_postgresql(session)
    for column, keys in ((Contact.email, emails), (Contact.phone, phones)):
        for chunk in chunked(sorted(keys), sql.KEY_CHUNK if postgres else sql.IN_CHUNK):
            query = select(*columns).where(Contact.account_id == account_id)
            if postgres:
                # The keys joined as rows, not a list of IN parameters: once psycopg prepares a statement,
                # or while the statistics are stale after a bulk load, PostgreSQL plans such a list as a
                # filter comparing each of the account's contacts with every key (seconds).
                wanted = given_rows(session, key=(String(), chunk))
                query = query.join(wanted, column == wanted.c.key)
            else:
                query = query.where(column.in_(chunk))
            for row in session.execute(query):
                found[row.id] = StoredContact(row.id, row.email, row.phone, dict(row.attributes or {}))
    return list(found.values())


def insert_contacts(
    session: Session,
    *,
    account_id: int,
    rows: Sequence[tuple[str | None, str | None, dict[str, Any]]],
    at: datetime,
) -> list[int]:
    """Insert (email, phone, attributes) rows with Core, in batches; their new ids in the same order.

    Every row has an email or a phone, each unique in the account, so RETURNING need not keep the order
    of the rows (asking SQLAlchemy to sort it makes SQLite insert one row per statement).
    """
    table = CONTACTS
    columns = ["account_id", "email", "phone", "attributes", "created_at", "updated_at"]
    by_email: dict[str, int] = {}
    by_phone: dict[str, int] = {}
    now = literal(at, UTCDateTime())
    for chunk in chunked(rows, sql.WRITE_CHUNK):
        given = given_rows(
            session,
            email=(String(), [email for email, _, _ in chunk]),
            phone=(String(), [phone for _, phone, _ in chunk]),
            attributes=(Text(), [json.dumps(attributes) for _, _, attributes in chunk]),
        )
        rows_of = select(
            literal(account_id),
            given.c.email,
            given.c.phone,
            json_text(session, given.c.attributes),
            now,
            now,
        )
        statement = insert(table).from_select(columns, rows_of)
        for new in session.execute(statement.returning(table.c.id, table.c.email, table.c.phone)):
            if new.email is not None:
                by_email[new.email] = new.id
            else:
                by_phone[new.phone] = new.id
    return [by_email[email] if email is not None else by_phone[str(phone)] for email, phone, _ in rows]


def clear_phones(session: Session, *, account_id: int, ids: Collection[int]) -> None:
    """Set the phone of these contacts to NULL, so that phones can move between them in one import."""
    for chunk in chunked(sorted(ids), sql.IN_CHUNK):
        session.execute(
            update(Contact)
            .where(Contact.account_id == account_id, Contact.id.in_(chunk))
            .values(phone=None)
            .execution_options(synchronize_session=False)
        )


def update_contacts(
    session: Session, *, account_id: int, rows: Sequence[StoredContact], at: datetime
) -> None:
    """Write email, phone and attributes of the account's contacts with these ids."""
    table = CONTACTS
    for chunk in chunked(rows, sql.WRITE_CHUNK):
        given = given_rows(
            session,
            id=(Integer(), [row.id for row in chunk]),
            email=(String(), [row.email for row in chunk]),
            phone=(String(), [row.phone for row in chunk]),
            attributes=(Text(), [json.dumps(row.attributes) for row in chunk]),
        )
        session.execute(
            update(table)
            .where(table.c.id == given.c.id, table.c.account_id == account_id)
            .values(
                email=given.c.email,
                phone=given.c.phone,
                attributes=json_text(session, given.c.attributes),
                updated_at=literal(at, UTCDateTime()),
            )
        )


def delete_contact(session: Session, *, account_id: int, contact_id: int) -> bool:
    if not is_possible_id(contact_id):
        return False
    return dialect.delete_any(session, Contact, Contact.id == contact_id, Contact.account_id == account_id)


def known_list_ids(session: Session, *, account_id: int, ids: Collection[int]) -> set[int]:
    """Which of ``ids`` are lists of the account."""
    found: set[int] = set()
    for chunk in chunked(sorted(i for i in ids if is_possible_id(i)), sql.IN_CHUNK):
        found.update(
            session.scalars(
                select(ContactList.id).where(ContactList.account_id == account_id, ContactList.id.in_(chunk))
            )
        )
    return found


ADDRESS_CHUNK = 10_000  # ids per lookup, passed as one parameter (dialect.member_of)


def addresses_of_account(
    session: Session, *, account_id: int, ids: Iterable[int]
) -> dict[int, tuple[str | None, str | None]]:
    """Email and phone of those ids that are the account's contacts.

    Looked up by primary key alone and checked for the account here: with ``account_id`` in the WHERE
    clause, a planner without statistics may walk the account's (email) index instead.
    """
    found: dict[int, tuple[str | None, str | None]] = {}
    for chunk in chunked(sorted(set(ids)), ADDRESS_CHUNK):
        rows = session.execute(
            select(Contact.id, Contact.account_id, Contact.email, Contact.phone).where(
                dialect.member_of(session, Contact.id, chunk)
            )
        )
        found.update({cid: (email, phone) for cid, owner, email, phone in rows if owner == account_id})
    return found
