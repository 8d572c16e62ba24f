"""A message's interactions of one type as the report reads them: any slice of them, in (second, id)
order, found by walking the counters instead of counting or offsetting over the ledger.

The counters (``models.py``) form levels, coarsest first: whole days, quarter hours, minutes, then
(second, block of ids) cells. A range is covered by the coarsest units that fit, finer levels at its
ragged ends; the slice's first row is found by summing units until the skip falls inside one, descending
a level at a time, and at last skipping fewer than ``BLOCK_IDS`` rows inside one cell of the index.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from herald.errors import NotFound
from herald.interactions import repository
from herald.interactions.models import BUCKET_SECONDS, DAY_SECONDS, MINUTE_SECONDS
from herald.interactions.records import ReportRow, ReportSlice
from herald.interactions.schemas import ReportQuery
from herald.messages import service as messages_service
from herald.timezones import day_window

# Where an open-ended range stops: the end of year 9999.
END_OF_TIME_S = 253_402_300_800


def day_bounds(first: date, last: date, timezone: str) -> tuple[int, int]:
    """Epoch seconds of [start of ``first``, start of the day after ``last``) in ``timezone``."""
    lo, hi = day_window(first, last, timezone)
    assert lo is not None
    return lo, END_OF_TIME_S if hi is None else hi


def report_version(session: Session, *, message_id: int) -> int:
    """A number that changes whenever anything the message's report shows changes: its newest ledger id.
    The ledger is append-only, and its ids become visible in the order they were given out, since one
    account's writers are serialized (``service.record``): a commit always raises the newest id a reader
    can see. A cached page is valid while this is unchanged, in every process, since every process reads
    it from the database. Read-only, one index seek."""
    return repository.last_id(session, message_id=message_id)


def report_slice(
    session: Session, *, account_id: int, timezone: str, message_id: int, query: ReportQuery
) -> ReportSlice:
    """``query.count`` of a message's interactions of one type after ``query.skip`` of them, in
    (interaction second, id) order, with the total.

    Totals come from the counters and the slice's first row is found by walking them, so every slice
    costs about the same wherever it starts: four statements, none of which counts ledger rows.
    Read-only. Raises NotFound for a message of another account.
    """
    if not messages_service.is_account_message(session, account_id=account_id, message_id=message_id):
        raise NotFound("message not found")
    lo, hi = day_bounds(query.from_date, query.to_date, timezone)
    kind = str(query.interaction_type)
    parts: list[tuple[int, list[tuple[int, ...]]]] = [
        (level, _LEVELS[level][1](session, message_id=message_id, kind=kind, lo=a, hi=b))
        for a, b, level in _parts(lo, hi)
    ]
    total = sum(unit[-1] for _, units in parts for unit in units)
    rows: list[ReportRow] = []
    if query.skip < total and query.count > 0:
        rows = _seek(
            session,
            message_id=message_id,
            kind=kind,
            parts=parts,
            skip=query.skip,
            count=query.count,
            lo=lo,
            hi=hi,
            descending=query.descending,
        )
    return ReportSlice(rows=rows, interaction_type=kind, total_rows=total, timezone=timezone)


# Counter levels, coarsest first: (seconds a unit covers, how to read the units of a range). The last
# level's units are (second, id block, events) cells; the others' are (start, events).
_LEVELS: tuple[tuple[int, Any], ...] = (
    (DAY_SECONDS, repository.day_units),
    (BUCKET_SECONDS, repository.buckets),
    (MINUTE_SECONDS, repository.minute_units),
    (1, repository.cells),
)
_CELL_LEVEL = len(_LEVELS) - 1


def _parts(lo: int, hi: int, level: int = 0) -> list[tuple[int, int, int]]:
    """Cover [lo, hi) with whole units of the coarsest level that fits, finer levels at the ragged ends."""
    if lo >= hi:
        return []
    if level == _CELL_LEVEL:
        return [(lo, hi, level)]
    width = _LEVELS[level][0]
    inner_lo = -(-lo // width) * width
    inner_hi = hi // width * width
    if inner_lo >= inner_hi:
        return _parts(lo, hi, level + 1)
    return [*_parts(lo, inner_lo, level + 1), (inner_lo, inner_hi, level), *_parts(inner_hi, hi, level + 1)]


def _walk(units: list[tuple[int, ...]], skip: int, descending: bool) -> tuple[tuple[int, ...], int] | int:
    """The unit holding the row after ``skip`` rows and the rows left to skip inside it, or the rows
    still to skip after all of ``units``."""
    for unit in reversed(units) if descending else units:
        size = unit[-1]
        if skip < size:
            return unit, skip
        skip -= size
    return skip


def _seek(
    session: Session,
    *,
    message_id: int,
    kind: str,
    parts: list[tuple[int, list[tuple[int, ...]]]],
    skip: int,
    count: int,
    lo: int,
    hi: int,
    descending: bool,
) -> list[ReportRow]:
    for level, units in reversed(parts) if descending else parts:
        found = _walk(units, skip, descending)
        if isinstance(found, int):
            skip = found
            continue
        unit, skip = found
        while level < _CELL_LEVEL:
            start, width = unit[0], _LEVELS[level][0]
            level += 1
            inside = _LEVELS[level][1](session, message_id=message_id, kind=kind, lo=start, hi=start + width)
            deeper = _walk(inside, skip, descending)
            if isinstance(deeper, int):
                return []  # the levels disagree; rebuild_counters repairs them
            unit, skip = deeper
        second, block, _ = unit
        raw = repository.page_rows(
            session,
            message_id=message_id,
            kind=kind,
            second=second,
            block=block,
            skip=skip,
            bound=lo if descending else hi,
            count=count,
            descending=descending,
        )
        return [
            ReportRow(id=i, contact_id=c, contact_email=e, occurred_s=s, send_s=f) for i, c, e, s, f in raw
        ]
    return []
