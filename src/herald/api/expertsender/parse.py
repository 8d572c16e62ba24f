"""ExpertSender requests → Herald commands, with the vendor's binding rules and Herald's error texts.

ASP.NET binds query parameters by name ignoring case, ignores unknown ones, takes the first of repeated
ones, and treats an empty value as absent; so does this module. Each function raises ``InvalidInput``
with the text the client will read in ``ErrorMessage/Message``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from urllib.parse import unquote_to_bytes

from herald.api.expertsender import codes
from herald.api.expertsender.views import SmsMessageQuery
from herald.errors import InvalidInput
from herald.types import MAX_ID, parse_integer

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_SHOWN = 60  # characters of a bad value echoed back in an error text


def _shown(value: str) -> str:
    return value if len(value) <= _SHOWN else value[:_SHOWN] + "..."


def _decoded(part: bytes) -> str:
    return unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8", errors="replace")


def query_params(raw: bytes) -> dict[str, str]:
    """Parameters by lower-cased name; the first non-empty occurrence of a name wins."""
    params: dict[str, str] = {}
    # Parsed as bytes, so that raw UTF-8 and percent-escapes decode alike; bad UTF-8 becomes U+FFFD.
    for pair in raw.split(b"&"):
        raw_name, _, raw_value = pair.partition(b"=")
        name = _decoded(raw_name).lower()
        value = _decoded(raw_value)
        if value and name not in params:
            params[name] = value
    return params


def api_key(params: Mapping[str, str]) -> str | None:
    return params.get("apikey")


def _date(params: Mapping[str, str], name: str) -> date | None:
    value = params.get(name.lower())
    if value is None:
        return None
    if not _DATE.fullmatch(value):
        raise InvalidInput(f"Invalid {name} '{_shown(value)}': expected a date in YYYY-MM-DD format.")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            f"Invalid {name} '{_shown(value)}': not a real date (expected YYYY-MM-DD)."
        ) from exc


def list_query(params: Mapping[str, str], *, timezone: str) -> SmsMessageQuery:
    """``GET SmsMmsMessages``: tag, startDate, endDate (inclusive days in ``timezone``) and type."""
    start = _date(params, "startDate")
    end = _date(params, "endDate")
    raw_type = params.get("type")
    message_type = None
    if raw_type is not None:
        message_type = codes.MESSAGE_TYPE_FROM_VENDOR.get(raw_type.strip().lower())
        if message_type is None:
            valid = ", ".join(codes.MESSAGE_TYPE_TO_VENDOR.values())
            raise InvalidInput(f"Invalid type '{_shown(raw_type)}': valid values are {valid}.")
    if start is not None and end is not None and start > end:
        raise InvalidInput(f"startDate {start.isoformat()} is after endDate {end.isoformat()}.")
    return SmsMessageQuery(
        timezone=timezone, tag=params.get("tag"), type=message_type, start_date=start, end_date=end
    )


def message_id(segment: str) -> int | None:
    """The id in ``SmsMmsMessages/{id}``; None for an integer no message can have (answered 404).

    Anything but an optionally signed run of ASCII digits is a 400.
    """
    value = parse_integer(segment)
    if value is None:
        raise InvalidInput(f"Invalid message ID '{_shown(segment)}': expected an integer.")
    return value if 1 <= value <= MAX_ID else None
