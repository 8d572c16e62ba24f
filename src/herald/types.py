"""Vocabulary every domain shares, defined once: message channels, the range of row ids, and batching."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")

# The largest id a row of an ``INTEGER`` primary key can have on PostgreSQL: a larger number in a path or
# a filter can be no row's id, and must be "not found" rather than an overflow.
MAX_ID = 2**31 - 1


class Channel(StrEnum):
    """How a message reaches its recipients."""

    EMAIL = "email"
    SMS = "sms"
    MMS = "mms"


TEXT_CHANNELS = (Channel.SMS, Channel.MMS)


def is_possible_id(value: int) -> bool:
    """Whether ``value`` can be a row id at all (larger numbers would overflow PostgreSQL's integer)."""
    return 1 <= value <= MAX_ID


def chunked(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``values`` in consecutive slices of at most ``size``: one statement's worth of ids each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
