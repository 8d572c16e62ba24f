"""The behaviour of segments: saved definitions, and the contacts they match now (in SQL, ``compiler.py``).
Runs in the caller's transaction; another account's segment is not found."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from herald.contacts import usage
from herald.contacts.lists import service as lists_service
from herald.contacts.lists.service import ensure_name_free
from herald.contacts.models import Segment
from herald.contacts.rules import named_ids
from herald.contacts.schemas import ContactView
from herald.contacts.segments import repository
from herald.contacts.segments.schemas import (
    ListCondition,
    SegmentCreate,
    SegmentDefinition,
    SegmentPatch,
    SegmentView,
)
from herald.contacts.sql import lock
from herald.contacts.usage import Audience
from herald.errors import Conflict, FieldProblem, InvalidInput, NotFound


def _list_ids_of(definition: SegmentDefinition) -> set[int]:
    return {c.list_id for c in definition.conditions if isinstance(c, ListCondition)}


def _segment_view(segment: Segment) -> SegmentView:
    definition = SegmentDefinition.model_validate(segment.definition)
    return SegmentView(
        id=segment.id,
        name=segment.name,
        match=definition.match,
        conditions=definition.conditions,
        created_at=segment.created_at,
        updated_at=segment.updated_at,
    )


def _load_segment(session: Session, *, account_id: int, segment_id: int) -> Segment:
    segment = repository.segment(session, account_id=account_id, segment_id=segment_id)
    if segment is None:
        raise NotFound(f"no segment {segment_id}")
    return segment


def _checked_definition(
    session: Session, *, account_id: int, definition: SegmentDefinition
) -> dict[str, Any]:
    """The definition as stored; InvalidInput naming each condition whose list is not the account's."""
    known = lists_service.existing_ids(session, account_id=account_id, ids=_list_ids_of(definition))
    problems = [
        FieldProblem(f"conditions.{index}.list_id", f"no list {c.list_id} in this account")
        for index, c in enumerate(definition.conditions)
        if isinstance(c, ListCondition) and c.list_id not in known
    ]
    if problems:
        raise InvalidInput("a condition refers to an unknown list", problems=problems)
    return definition.model_dump(mode="json", exclude_none=True)


def _ensure_segment_name_free(
    session: Session, *, account_id: int, name: str, segment_id: int | None
) -> None:
    holder = repository.segment_id_with_name(session, account_id=account_id, name=name)
    ensure_name_free("segment", holder=holder, name=name, own_id=segment_id)


def create_segment(session: Session, *, account_id: int, command: SegmentCreate) -> SegmentView:
    """Save a segment; Conflict on a taken name, InvalidInput when a condition names another's list."""
    lock(session, table="segments", account_id=account_id)
    _ensure_segment_name_free(session, account_id=account_id, name=command.name, segment_id=None)
    definition = SegmentDefinition(match=command.match, conditions=command.conditions)
    segment = Segment(
        account_id=account_id,
        name=command.name,
        definition=_checked_definition(session, account_id=account_id, definition=definition),
    )
    session.add(segment)
    session.flush()
    return _segment_view(segment)


def get_segment(session: Session, *, account_id: int, segment_id: int) -> SegmentView:
    return _segment_view(_load_segment(session, account_id=account_id, segment_id=segment_id))


def update_segment(session: Session, *, account_id: int, segment_id: int, patch: SegmentPatch) -> SegmentView:
    """Replace the given fields (``conditions`` as a whole); same checks as ``create_segment``."""
    lock(session, table="segments", account_id=account_id)
    segment = _load_segment(session, account_id=account_id, segment_id=segment_id)
    current = SegmentDefinition.model_validate(segment.definition)
    if patch.name is not None:
        _ensure_segment_name_free(session, account_id=account_id, name=patch.name, segment_id=segment.id)
        segment.name = patch.name
    definition = SegmentDefinition(
        match=patch.match if patch.match is not None else current.match,
        conditions=patch.conditions if patch.conditions is not None else current.conditions,
    )
    stored = _checked_definition(session, account_id=account_id, definition=definition)
    if stored != segment.definition:
        segment.definition = stored
    session.flush()
    return _segment_view(segment)


def delete_segment(session: Session, *, account_id: int, segment_id: int) -> None:
    """Delete a segment. Conflict while anything uses it (a live message's targets: whoever the
    composition root registered in ``usage.referrers``)."""
    _load_segment(session, account_id=account_id, segment_id=segment_id)
    usage.ensure_unused(session, account_id=account_id, kind=Audience.SEGMENT, target_id=segment_id)
    repository.delete_segment(session, account_id=account_id, segment_id=segment_id)


def list_segments(session: Session, *, account_id: int, after: int | None, fetch: int) -> list[SegmentView]:
    rows = repository.segments_page(session, account_id=account_id, after=after, fetch=fetch)
    return [_segment_view(row) for row in rows]


def segment_contacts(
    session: Session, *, account_id: int, segment_id: int, after: int | None, fetch: int
) -> list[ContactView]:
    """Up to ``fetch`` contacts matching the segment now, in id order after ``after`` (evaluated in SQL)."""
    segment = _load_segment(session, account_id=account_id, segment_id=segment_id)
    definition = SegmentDefinition.model_validate(segment.definition)
    rows = repository.contacts_page(
        session, account_id=account_id, after=after, fetch=fetch, segment=definition
    )
    return [ContactView.model_validate(row) for row in rows]


def existing_ids(session: Session, *, account_id: int, ids: Iterable[int]) -> set[int]:
    """Which of ``ids`` are segments of the account."""
    return repository.known_segment_ids(session, account_id=account_id, ids=set(ids))


def names_of(session: Session, *, account_id: int, ids: Iterable[int]) -> dict[int, str]:
    """Names of the account's segments among ``ids``; ids that are no segment of the account are absent."""
    return repository.segment_names(session, account_id=account_id, ids=set(ids))


def refuse_if_list_used(session: Session, *, account_id: int, kind: Audience, target_id: int) -> None:
    """A referrer (``usage.referrers``): Conflict while a segment's condition names the list."""
    if kind is not Audience.LIST:
        return
    users = [
        segment.id
        for segment in repository.all_segments(session, account_id=account_id)
        if target_id in _list_ids_of(SegmentDefinition.model_validate(segment.definition))
    ]
    if users:
        raise Conflict(f"segments {named_ids(users)} refer to list {target_id}; change them first")
