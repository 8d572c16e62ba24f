"""Messages: creation, partial change, soft deletion, listing, and what other domains and the dialects
need to know of them (channels, headings, named targets).

Every function takes the caller's session, runs in the caller's transaction, never commits, and filters
by ``account_id``: another account's message is "not found".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from herald.contacts.lists import service as lists_service
from herald.contacts.segments import service as segments_service
from herald.db.base import utcnow
from herald.errors import Conflict, FieldProblem, InvalidInput, NotFound
from herald.messages import repository
from herald.messages.models import Message
from herald.messages.repository import Targets
from herald.messages.schemas import (
    GoogleAnalyticsTag,
    MessageCreate,
    MessageFilter,
    MessageHeading,
    MessageStatus,
    MessageType,
    MessageUpdate,
    MessageView,
    NamedTarget,
    NamedTargets,
    TargetKind,
    ThrottlingMethod,
)
from herald.messages.status import EDITABLE, check_transition
from herald.types import TEXT_CHANNELS, Channel

# Fields a PATCH may not set to null (subject and throttling_hours may: null clears them).
_NOT_NULLABLE = (
    "channel",
    "type",
    "sender",
    "campaign_description",
    "body",
    "tags",
    "google_analytics_tags",
    "throttling_method",
    "list_ids",
    "segment_ids",
    "excluded_list_ids",
    "excluded_segment_ids",
    "status",
)
_SIMPLE_FIELDS = ("channel", "type", "sender", "campaign_description", "body")
_TARGET_KINDS = {
    "list_ids": TargetKind.LIST,
    "segment_ids": TargetKind.SEGMENT,
    "excluded_list_ids": TargetKind.LIST,
    "excluded_segment_ids": TargetKind.SEGMENT,
}
_TARGET_FIELDS = tuple(_TARGET_KINDS)


def _not_found(message_id: int) -> NotFound:
    return NotFound(f"message {message_id} not found")


def _dedupe(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(values))


def _dedupe_tags(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _normal_subject(subject: str | None) -> str | None:
    return subject if subject else None


def _invalid(problems: Sequence[FieldProblem]) -> InvalidInput:
    detail = "; ".join(f"{p.field}: {p.reason}" for p in problems)
    return InvalidInput(f"the message is not valid: {detail}", problems=problems)


def _content_problems(
    *, channel: Channel, subject: str | None, method: ThrottlingMethod, hours: int | None
) -> list[FieldProblem]:
    problems = []
    if channel is Channel.SMS and subject is not None:
        problems.append(FieldProblem("subject", "SMS messages have no subject; leave it out or null"))
    if method is ThrottlingMethod.MANUAL and hours is None:
        problems.append(
            FieldProblem("throttling_hours", "required (1 or more) when throttling_method is Manual")
        )
    if method is not ThrottlingMethod.MANUAL and hours is not None:
        problems.append(
            FieldProblem("throttling_hours", f"must be absent or null when throttling_method is {method}")
        )
    return problems


def _target_problems(
    session: Session, *, account_id: int, targets: Targets, checked: Iterable[str]
) -> list[FieldProblem]:
    """Unknown ids in the groups named by ``checked``, and lists or segments both targeted and excluded."""
    problems = []
    for field in checked:
        kind = _TARGET_KINDS[field]
        ids: tuple[int, ...] = getattr(targets, field)
        known = _existing_ids(session, account_id=account_id, kind=kind, ids=ids)
        unknown = [i for i in ids if i not in known]
        if unknown:
            problems.append(FieldProblem(field, f"unknown {kind} ids: {', '.join(map(str, unknown))}"))
    for field, included, excluded in (
        ("excluded_list_ids", targets.list_ids, targets.excluded_list_ids),
        ("excluded_segment_ids", targets.segment_ids, targets.excluded_segment_ids),
    ):
        both = [i for i in excluded if i in set(included)]
        if both:
            kind = _TARGET_KINDS[field]
            problems.append(
                FieldProblem(field, f"{kind} ids both targeted and excluded: {', '.join(map(str, both))}")
            )
    return problems


def _view(message: Message, *, tags: Sequence[str], targets: Targets) -> MessageView:
    return MessageView(
        id=message.id,
        channel=Channel(message.channel),
        type=MessageType(message.type),
        sender=message.sender,
        campaign_description=message.campaign_description,
        subject=message.subject,
        body=message.body,
        tags=list(tags),
        google_analytics_tags=[GoogleAnalyticsTag(**tag) for tag in message.google_analytics_tags],
        throttling_method=ThrottlingMethod(message.throttling_method),
        throttling_hours=message.throttling_hours,
        list_ids=list(targets.list_ids),
        segment_ids=list(targets.segment_ids),
        excluded_list_ids=list(targets.excluded_list_ids),
        excluded_segment_ids=list(targets.excluded_segment_ids),
        status=MessageStatus(message.status),
        created_at=message.created_at,
        updated_at=message.updated_at,
    )


def _views(session: Session, messages: Sequence[Message]) -> list[MessageView]:
    ids = [m.id for m in messages]
    tags = repository.tags_of(session, message_ids=ids)
    targets = repository.targets_of(session, message_ids=ids)
    return [_view(m, tags=tags.get(m.id, []), targets=targets.get(m.id, Targets())) for m in messages]


def create_message(session: Session, *, account_id: int, command: MessageCreate) -> MessageView:
    """Add a message with its tags and targets, in the status given (Draft by default).

    Raises ``InvalidInput`` for a subject on SMS, throttling_hours missing with Manual (or given
    without it), unknown list or segment ids, or an id both targeted and excluded.
    """
    subject = _normal_subject(command.subject)
    targets = Targets(
        list_ids=_dedupe(command.list_ids),
        segment_ids=_dedupe(command.segment_ids),
        excluded_list_ids=_dedupe(command.excluded_list_ids),
        excluded_segment_ids=_dedupe(command.excluded_segment_ids),
    )
    problems = _content_problems(
        channel=command.channel,
        subject=subject,
        method=command.throttling_method,
        hours=command.throttling_hours,
    )
    problems += _target_problems(session, account_id=account_id, targets=targets, checked=_TARGET_FIELDS)
    if problems:
        raise _invalid(problems)
    now = utcnow()
    message = repository.add_message(
        session,
        account_id=account_id,
        fields={
            "channel": str(command.channel),
            "type": str(command.type),
            "sender": command.sender,
            "campaign_description": command.campaign_description,
            "subject": subject,
            "body": command.body,
            "google_analytics_tags": [tag.model_dump() for tag in command.google_analytics_tags],
            "throttling_method": str(command.throttling_method),
            "throttling_hours": command.throttling_hours,
            "status": str(command.status),
            "created_at": now,
            "updated_at": now,
        },
    )
    tags = _dedupe_tags(command.tags)
    repository.replace_tags(session, message_id=message.id, tags=tags)
    repository.replace_targets(session, message_id=message.id, targets=targets)
    return _view(message, tags=tags, targets=targets)


def get_message(session: Session, *, account_id: int, message_id: int) -> MessageView:
    """One message of the account, Deleted ones included; ``NotFound`` otherwise."""
    message = repository.get_message(session, account_id=account_id, message_id=message_id)
    if message is None:
        raise _not_found(message_id)
    return _views(session, [message])[0]


def update_message(
    session: Session, *, account_id: int, message_id: int, changes: MessageUpdate
) -> MessageView:
    """Apply the fields present in ``changes``; the row is locked for the rest of the transaction.

    Content (every field but ``status``) may change only while the message is Draft, Scheduled or
    Paused (``Conflict`` otherwise, judged on the status before this change); a status change must be an
    allowed transition (``Conflict``); the merged message must pass the creation rules (``InvalidInput``).
    """
    message = repository.get_message(session, account_id=account_id, message_id=message_id, for_update=True)
    if message is None:
        raise _not_found(message_id)
    given = changes.model_fields_set
    nulls = [name for name in _NOT_NULLABLE if name in given and getattr(changes, name) is None]
    if nulls:
        raise _invalid([FieldProblem(name, "must not be null") for name in nulls])
    current = MessageStatus(message.status)
    content = sorted(given - {"status"})
    if content and current not in EDITABLE:
        raise Conflict(
            f"message {message_id} is {current}; its content can change only while it is "
            f"{', '.join(s for s in MessageStatus if s in EDITABLE)}",
            problems=[
                FieldProblem(name, f"cannot change while the message is {current}") for name in content
            ],
        )
    if changes.status is not None:
        check_transition(current, changes.status)

    channel = changes.channel if changes.channel is not None else Channel(message.channel)
    subject = _normal_subject(changes.subject) if "subject" in given else message.subject
    method = (
        changes.throttling_method
        if changes.throttling_method is not None
        else ThrottlingMethod(message.throttling_method)
    )
    if "throttling_hours" in given:
        hours = changes.throttling_hours
    elif changes.throttling_method is not None and method is not ThrottlingMethod.MANUAL:
        hours = None  # leaving Manual drops the hours that only Manual uses
    else:
        hours = message.throttling_hours
    old_targets = repository.targets_of(session, message_ids=[message.id]).get(message.id, Targets())
    given_targets = [name for name in _TARGET_FIELDS if name in given]
    targets = Targets(
        **{
            name: _dedupe(getattr(changes, name)) if name in given else getattr(old_targets, name)
            for name in _TARGET_FIELDS
        }
    )
    problems = _content_problems(channel=channel, subject=subject, method=method, hours=hours)
    # Only the groups being set are checked for unknown ids: a list deleted since must not block an edit.
    problems += _target_problems(session, account_id=account_id, targets=targets, checked=given_targets)
    if problems:
        raise _invalid(problems)

    changed = False
    for name in _SIMPLE_FIELDS:
        if name in given:
            setattr(message, name, str(getattr(changes, name)))
            changed = True
    if "google_analytics_tags" in given and changes.google_analytics_tags is not None:
        message.google_analytics_tags = [tag.model_dump() for tag in changes.google_analytics_tags]
        changed = True
    if (message.subject, message.throttling_method, message.throttling_hours) != (subject, method, hours):
        message.subject, message.throttling_method, message.throttling_hours = subject, str(method), hours
        changed = True
    if changes.status is not None and changes.status != current:
        message.status = str(changes.status)
        changed = True
    if changes.tags is not None:
        repository.replace_tags(session, message_id=message.id, tags=_dedupe_tags(changes.tags))
        changed = True
    if given_targets:
        repository.replace_targets(session, message_id=message.id, targets=targets)
        changed = True
    if changed:
        message.updated_at = utcnow()
    session.flush()
    return _views(session, [message])[0]


def delete_message(session: Session, *, account_id: int, message_id: int) -> None:
    """Mark the message Deleted (soft: it and its ledger rows stay). Idempotent on a Deleted message.

    Raises ``NotFound``, or ``Conflict`` when the status may not become Deleted (a message InProgress).
    """
    message = repository.get_message(session, account_id=account_id, message_id=message_id, for_update=True)
    if message is None:
        raise _not_found(message_id)
    current = MessageStatus(message.status)
    if current is MessageStatus.DELETED:
        return
    check_transition(current, MessageStatus.DELETED)
    message.status = str(MessageStatus.DELETED)
    message.updated_at = utcnow()
    session.flush()


def list_messages(
    session: Session, *, account_id: int, filters: MessageFilter, after: int | None, limit: int
) -> list[MessageView]:
    """Up to ``limit`` messages after id ``after``, by id. Deleted ones only when ``filters.status`` asks."""
    return _views(
        session,
        repository.page_of_messages(
            session, account_id=account_id, filters=filters, after=after, limit=limit
        ),
    )


def text_messages(
    session: Session, *, account_id: int, tag: str | None = None, message_type: MessageType | None = None
) -> list[MessageView]:
    """The account's SMS and MMS messages of every status, by id, optionally with a tag and of a type."""
    return _views(
        session, repository.sms_messages(session, account_id=account_id, tag=tag, message_type=message_type)
    )


