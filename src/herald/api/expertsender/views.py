"""What the ExpertSender dialect shows of an SMS/MMS message, composed from the messages domain and the
ledger: a message's ``SentDate`` is its first send (in the asked days, for a listing), and a listing with
a date range holds only messages sent in it. These are the vendor's rules, so they live here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from herald.interactions import service as interactions_service
from herald.messages import service as messages_service
from herald.messages.schemas import (
    GoogleAnalyticsTag,
    MessageStatus,
    MessageType,
    MessageView,
    NamedTarget,
    ThrottlingMethod,
)
from herald.timezones import day_window
from herald.types import Channel


@dataclass(frozen=True)
class SmsMessageQuery:
    """Which SMS/MMS messages to list: ``start_date``/``end_date`` are whole days in ``timezone``."""

    timezone: str = "UTC"
    tag: str | None = None
    type: MessageType | None = None
    start_date: date | None = None
    end_date: date | None = None


@dataclass(frozen=True)
class SmsMessageSummary:
    """An SMS/MMS message in a listing; ``sent_at`` is its first send in the asked range (UTC)."""

    id: int
    channel: Channel
    type: MessageType
    sent_at: datetime | None
    tags: tuple[str, ...]
    sender: str
    campaign_description: str
    subject: str | None


@dataclass(frozen=True)
class SmsMessageDetail(SmsMessageSummary):
    """One SMS/MMS message with its targeting; ``sent_at`` is its first send ever (UTC)."""

    throttling_method: ThrottlingMethod
    throttling_hours: int | None
    google_analytics_tags: tuple[GoogleAnalyticsTag, ...]
    lists: tuple[NamedTarget, ...]
    segments: tuple[NamedTarget, ...]
    excluded_lists: tuple[NamedTarget, ...]
    excluded_segments: tuple[NamedTarget, ...]
    status: MessageStatus


def _summary(message: MessageView, first_send_s: int | None) -> SmsMessageSummary:
    return SmsMessageSummary(
        id=message.id,
        channel=message.channel,
        type=message.type,
        sent_at=None if first_send_s is None else datetime.fromtimestamp(first_send_s, UTC),
        tags=tuple(message.tags),
        sender=message.sender,
        campaign_description=message.campaign_description,
        subject=message.subject,
    )


def message_summaries(
    session: Session, *, account_id: int, query: SmsMessageQuery
) -> list[SmsMessageSummary]:
    """The account's SMS/MMS messages (every status) by id, with their first send in the asked days.

    With a start or end date only messages sent at least once in that range are listed; without either,
    all are, and ``sent_at`` is the first send ever (None when never sent).
    """
    from_s, to_s = day_window(query.start_date, query.end_date, query.timezone)
    messages = messages_service.text_messages(
        session, account_id=account_id, tag=query.tag, message_type=query.type
    )
    firsts = interactions_service.first_send_seconds(
        session, message_ids=[m.id for m in messages], from_s=from_s, to_s=to_s
    )
    if query.start_date is not None or query.end_date is not None:
        messages = [m for m in messages if m.id in firsts]
    return [_summary(m, firsts.get(m.id)) for m in messages]


def message_detail(session: Session, *, account_id: int, message_id: int) -> SmsMessageDetail:
    """One SMS/MMS message with its named targets and first send ever; ``NotFound`` for email messages."""
    message = messages_service.text_message(session, account_id=account_id, message_id=message_id)
    first = interactions_service.first_send_seconds(session, message_ids=[message.id])
    targets = messages_service.named_targets(session, account_id=account_id, message=message)
    return SmsMessageDetail(
        **vars(_summary(message, first.get(message.id))),
        throttling_method=message.throttling_method,
        throttling_hours=message.throttling_hours,
        google_analytics_tags=tuple(message.google_analytics_tags),
        lists=targets.lists,
        segments=targets.segments,
        excluded_lists=targets.excluded_lists,
        excluded_segments=targets.excluded_segments,
        status=message.status,
    )
