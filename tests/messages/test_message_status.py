"""The status lifecycle table: total over the statuses, and the check that uses it."""

from __future__ import annotations

import pytest

from herald.errors import Conflict
from herald.messages.schemas import MessageStatus
from herald.messages.status import EDITABLE, TRANSITIONS, allowed_from, check_transition

S = MessageStatus
EXPECTED = {
    S.DRAFT: {S.SCHEDULED, S.IN_PROGRESS, S.DELETED},
    S.SCHEDULED: {S.DRAFT, S.IN_PROGRESS, S.PAUSED, S.DELETED},
    S.IN_PROGRESS: {S.PAUSED, S.SENT},
    S.PAUSED: {S.IN_PROGRESS, S.SCHEDULED, S.DELETED},
    S.SENT: {S.DELETED},
    S.DELETED: set(),
}


def test_every_status_has_a_row_and_every_target_is_a_status() -> None:
    assert set(TRANSITIONS) == set(MessageStatus)
    for targets in TRANSITIONS.values():
        assert targets <= set(MessageStatus)


def test_the_table_is_the_documented_one() -> None:
    assert {source: set(targets) for source, targets in TRANSITIONS.items()} == EXPECTED


def test_no_status_lists_itself_and_deleted_is_final() -> None:
    assert all(source not in targets for source, targets in TRANSITIONS.items())
    assert TRANSITIONS[S.DELETED] == frozenset()


def test_every_status_but_deleted_can_reach_deleted() -> None:
    for start in MessageStatus:
        seen, frontier = {start}, [start]
        while frontier:
            for nxt in TRANSITIONS[frontier.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        assert S.DELETED in seen


@pytest.mark.parametrize("current", list(MessageStatus))
@pytest.mark.parametrize("new", list(MessageStatus))
def test_check_transition_allows_exactly_the_table_and_staying(current: S, new: S) -> None:
    if new == current or new in EXPECTED[current]:
        check_transition(current, new)
        return
    with pytest.raises(Conflict) as caught:
        check_transition(current, new)
    detail = caught.value.detail
    assert f"from {current} to {new}" in detail
    for allowed in EXPECTED[current]:
        assert str(allowed) in detail.split("allowed from", 1)[1]


def test_allowed_from_lists_in_enum_order() -> None:
    assert allowed_from(S.SCHEDULED) == [S.DRAFT, S.IN_PROGRESS, S.PAUSED, S.DELETED]
    assert allowed_from(S.DELETED) == []


def test_content_is_editable_only_before_sending_or_while_paused() -> None:
    assert {S.DRAFT, S.SCHEDULED, S.PAUSED} == EDITABLE
