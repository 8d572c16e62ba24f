"""Vocabulary every domain shares, defined once: message channels, the range of row ids, and batching."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BeforeValidator

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


_ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")
# Beyond this many digits a number saturates: no id, page or count Herald keeps comes close, and Python
# refuses to convert strings of more than 4,300 digits at all.
MAX_INTEGER_DIGITS = 18


def parse_integer(text: str) -> int | None:
    """The integer an optionally signed run of ASCII digits spells; None for anything else (other
    scripts' digits, such as superscript two or Arabic-Indic one, included). A run longer than
    ``MAX_INTEGER_DIGITS`` saturates at ±10**18, so an over-long number is simply too large, never an
    error."""
    if not _ASCII_INTEGER.fullmatch(text):
        return None
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > MAX_INTEGER_DIGITS:
        limit: int = 10**MAX_INTEGER_DIGITS
        return -limit if text.startswith("-") else limit
    return int(text)


def _not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    return value


# Put last in an integer's ``Annotated[int, Field(...), NOT_A_BOOLEAN]``: ``true``/``false`` is refused
# instead of read as 1/0, as pydantic's lax mode would (last, so the constraints stay in the JSON schema).
NOT_A_BOOLEAN = BeforeValidator(_not_a_boolean)


def is_possible_id(value: int) -> bool:
    """Whether ``value`` can be a row id at all (larger numbers would overflow PostgreSQL's integer)."""
    return 1 <= value <= MAX_ID


def chunked(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``values`` in consecutive slices of at most ``size``: one statement's worth of ids each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
