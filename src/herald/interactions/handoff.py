"""The ledger hands on what it records: subscribers registered at the composition root (the webhook
outbox today; rollups and suppression rules later) run in the recording transaction, so an event never
commits without what it causes, and the ledger imports none of them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from herald.extension import ExtensionPoint


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """One ledger row just appended, with the channel of its message."""

    interaction_id: int
    message_id: int
    contact_id: int
    type: str
    channel: str
    occurred_at: datetime


@dataclass(frozen=True)
class Recorded:
    """What one ``record`` call appended for one account, in ingest order."""

    account_id: int
    events: Sequence[RecordedEvent]


LedgerSubscriber = Callable[[Session, Recorded], None]

subscribers: ExtensionPoint[LedgerSubscriber] = ExtensionPoint("the ledger's subscribers")


def hand_on(session: Session, recorded: Recorded) -> None:
    """Run every subscriber in the caller's (the recording) transaction; one raising rolls it all back."""
    for subscriber in subscribers:
        subscriber(session, recorded)
