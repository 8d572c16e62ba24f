"""Who still uses a list or a segment: an extension point filled at the composition root.

Deleting a list or segment must be refused while something refers to it: a segment's condition (a room
above lists), a message's targets (a domain above contacts). Neither may be imported from here, so each
registers a *referrer* that raises ``Conflict`` naming what uses the list or segment.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from sqlalchemy.orm import Session

from herald.extension import ExtensionPoint


class Audience(StrEnum):
    """What a message can be addressed to besides single contacts."""

    LIST = "list"
    SEGMENT = "segment"


class Referrer(Protocol):
    """Raises ``Conflict`` naming what of the account still uses the list or segment; else returns."""

    def __call__(self, session: Session, *, account_id: int, kind: Audience, target_id: int) -> None: ...


referrers: ExtensionPoint[Referrer] = ExtensionPoint("who may still use a list or segment")


def ensure_unused(session: Session, *, account_id: int, kind: Audience, target_id: int) -> None:
    """Raise the first referrer's Conflict, in the order they were registered."""
    for check in referrers:
        check(session, account_id=account_id, kind=kind, target_id=target_id)
