"""SQL helpers every room of the contacts domain shares: statement sizes, the writer lock, id bounds, and
thousands of rows passed as one parameter."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, ColumnElement, Text, cast, func, literal, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Subquery, TableValuedAlias
from sqlalchemy.types import TypeEngine

from herald.db import dialect
from herald.types import MAX_ID

# Ids or keys per IN list, well under SQLite's limit of bound parameters per statement (32766).
IN_CHUNK = 500
# Keys per array parameter (PostgreSQL), rows per bulk write (one parameter per column, see given_rows).
KEY_CHUNK = 5000
WRITE_CHUNK = 2000


def after_id(after: int) -> int:
    """A paging cursor clamped to the id range (a larger one pages past every row)."""
    return min(after, MAX_ID)


def lock(session: Session, *, table: str, account_id: int) -> None:
    """Serialise the account's writers of one table (PostgreSQL; SQLite has one writer anyway).

    Ids then become visible in the order they were drawn, so a reader paging by id skips nothing, and a
    check that a name, email or phone is free stays true until the transaction commits.
    """
    dialect.serialize_writers(session, scope=table, key=account_id)


def given_rows(
    session: Session, **columns: tuple[TypeEngine[Any], Sequence[Any]]
) -> Subquery | TableValuedAlias:
    """Equal-length columns of values as the rows of a derived table, sent as one bound parameter each
    (PostgreSQL: arrays through ``unnest``) or as one JSON array (SQLite: ``json_each``).

    Writing thousands of rows this way is one short statement; a VALUES list or an executemany binds
    and converts every value through SQLAlchemy and the driver one by one, which costs more than the
    write itself. Strings, integers and JSON text only: SQLite's ``json_extract`` gives them back as such.
    """
    if is_postgresql(session):
        arrays = [literal(list(values), postgresql.ARRAY(type_)) for type_, values in columns.values()]
        return func.unnest(*arrays).table_valued(*columns).render_derived()
    names = list(columns)
    rows = json.dumps(list(zip(*(values for _, values in columns.values()), strict=True)))
    each = func.json_each(literal(rows, Text())).table_valued("value")
    return select(
        *(func.json_extract(each.c.value, f"$[{index}]").label(name) for index, name in enumerate(names))
    ).subquery()


def json_text(session: Session, element: ColumnElement[Any]) -> ColumnElement[Any]:
    """JSON text from ``given_rows`` as a JSON column takes it (SQLite stores the text itself)."""
    return cast(element, JSON) if is_postgresql(session) else element


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
