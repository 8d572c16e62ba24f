"""All SQL of the contacts domain. Every query that reaches account data is filtered by ``account_id``.

Functions that return a page take the number of rows to fetch; callers ask for one more than they show.
Segment conditions are compiled to SQL here, on both databases: JSON attribute access differs per dialect
(``json_type``/``json_extract`` on SQLite, ``json_typeof``/``->>`` on PostgreSQL), so ``_AttributeSql``
hides the difference behind one small vocabulary (is it a string? its text, its number, ...).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from typing import cast as typing_cast

from sqlalchemy import (
    JSON,
    ColumnElement,
    Float,
    Integer,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    collate,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Subquery, TableValuedAlias
from sqlalchemy.types import TypeEngine

from herald.contacts.models import Contact, ContactList, ListMember, Segment, Suppression
from herald.contacts.schemas import (
    MAX_ID,
    AttributeCondition,
    AttributeScalar,
    ListCondition,
    SegmentDefinition,
)
from herald.db import dialect
from herald.db.base import UTCDateTime

T = TypeVar("T")
CONTACTS = typing_cast(Table, Contact.__table__)
LIST_MEMBERS = typing_cast(Table, ListMember.__table__)
# Ids or keys per IN list, well under SQLite's limit of bound parameters per statement (32766).
IN_CHUNK = 500
# Keys per array parameter (PostgreSQL), rows per bulk write (one parameter per column, see _given_rows).
KEY_CHUNK = 5000
WRITE_CHUNK = 2000


def _storable(row_id: int) -> bool:
    """Whether a row could have this id: a larger one would overflow PostgreSQL's INTEGER (an error)."""
    return 1 <= row_id <= MAX_ID


def _after(after: int) -> int:
    return min(after, MAX_ID)


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def lock(session: Session, *, table: str, account_id: int) -> None:
    """Serialise the account's writers of one table (PostgreSQL; SQLite has one writer anyway).

    Ids then become visible in the order they were drawn, so a reader paging by id skips nothing, and a
    check that a name, email or phone is free stays true until the transaction commits.
    """
    dialect.serialize_writers(session, scope=table, key=account_id)


# --- contacts ----------------------------------------------------------------------------------------


def contact(session: Session, *, account_id: int, contact_id: int) -> Contact | None:
    if not _storable(contact_id):
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
    segment: SegmentDefinition | None = None,
) -> list[Contact]:
    """Contacts in id order after ``after``, narrowed by the given filters."""
    query = select(Contact).where(Contact.account_id == account_id)
    if after is not None:
        query = query.where(Contact.id > _after(after))
    if email is not None:
        query = query.where(Contact.email == email)
    if phone is not None:
        query = query.where(Contact.phone == phone)
    if list_id is not None:
        # A join, so that PostgreSQL can walk the list's members in contact order (its primary key).
        query = query.join(
            ListMember, and_(ListMember.contact_id == Contact.id, ListMember.list_id == list_id)
        )
    if segment is not None:
        query = query.where(segment_clause(session, segment))
    return list(session.scalars(query.order_by(Contact.id).limit(fetch)))


def known_contact_ids(session: Session, *, account_id: int, ids: Collection[int]) -> set[int]:
    """Which of ``ids`` are contacts of the account."""
    found: set[int] = set()
    for chunk in _chunks(sorted(i for i in ids if _storable(i)), IN_CHUNK):
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
    postgres = _is_postgresql(session)
    for column, keys in ((Contact.email, emails), (Contact.phone, phones)):
        for chunk in _chunks(sorted(keys), KEY_CHUNK if postgres else IN_CHUNK):
            query = select(*columns).where(Contact.account_id == account_id)
            if postgres:
                # The keys joined as rows, not a list of IN parameters: once psycopg prepares a statement,
                # or while the statistics are stale after a bulk load, PostgreSQL plans such a list as a
                # filter comparing each of the account's contacts with every key (seconds).
                wanted = _given_rows(session, key=(String(), chunk))
                query = query.join(wanted, column == wanted.c.key)
            else:
                query = query.where(column.in_(chunk))
            for row in session.execute(query):
                found[row.id] = StoredContact(row.id, row.email, row.phone, dict(row.attributes or {}))
    return list(found.values())