def text_message(session: Session, *, account_id: int, message_id: int) -> MessageView:
    """One SMS/MMS message of the account, Deleted ones included; ``NotFound`` for email messages."""
    message = repository.get_message(session, account_id=account_id, message_id=message_id)
    if message is None or message.channel not in TEXT_CHANNELS:
        raise NotFound(f"SMS/MMS message {message_id} not found")
    return _views(session, [message])[0]


def named_targets(session: Session, *, account_id: int, message: MessageView) -> NamedTargets:
    def named(kind: TargetKind, ids: Sequence[int]) -> tuple[NamedTarget, ...]:
        names = _names_of(session, account_id=account_id, kind=kind, ids=ids)
        return tuple(NamedTarget(id=i, name=names[i]) for i in ids if i in names)

    return NamedTargets(
        lists=named(TargetKind.LIST, message.list_ids),
        segments=named(TargetKind.SEGMENT, message.segment_ids),
        excluded_lists=named(TargetKind.LIST, message.excluded_list_ids),
        excluded_segments=named(TargetKind.SEGMENT, message.excluded_segment_ids),
    )


def refuse_if_targeted(session: Session, *, account_id: int, kind: TargetKind, target_id: int) -> None:
    """A referrer of the contacts domain (``contacts.usage``): Conflict while a live message targets or
    excludes the list or segment. A Deleted message no longer counts, so deleting the message first
    frees its lists and segments."""
    users = repository.messages_targeting(session, account_id=account_id, kind=kind, target_id=target_id)
    if users:
        shown = ", ".join(str(u) for u in users[:10]) + (" ..." if len(users) > 10 else "")
        raise Conflict(f"messages {shown} use {kind.value} {target_id}; change or delete them first")


