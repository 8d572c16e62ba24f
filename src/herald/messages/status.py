"""The message status lifecycle: the one table of allowed transitions, and the check that uses it."""

from __future__ import annotations

from collections.abc import Mapping

from herald.errors import Conflict, FieldProblem
from herald.messages.schemas import MessageStatus

S = MessageStatus

# Every status is a key; a status missing from a value set cannot be reached from the key.
TRANSITIONS: Mapping[MessageStatus, frozenset[MessageStatus]] = {
    S.DRAFT: frozenset({S.SCHEDULED, S.IN_PROGRESS, S.DELETED}),
    S.SCHEDULED: frozenset({S.DRAFT, S.IN_PROGRESS, S.PAUSED, S.DELETED}),
    S.IN_PROGRESS: frozenset({S.PAUSED, S.SENT}),
    S.PAUSED: frozenset({S.IN_PROGRESS, S.SCHEDULED, S.DELETED}),
    S.SENT: frozenset({S.DELETED}),
    S.DELETED: frozenset(),
}

# While a message is in one of these, its content (everything but the status) may change.
EDITABLE: frozenset[MessageStatus] = frozenset({S.DRAFT, S.SCHEDULED, S.PAUSED})


def allowed_from(current: MessageStatus) -> list[MessageStatus]:
    """The statuses ``current`` may move to, in the enum's order (stable for error texts)."""
    targets = TRANSITIONS[current]
    return [status for status in MessageStatus if status in targets]


def check_transition(current: MessageStatus, new: MessageStatus) -> None:
    """Raise ``Conflict`` unless ``current`` may become ``new``; staying in the same status is allowed."""
    if new == current or new in TRANSITIONS[current]:
        return
    allowed = allowed_from(current)
    allowed_text = ", ".join(allowed) if allowed else "none (a Deleted message is final)"
    raise Conflict(
        f"a message cannot go from {current} to {new}; allowed from {current}: {allowed_text}",
        problems=[FieldProblem("status", f"{current} -> {new} is not an allowed transition")],
    )