def _given_rows(
    session: Session, **columns: tuple[TypeEngine[Any], Sequence[Any]]
) -> Subquery | TableValuedAlias:
    """Equal-length columns of values as the rows of a derived table, sent as one bound parameter each
    (PostgreSQL: arrays through ``unnest``) or as one JSON array (SQLite: ``json_each``).

    Writing thousands of rows this way is one short statement; a VALUES list or an executemany binds
    and converts every value through SQLAlchemy and the driver one by one, which costs more than the
    write itself. Strings, integers and JSON text only: SQLite's ``json_extract`` gives them back as such.
    """
    if _is_postgresql(session):
        arrays = [literal(list(values), postgresql.ARRAY(type_)) for type_, values in columns.values()]
        return func.unnest(*arrays).table_valued(*columns).render_derived()
    names = list(columns)
    rows = json.dumps(list(zip(*(values for _, values in columns.values()), strict=True)))
    each = func.json_each(literal(rows, Text())).table_valued("value")
    return select(
        *(func.json_extract(each.c.value, f"$[{index}]").label(name) for index, name in enumerate(names))
    ).subquery()


def _json_text(session: Session, element: ColumnElement[Any]) -> ColumnElement[Any]:
    """JSON text from ``_given_rows`` as a JSON column takes it (SQLite stores the text itself)."""
    return cast(element, JSON) if _is_postgresql(session) else element


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


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
    for chunk in _chunks(rows, WRITE_CHUNK):
        given = _given_rows(
            session,
            email=(String(), [email for email, _, _ in chunk]),
            phone=(String(), [phone for _, phone, _ in chunk]),
            attributes=(Text(), [json.dumps(attributes) for _, _, attributes in chunk]),
        )
        rows_of = select(
            literal(account_id),
            given.c.email,
            given.c.phone,
            _json_text(session, given.c.attributes),
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
    for chunk in _chunks(sorted(ids), IN_CHUNK):
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
    for chunk in _chunks(rows, WRITE_CHUNK):
        given = _given_rows(
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
                attributes=_json_text(session, given.c.attributes),
                updated_at=literal(at, UTCDateTime()),
            )
        )


