"""Cursor pagination for native list endpoints: opaque cursors over an increasing integer key.

Pages are addressed by "rows after key K", never by offset, so that rows added while a client pages are
neither skipped nor repeated.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Annotated, Generic, TypeVar

import orjson
from fastapi import Query
from pydantic import BaseModel, Field

from herald.errors import FieldProblem, InvalidInput

T = TypeVar("T")
R = TypeVar("R")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page (1 to 1000).")]
Cursor = Annotated[
    str | None, Query(description="The `next_cursor` of the previous page; omit for the first page.")
]


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; absent on the last page."
    )


def encode_cursor(after: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"after": after})).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The key a cursor resumes after; a malformed cursor is a 400 naming the parameter."""
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
        after = value["after"]
        if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after < 2**63:
            raise ValueError("bad cursor")
    except (binascii.Error, ValueError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
        raise InvalidInput(
            "cursor is not valid", problems=[FieldProblem("cursor", "not a cursor from this API")]
        ) from exc
    return after


def page_of(rows: Sequence[T], *, limit: int, key: Callable[[T], int], view: Callable[[T], R]) -> Page[R]:
    """Build a page from ``limit + 1`` fetched rows: the extra row only says that another page exists."""
    more = len(rows) > limit
    shown = rows[:limit]
    next_cursor = encode_cursor(key(shown[-1])) if more and shown else None
    return Page[R](data=[view(row) for row in shown], next_cursor=next_cursor)
