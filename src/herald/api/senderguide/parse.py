"""Wire to command for the SenderGuide interaction-data report, with the vendor's error texts.

The checks run in a fixed order and the first failure is the answer (NOTES.md: one problem per response),
except that all missing keys are named together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from herald.interactions.schemas import ReportQuery
from herald.interactions.types import ALL_TYPES, InteractionType
from herald.types import parse_integer

REQUIRED_KEYS = ("interactionType", "fromDate", "toDate", "order")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MAX_PAGE = 10**12


@dataclass(frozen=True)
class ReportRequest:
    """A report request as the vendor's client sends it: a numbered page of one type between two days."""

    interaction_type: InteractionType
    from_date: date
    to_date: date
    page: int
    descending: bool

    def slice(self, page_size: int) -> ReportQuery:
        """The ledger's slice this page is: ``page_size`` rows after the earlier pages'."""
        return ReportQuery(
            interaction_type=self.interaction_type,
            from_date=self.from_date,
            to_date=self.to_date,
            skip=(self.page - 1) * page_size,
            count=page_size,
            descending=self.descending,
        )


class ReportRequestError(ValueError):
    """A malformed report request; ``status`` is the sentence the client sees."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


def _page_number(value: Any) -> int:
    if value is None:
        return 1
    if isinstance(value, bool):
        raise ReportRequestError("pageNumber is not numeric")
    if isinstance(value, float):
        if not value.is_integer():
            raise ReportRequestError("pageNumber must be a whole number")
        value = int(value)
    elif isinstance(value, str):
        parsed = parse_integer(value.strip())
        if parsed is None:
            raise ReportRequestError("pageNumber is not numeric")
        value = parsed
    elif not isinstance(value, int):
        raise ReportRequestError("pageNumber is not numeric")
    if value < 1:
        raise ReportRequestError("pageNumber must be 1 or more")
    return min(int(value), MAX_PAGE)


def _day(name: str, value: Any) -> date:
    if isinstance(value, str) and _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ReportRequestError(f"{name} is not a valid date (yyyy-mm-dd)")


def report_query(body: bytes) -> ReportRequest:
    """Parse and check a report request body; raises ReportRequestError with the vendor-style text."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ReportRequestError("request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ReportRequestError("request body is not valid JSON")
    missing = [key for key in REQUIRED_KEYS if data.get(key) is None or data.get(key) == ""]
    if missing:
        raise ReportRequestError(", ".join(f"{key} is required" for key in missing))
    page = _page_number(data.get("pageNumber"))
    from_date = _day("fromDate", data["fromDate"])
    to_date = _day("toDate", data["toDate"])
    order = data["order"]
    if not isinstance(order, str) or order.strip().lower() not in ("asc", "desc"):
        raise ReportRequestError('order must be "asc" or "desc"')
    kind = data["interactionType"]
    if not isinstance(kind, str) or kind.strip().lower() not in ALL_TYPES:
        raise ReportRequestError(f"interactionType is not valid; valid values: {', '.join(ALL_TYPES)}")
    if from_date > to_date:
        raise ReportRequestError("fromDate is after toDate")
    return ReportRequest(
        interaction_type=InteractionType(kind.strip().lower()),
        from_date=from_date,
        to_date=to_date,
        page=page,
        descending=order.strip().lower() == "desc",
    )
