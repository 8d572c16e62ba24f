"""Whole days of an account's time zone as epoch-second ranges (reports and filters count in days)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The zone named; UTC for a name this machine does not know (accounts are checked when created)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def midnight_s(day: date, timezone: str) -> int:
    return int(datetime.combine(day, time(), tzinfo=zone(timezone)).timestamp())


def day_window(start: date | None, end: date | None, timezone: str) -> tuple[int | None, int | None]:
    """Epoch seconds ``[from, to)`` covering the whole days ``start`` to ``end`` (inclusive) in ``timezone``.

    A missing bound stays open (None).
    """
    from_s = midnight_s(start, timezone) if start is not None else None
    to_s = None
    if end is not None and end < date.max:
        to_s = midnight_s(end + timedelta(days=1), timezone)
    return from_s, to_s
