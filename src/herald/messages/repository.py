"""All SQL of the messages domain. Every function runs in the caller's transaction and never commits.

Lists and segments belong to the contacts domain; the few read-only lookups messages need of them (do
these ids exist in this account, what are their names) are here so that no other domain's service is
needed to validate or render a message's targets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import delete, exists, insert, select
from sqlalchemy.orm import Session

from herald.contacts.models import ContactList, Segment
from herald.interactions.models import Interaction
from herald.interactions.types import InteractionType
from herald.messages.models import Message, MessageTag, MessageTarget
from herald.messages.schemas import (
    MAX_ID,
    Channel,
    MessageFilter,
    MessageStatus,
    MessageType,
    TargetKind,
)

T = TypeVar("T")
# Ids per statement: far below SQLite's bound-parameter limit, small enough for PostgreSQL's planner.
CHUNK = 500
SENDS = InteractionType.SENDS.value


@dataclass(frozen=True)
class Targets:
    """A message's four target groups, each in the order given."""

    list_ids: tuple[int, ...] = ()
    segment_ids: tuple[int, ...] = ()
    excluded_list_ids: tuple[int, ...] = ()
    excluded_segment_ids: tuple[int, ...] = ()


def _chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def is_possible_id(value: int) -> bool:
    """Whether ``value`` can be a row id at all (larger numbers would overflow PostgreSQL's integer)."""
    return 1 <= value <= MAX_ID


def add_message(session: Session, *, account_id: int, fields: dict[str, Any]) -> Message:
    message = Message(account_id=account_id, **fields)
    session.add(message)
    session.flush()
    return message