def delete_contact(session: Session, *, account_id: int, contact_id: int) -> bool:
    if not _storable(contact_id):
        return False
    result = session.execute(
        delete(Contact)
        .where(Contact.id == contact_id, Contact.account_id == account_id)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


# --- lists -------------------------------------------------------------------------------------------


def _member_count() -> Any:
    return (
        select(func.count())
        .select_from(ListMember)
        .where(ListMember.list_id == ContactList.id)
        .correlate(ContactList)
        .scalar_subquery()
    )


def contact_list(session: Session, *, account_id: int, list_id: int) -> ContactList | None:
    if not _storable(list_id):
        return None
    return session.scalar(
        select(ContactList).where(ContactList.id == list_id, ContactList.account_id == account_id)
    )


def list_with_count(session: Session, *, account_id: int, list_id: int) -> tuple[ContactList, int] | None:
    if not _storable(list_id):
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
        query = query.where(ContactList.id > _after(after))
    return [(row[0], row[1]) for row in session.execute(query.order_by(ContactList.id).limit(fetch))]


def known_list_ids(session: Session, *, account_id: int, ids: Collection[int]) -> set[int]:
    """Which of ``ids`` are lists of the account."""
    found: set[int] = set()
    for chunk in _chunks(sorted(i for i in ids if _storable(i)), IN_CHUNK):
        found.update(
            session.scalars(
                select(ContactList.id).where(ContactList.account_id == account_id, ContactList.id.in_(chunk))
            )
        )
    return found


def delete_list(session: Session, *, account_id: int, list_id: int) -> None:
    session.execute(
        delete(ContactList)
        .where(ContactList.id == list_id, ContactList.account_id == account_id)
        .execution_options(synchronize_session=False)
    )


def member_ids(session: Session, *, list_id: int, contact_ids: Collection[int]) -> set[int]:
    """Which of ``contact_ids`` are members of the list already."""
    found: set[int] = set()
    for chunk in _chunks(sorted(contact_ids), IN_CHUNK):
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
    for chunk in _chunks(pairs, WRITE_CHUNK):
        given = _given_rows(
            session,
            list_id=(Integer(), [list_id for list_id, _ in chunk]),
            contact_id=(Integer(), [contact_id for _, contact_id in chunk]),
        )
        # WHERE true: SQLite cannot otherwise tell the upsert's ON CONFLICT from a join's ON.
        rows_of = select(given.c.list_id, given.c.contact_id, literal(at, UTCDateTime())).where(true())
        session.execute(statement.from_select(["list_id", "contact_id", "created_at"], rows_of))


def delete_member(session: Session, *, list_id: int, contact_id: int) -> bool:
    if not _storable(contact_id):
        return False
    result = session.execute(
        delete(ListMember)
        .where(ListMember.list_id == list_id, ListMember.contact_id == contact_id)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _is_member(list_id: int) -> ColumnElement[bool]:
    return exists().where(ListMember.list_id == list_id, ListMember.contact_id == Contact.id)


# --- segments ----------------------------------------------------------------------------------------


def segment(session: Session, *, account_id: int, segment_id: int) -> Segment | None:
    if not _storable(segment_id):
        return None
    return session.scalar(select(Segment).where(Segment.id == segment_id, Segment.account_id == account_id))


def segment_id_with_name(session: Session, *, account_id: int, name: str) -> int | None:
    return session.scalar(select(Segment.id).where(Segment.account_id == account_id, Segment.name == name))


def segments_page(session: Session, *, account_id: int, after: int | None, fetch: int) -> list[Segment]:
    query = select(Segment).where(Segment.account_id == account_id)
    if after is not None:
        query = query.where(Segment.id > _after(after))
    return list(session.scalars(query.order_by(Segment.id).limit(fetch)))


def all_segments(session: Session, *, account_id: int) -> list[Segment]:
    return list(session.scalars(select(Segment).where(Segment.account_id == account_id).order_by(Segment.id)))


def delete_segment(session: Session, *, account_id: int, segment_id: int) -> None:
    session.execute(
        delete(Segment)
        .where(Segment.id == segment_id, Segment.account_id == account_id)
        .execution_options(synchronize_session=False)
    )


def _definite(clause: ColumnElement[bool]) -> ColumnElement[bool]:
    """The clause with NULL (unknown) read as false, so that NOT of it is the exact complement."""
    return func.coalesce(clause, false())


class _AttributeSql:
    """One attribute of ``contacts.attributes``, as SQL on the session's dialect."""

    def __init__(self, dialect_name: str, key: str) -> None:
        self.postgresql = dialect_name == "postgresql"
        if self.postgresql:
            element = type_coerce(Contact.attributes, postgresql.JSON)[key]
            self.kind: ColumnElement[Any] = func.json_typeof(element)
            self.text: ColumnElement[Any] = element.astext
            self.number: ColumnElement[Any] = case((self.kind == "number", cast(self.text, Float)))
        else:
            # SQLite matches a path label against a key as stored, escapes and all, and SQLAlchemy stores
            # JSON as json.dumps writes it (non-ASCII as \uXXXX): so the label is the key as json.dumps
            # writes it. Keys never hold quotes, backslashes or control characters (check_attribute_key).
            # Should a SQLite version compare unescaped keys, the plain label still finds them.
            paths = [f"$.{json.dumps(key)}", f'$."{key}"']
            if paths[0] == paths[1]:
                self.kind = func.json_type(Contact.attributes, paths[0])
                self.text = func.json_extract(Contact.attributes, paths[0])
            else:
                self.kind = func.coalesce(*(func.json_type(Contact.attributes, path) for path in paths))
                self.text = func.coalesce(*(func.json_extract(Contact.attributes, path) for path in paths))
            self.number = self.text

    def is_string(self) -> ColumnElement[bool]:
        return self.kind == "string" if self.postgresql else self.kind == "text"

    def is_number(self) -> ColumnElement[bool]:
        return self.kind == "number" if self.postgresql else self.kind.in_(("integer", "real"))

    def is_boolean(self, value: bool) -> ColumnElement[bool]:
        word = "true" if value else "false"
        return and_(self.kind == "boolean", self.text == word) if self.postgresql else self.kind == word

    def has_value(self) -> ColumnElement[bool]:
        if self.postgresql:
            return self.kind.in_(("string", "number", "boolean"))
        return self.kind.in_(("text", "integer", "real", "true", "false"))

    def sortable_text(self) -> ColumnElement[Any]:
        """The string compared by code point, as Python compares it (PostgreSQL needs the C collation)."""
        return collate(self.text, "C") if self.postgresql else self.text

    def contains(self, part: str) -> ColumnElement[bool]:
        position = func.strpos(self.text, part) if self.postgresql else func.instr(self.text, part)
        return and_(self.is_string(), position > 0)

    def equals(self, value: AttributeScalar) -> ColumnElement[bool]:
        if isinstance(value, bool):
            return self.is_boolean(value)
        if isinstance(value, str):
            return and_(self.is_string(), self.text == value)
        return and_(self.is_number(), self.number == float(value))

    def one_of(self, values: Sequence[AttributeScalar]) -> ColumnElement[bool]:
        strings = [v for v in values if isinstance(v, str)]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        booleans = {v for v in values if isinstance(v, bool)}
        clauses = [self.is_boolean(v) for v in sorted(booleans)]
        if strings:
            clauses.append(and_(self.is_string(), self.text.in_(strings)))
        if numbers:
            # As floats: a list starting with an int would otherwise be bound (and cast) as integers.
            clauses.append(and_(self.is_number(), self.number.in_([float(n) for n in numbers])))
        return or_(*clauses)

    def compare(self, op: str, value: AttributeScalar) -> ColumnElement[bool]:
        if isinstance(value, str):
            guard, operand = self.is_string(), self.sortable_text()
        else:
            # Numbers are bound as floats: an int would be cast to INTEGER on PostgreSQL (and overflow).
            guard, operand, value = self.is_number(), self.number, float(value)
        comparisons = {
            "gt": operand > value,
            "gte": operand >= value,
            "lt": operand < value,
            "lte": operand <= value,
        }
        return and_(guard, comparisons[op])


def _attribute_clause(dialect_name: str, condition: AttributeCondition) -> ColumnElement[bool]:
    attribute = _AttributeSql(dialect_name, condition.attribute)
    op, value = condition.op, condition.value
    if op == "exists":
        return _definite(attribute.has_value())
    if op == "not_exists":
        return not_(_definite(attribute.has_value()))
    if op in ("in", "not_in"):
        assert isinstance(value, list)
        clause = _definite(attribute.one_of(value))
        return clause if op == "in" else not_(clause)
    if value is None or isinstance(value, list):
        raise TypeError(f"'{op}' takes one value")  # the schema guarantees it
    if op == "eq":
        return _definite(attribute.equals(value))
    if op == "ne":
        return not_(_definite(attribute.equals(value)))
    if op == "contains":
        assert isinstance(value, str)
        return _definite(attribute.contains(value))
    return _definite(attribute.compare(op, value))


def _list_clause(condition: ListCondition) -> ColumnElement[bool]:
    member = _is_member(condition.list_id)
    return member if condition.op == "member" else not_(member)


def segment_clause(session: Session, definition: SegmentDefinition) -> ColumnElement[bool]:
    """A WHERE clause on ``contacts`` true exactly for the contacts the definition matches.

    Mirrors ``service.contact_matches`` (the reference semantics), which the tests hold it to.
    """
    dialect_name = session.get_bind().dialect.name
    clauses = [
        _list_clause(c) if isinstance(c, ListCondition) else _attribute_clause(dialect_name, c)
        for c in definition.conditions
    ]
    return and_(*clauses) if definition.match == "all" else or_(*clauses)


# --- suppressions ------------------------------------------------------------------------------------


def suppression(session: Session, *, account_id: int, suppression_id: int) -> Suppression | None:
    if not _storable(suppression_id):
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
        query = query.where(Suppression.id > _after(after))
    if channel is not None:
        query = query.where(Suppression.channel == channel)
    if address is not None:
        query = query.where(Suppression.address == address)
    return list(session.scalars(query.order_by(Suppression.id).limit(fetch)))


def delete_suppression(session: Session, *, account_id: int, suppression_id: int) -> bool:
    if not _storable(suppression_id):
        return False
    result = session.execute(
        delete(Suppression)
        .where(Suppression.id == suppression_id, Suppression.account_id == account_id)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