def channels_of_account(session: Session, *, account_id: int, ids: Iterable[int]) -> dict[int, str]:
    """The channel of those ``ids`` that are the account's messages; others are absent."""
    return repository.channels_of_account(session, account_id=account_id, ids=ids)


def is_account_message(session: Session, *, account_id: int, message_id: int) -> bool:
    """Whether ``message_id`` is a message of the account (Deleted ones included). One indexed probe."""
    return repository.is_account_message(session, account_id=account_id, message_id=message_id)


def headings_by_id(session: Session, *, ids: Iterable[int]) -> dict[int, MessageHeading]:
    """Channel and campaign description of messages by id, whatever their account: for consumers that
    hold ids from their own account-scoped rows (webhook deliveries)."""
    return {
        message_id: MessageHeading(id=message_id, channel=Channel(channel), campaign_description=campaign)
        for message_id, channel, campaign in repository.headings(session, ids=ids)
    }


def _existing_ids(session: Session, *, account_id: int, kind: TargetKind, ids: Sequence[int]) -> set[int]:
    if kind is TargetKind.LIST:
        return lists_service.existing_ids(session, account_id=account_id, ids=ids)
    return segments_service.existing_ids(session, account_id=account_id, ids=ids)


def _names_of(session: Session, *, account_id: int, kind: TargetKind, ids: Sequence[int]) -> dict[int, str]:
    if kind is TargetKind.LIST:
        return lists_service.names_of(session, account_id=account_id, ids=ids)
    return segments_service.names_of(session, account_id=account_id, ids=ids)