def get_message(
    session: Session, *, account_id: int, message_id: int, for_update: bool = False
) -> Message | None:
    """The account's message, or None (also for another account's id). ``for_update`` locks the row."""
    if not is_possible_id(message_id):
        return None
    stmt = select(Message).where(Message.id == message_id, Message.account_id == account_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


def tags_of(session: Session, *, message_ids: Sequence[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(sorted(set(message_ids))):
        rows = session.execute(
            select(MessageTag.message_id, MessageTag.tag)
            .where(MessageTag.message_id.in_(chunk))
            .order_by(MessageTag.message_id, MessageTag.position)
        )
        for message_id, tag in rows:
            tags[message_id].append(tag)
    return tags


def targets_of(session: Session, *, message_ids: Sequence[int]) -> dict[int, Targets]:
    groups: dict[int, dict[tuple[str, bool], list[int]]] = defaultdict(lambda: defaultdict(list))
    for chunk in _chunks(sorted(set(message_ids))):
        rows = session.execute(
            select(
                MessageTarget.message_id, MessageTarget.kind, MessageTarget.excluded, MessageTarget.target_id
            )
            .where(MessageTarget.message_id.in_(chunk))
            .order_by(MessageTarget.message_id, MessageTarget.position, MessageTarget.target_id)
        )
        for message_id, kind, excluded, target_id in rows:
            groups[message_id][(kind, bool(excluded))].append(target_id)
    return {
        message_id: Targets(
            list_ids=tuple(group[(TargetKind.LIST, False)]),
            segment_ids=tuple(group[(TargetKind.SEGMENT, False)]),
            excluded_list_ids=tuple(group[(TargetKind.LIST, True)]),
            excluded_segment_ids=tuple(group[(TargetKind.SEGMENT, True)]),
        )
        for message_id, group in groups.items()
    }


def replace_tags(session: Session, *, message_id: int, tags: Sequence[str]) -> None:
    session.execute(delete(MessageTag).where(MessageTag.message_id == message_id))
    if tags:
        session.execute(
            insert(MessageTag),
            [{"message_id": message_id, "position": i, "tag": tag} for i, tag in enumerate(tags)],
        )


def replace_targets(session: Session, *, message_id: int, targets: Targets) -> None:
    """Store all four groups at once (a list moved from target to excluded must not collide with itself)."""
    session.execute(delete(MessageTarget).where(MessageTarget.message_id == message_id))
    groups = (
        (TargetKind.LIST, False, targets.list_ids),
        (TargetKind.SEGMENT, False, targets.segment_ids),
        (TargetKind.LIST, True, targets.excluded_list_ids),
        (TargetKind.SEGMENT, True, targets.excluded_segment_ids),
    )
    rows = [
        {
            "message_id": message_id,
            "kind": str(kind),
            "excluded": excluded,
            "target_id": target_id,
            "position": position,
        }
        for kind, excluded, ids in groups
        for position, target_id in enumerate(ids)
    ]
    if rows:
        session.execute(insert(MessageTarget), rows)


def existing_target_ids(
    session: Session, *, account_id: int, kind: TargetKind, ids: Iterable[int]
) -> set[int]:
    """Which of ``ids`` are lists (or segments) of this account."""
    model: type[ContactList] | type[Segment] = ContactList if kind is TargetKind.LIST else Segment
    wanted = sorted({i for i in ids if is_possible_id(i)})
    found: set[int] = set()
    for chunk in _chunks(wanted):
        found.update(
            session.scalars(select(model.id).where(model.account_id == account_id, model.id.in_(chunk)))
        )
    return found


def target_names(
    session: Session, *, account_id: int, kind: TargetKind, ids: Iterable[int]
) -> dict[int, str]:
    """Names of the account's lists (or segments) among ``ids``; ids that no longer exist are absent."""
    model: type[ContactList] | type[Segment] = ContactList if kind is TargetKind.LIST else Segment
    wanted = sorted({i for i in ids if is_possible_id(i)})
    names: dict[int, str] = {}
    for chunk in _chunks(wanted):
        rows = session.execute(
            select(model.id, model.name).where(model.account_id == account_id, model.id.in_(chunk))
        )
        for row_id, name in rows:
            names[row_id] = name
    return names


def page_of_messages(
    session: Session, *, account_id: int, filters: MessageFilter, after: int | None, limit: int
) -> list[Message]:
    """Up to ``limit`` messages with id above ``after``, by id; Deleted ones only when filtered for."""
    stmt = select(Message).where(Message.account_id == account_id)
    if filters.channel is not None:
        stmt = stmt.where(Message.channel == filters.channel)
    if filters.type is not None:
        stmt = stmt.where(Message.type == filters.type)
    if filters.status is not None:
        stmt = stmt.where(Message.status == filters.status)
    else:
        stmt = stmt.where(Message.status != MessageStatus.DELETED)
    if filters.tag is not None:
        stmt = stmt.where(_has_tag(filters.tag))
    if after is not None:
        stmt = stmt.where(Message.id > after)
    return list(session.scalars(stmt.order_by(Message.id).limit(limit)))


def sms_messages(
    session: Session, *, account_id: int, tag: str | None, message_type: MessageType | None
) -> list[Message]:
    """The account's SMS and MMS messages (every status), by id, optionally with a tag and of a type."""
    stmt = select(Message).where(
        Message.account_id == account_id, Message.channel.in_([Channel.SMS, Channel.MMS])
    )
    if tag is not None:
        stmt = stmt.where(_has_tag(tag))
    if message_type is not None:
        stmt = stmt.where(Message.type == message_type)
    return list(session.scalars(stmt.order_by(Message.id)))


def _has_tag(tag: str) -> Any:
    return exists().where(MessageTag.message_id == Message.id, MessageTag.tag == tag)


def first_send_seconds(
    session: Session, *, message_ids: Sequence[int], from_s: int | None, to_s: int | None
) -> dict[int, int]:
    """Each message's earliest ``sends`` time (epoch seconds) with ``from_s <= occurred_s < to_s``.

    Messages without such a send are absent. One statement per chunk of ids; each message's value is a
    correlated ``ORDER BY occurred_s LIMIT 1`` subquery, i.e. one seek in ``ix_interactions_report``
    (message_id, type, occurred_s, id) on both databases, however many sends the message has.
    """
    first = (
        select(Interaction.occurred_s)
        .where(Interaction.message_id == Message.id, Interaction.type == SENDS)
        .order_by(Interaction.occurred_s)
        .limit(1)
    )
    if from_s is not None:
        first = first.where(Interaction.occurred_s >= from_s)
    if to_s is not None:
        first = first.where(Interaction.occurred_s < to_s)
    column = first.correlate(Message).scalar_subquery()
    result: dict[int, int] = {}
    for chunk in _chunks(sorted({i for i in message_ids if is_possible_id(i)})):
        for message_id, seconds in session.execute(select(Message.id, column).where(Message.id.in_(chunk))):
            if seconds is not None:
                result[message_id] = int(seconds)
    return result


def messages_targeting(session: Session, *, account_id: int, kind: TargetKind, target_id: int) -> list[int]:
    """Ids of the account's live (not Deleted) messages that target or exclude this list or segment."""
    return list(
        session.scalars(
            select(Message.id)
            .join(MessageTarget, MessageTarget.message_id == Message.id)
            .where(
                Message.account_id == account_id,
                Message.status != MessageStatus.DELETED.value,
                MessageTarget.kind == kind.value,
                MessageTarget.target_id == target_id,
            )
            .order_by(Message.id)
        )
    )
