"""All SQL of the messages domain. Every function runs in the caller's transaction and never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, insert, select
from sqlalchemy.orm import Session

from herald.db import dialect
from herald.messages.models import Message, MessageTag, MessageTarget
from herald.messages.schemas import MessageFilter, MessageStatus, MessageType, TargetKind
from herald.types import TEXT_CHANNELS, chunked, is_possible_id

# Ids per statement: far below SQLite's bound-parameter limit, small enough for PostgreSQL's planner.
CHUNK = 500
# Ids per lookup of an ingest batch, passed as one parameter (dialect.member_of).
LOOKUP_CHUNK = 10_000


@dataclass(frozen=True)
class Targets:
    """A message's four target groups, each in the order given."""

    list_ids: tuple[int, ...] = ()
    segment_ids: tuple[int, ...] = ()
    excluded_list_ids: tuple[int, ...] = ()
    excluded_segment_ids: tuple[int, ...] = ()


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
    for chunk in chunked(sorted(set(message_ids)), CHUNK):
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
    for chunk in chunked(sorted(set(message_ids)), CHUNK):
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
    stmt = select(Message).where(Message.account_id == account_id, Message.channel.in_(TEXT_CHANNELS))
    if tag is not None:
        stmt = stmt.where(_has_tag(tag))
    if message_type is not None:
        stmt = stmt.where(Message.type == message_type)
    return list(session.scalars(stmt.order_by(Message.id)))


def _has_tag(tag: str) -> Any:
    return exists().where(MessageTag.message_id == Message.id, MessageTag.tag == tag)


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


def channels_of_account(session: Session, *, account_id: int, ids: Iterable[int]) -> dict[int, str]:
    """The channel (email, sms, mms) of those ids that are the account's messages."""
    found: dict[int, str] = {}
    for chunk in chunked(sorted({i for i in ids if is_possible_id(i)}), LOOKUP_CHUNK):
        rows = session.execute(
            select(Message.id, Message.channel).where(
                Message.account_id == account_id, dialect.member_of(session, Message.id, chunk)
            )
        )
        found.update((int(message_id), str(channel)) for message_id, channel in rows)
    return found


# Plain SQL, compiled once: the report asks it for every page.
_IS_ACCOUNT_MESSAGE = "SELECT 1 FROM messages WHERE id = :message_id AND account_id = :account_id"


def is_account_message(session: Session, *, account_id: int, message_id: int) -> bool:
    if not is_possible_id(message_id):
        return False
    return bool(
        dialect.fetch_all(session, _IS_ACCOUNT_MESSAGE, {"message_id": message_id, "account_id": account_id})
    )


def headings(session: Session, *, ids: Iterable[int]) -> list[tuple[int, str, str]]:
    """(id, channel, campaign description) of the messages with these ids, whatever their account."""
    found: list[tuple[int, str, str]] = []
    for chunk in chunked(sorted({i for i in ids if is_possible_id(i)}), CHUNK):
        rows = session.execute(
            select(Message.id, Message.channel, Message.campaign_description).where(Message.id.in_(chunk))
        )
        found.extend((int(i), str(c), str(d)) for i, c, d in rows)
    return found
