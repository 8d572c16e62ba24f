"""All SQL of segments; the definition-to-SQL compiler is ``compiler.py``."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from herald.contacts import repository as contacts_repository
from herald.contacts import sql
from herald.contacts.models import Contact, Segment
from herald.contacts.segments.compiler import segment_clause
from herald.contacts.segments.schemas import SegmentDefinition
from herald.contacts.sql import after_id
from herald.types import chunked, is_possible_id


def segment(session: Session, *, account_id: int, segment_id: int) -> Segment | None:
    if not is_possible_id(segment_id):
        return None
    return session.scalar(select(Segment).where(Segment.id == segment_id, Segment.account_id == account_id))


def segment_id_with_name(session: Session, *, account_id: int, name: str) -> int | None:
    return session.scalar(select(Segment.id).where(Segment.account_id == account_id, Segment.name == name))


def segments_page(session: Session, *, account_id: int, after: int | None, fetch: int) -> list[Segment]:
    query = select(Segment).where(Segment.account_id == account_id)
    if after is not None:
        query = query.where(Segment.id > after_id(after))
    return list(session.scalars(query.order_by(Segment.id).limit(fetch)))


def all_segments(session: Session, *, account_id: int) -> list[Segment]:
    return list(session.scalars(select(Segment).where(Segment.account_id == account_id).order_by(Segment.id)))


def delete_segment(session: Session, *, account_id: int, segment_id: int) -> None:
    session.execute(
        delete(Segment)
        .where(Segment.id == segment_id, Segment.account_id == account_id)
        .execution_options(synchronize_session=False)
    )


def contacts_page(
    session: Session, *, account_id: int, after: int | None, fetch: int, segment: SegmentDefinition
) -> list[Contact]:
    """The contacts the segment matches now, in id order after ``after`` (evaluated in SQL)."""
    return contacts_repository.contacts_page(
        session, account_id=account_id, after=after, fetch=fetch, where=segment_clause(session, segment)
    )


def known_segment_ids(session: Session, *, account_id: int, ids: Collection[int]) -> set[int]:
    """Which of ``ids`` are segments of the account."""
    found: set[int] = set()
    for chunk in chunked(sorted(i for i in ids if is_possible_id(i)), sql.IN_CHUNK):
        found.update(
            session.scalars(select(Segment.id).where(Segment.account_id == account_id, Segment.id.in_(chunk)))
        )
    return found


def segment_names(session: Session, *, account_id: int, ids: Collection[int]) -> dict[int, str]:
    """Names of the account's segments among ``ids``."""
    names: dict[int, str] = {}
    for chunk in chunked(sorted(i for i in ids if is_possible_id(i)), sql.IN_CHUNK):
        rows = session.execute(
            select(Segment.id, Segment.name).where(Segment.account_id == account_id, Segment.id.in_(chunk))
        )
        names.update((int(row_id), str(name)) for row_id, name in rows)
    return names
