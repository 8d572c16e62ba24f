"""The ledger hands on what it records: subscribers registered at the composition root (the webhook
outbox today; rollups and suppression rules later) run in the recording transaction, so an event never
commits without what it causes, and the ledger imports none of them."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from herald.extension import ExtensionPoint
from herald.interactions.records import Recorded

LedgerSubscriber = Callable[[Session, Recorded], None]

subscribers: ExtensionPoint[LedgerSubscriber] = ExtensionPoint("the ledger's subscribers")


def hand_on(session: Session, recorded: Recorded) -> None:
    """Run every subscriber in the caller's (the recording) transaction; one raising rolls it all back."""
    for subscriber in subscribers:
        subscriber(session, recorded)
