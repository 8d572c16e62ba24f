"""View to bytes for the SenderGuide dialect: the report page and the error envelope."""

from __future__ import annotations

import time
from datetime import datetime

import orjson

from herald.interactions.records import ReportSlice
from herald.timezones import zone

JSON = "application/json"


def local_time(epoch_s: int, timezone: str) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in the account's zone, as SenderGuide shows dates."""
    if timezone == "UTC":
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch_s))
    return datetime.fromtimestamp(epoch_s, zone(timezone)).strftime("%Y-%m-%d %H:%M:%S")


def report_page(rows: ReportSlice, *, message_id: int, page: int, page_size: int) -> bytes:
    """Page ``page`` of the report: its rows and the totals of the whole range."""
    tz = rows.timezone
    kind = rows.interaction_type
    data = [
        {
            "contact_id": row.contact_id,
            "contact_email": row.contact_email or "",
            "send_date": local_time(row.send_s, tz) if row.send_s is not None else None,
            "interaction_type": kind,
            "interaction_date": local_time(row.occurred_s, tz),
            "message_id": message_id,
            "page_number": page,
        }
        for row in rows.rows
    ]
    return orjson.dumps(
        {
            "result": "success",
            "page_size": page_size,
            "total_pages": -(-rows.total_rows // page_size),
            "total_rows": rows.total_rows,
            "data": data,
        }
    )


def report_error(code: int, status: str) -> bytes:
    """The 3.0 envelope: ``{"result":"error","status":"<what is wrong>","code":400}``."""
    return orjson.dumps({"result": "error", "status": status, "code": code})
