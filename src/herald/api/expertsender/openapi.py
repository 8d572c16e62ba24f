"""The ExpertSender dialect in Herald's OpenAPI document: its two paths, the ``apiKey`` query parameter, and
XML examples rendered by the dialect's own renderer (so they cannot drift from what it sends)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from herald.api.expertsender import render
from herald.api.expertsender.views import SmsMessageDetail, SmsMessageSummary
from herald.messages.schemas import (
    GoogleAnalyticsTag,
    MessageStatus,
    MessageType,
    NamedTarget,
    ThrottlingMethod,
)
from herald.types import Channel

TAG = "ExpertSender (XML)"
XML = "text/xml"
SECURITY: list[dict[str, list[str]]] = [{"ExpertSenderApiKey": []}]

_SUMMARY = SmsMessageSummary(
    id=893,
    channel=Channel.SMS,
    type=MessageType.NEWSLETTER,
    sent_at=datetime(2016, 5, 21, 14, 9, 15, tzinfo=UTC),
    tags=("sports",),
    sender="SmsApiTest",
    campaign_description="test newsletter 2",
    subject=None,
)
_DETAIL = SmsMessageDetail(
    **{field: getattr(_SUMMARY, field) for field in SmsMessageSummary.__dataclass_fields__},
    throttling_method=ThrottlingMethod.MANUAL,
    throttling_hours=1,
    google_analytics_tags=(GoogleAnalyticsTag(name="utm_source", value="sms"),),
    lists=(NamedTarget(id=2, name="Newsletter"),),
    segments=(),
    excluded_lists=(NamedTarget(id=3293, name="Unsubscribed elsewhere"),),
    excluded_segments=(),
    status=MessageStatus.SENT,
)


def _xml(status: int, description: str, example: bytes) -> dict[str, Any]:
    return {
        "description": description,
        "content": {XML: {"schema": {"type": "string", "format": "xml"}, "example": example.decode()}},
    }


def _errors() -> dict[str, Any]:
    return {
        "400": _xml(400, "A bad parameter", render.error(400, "Invalid startDate '2016-13-01': ...")),
        "403": _xml(403, "A missing or wrong apiKey", render.error(403, "Invalid API key.")),
        "404": _xml(
            404, "No such SMS/MMS message of the account", render.error(404, "SMS/MMS message 7 not found")
        ),
        "405": _xml(
            405,
            "Another method than GET or HEAD",
            render.error(405, "Method POST is not allowed here; use GET."),
        ),
        "500": _xml(
            500,
            "Logged; never a stack trace",
            render.error(500, "Internal server error. The error has been logged."),
        ),
    }


def _date(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": "Whole days in the account's time zone, `YYYY-MM-DD`; empty is the same as absent "
        "(ASP.NET's binding).",
        "schema": {"type": "string", "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$", "example": "2016-05-20"},
    }


DOCUMENT: dict[str, Any] = {
    "tags": [
        {
            "name": TAG,
            "description": "ExpertSender's SMS/MMS messages API, in XML. Paths match ignoring case, with or "
            "without `/v2` and a trailing slash; query parameter names ignore case too.",
        }
    ],
    "paths": {
        "/v2/Api/SmsMmsMessages": {
            "get": {
                "tags": [TAG],
                "summary": "List SMS/MMS messages",
                "operationId": "expertsender_list_messages",
                "security": SECURITY,
                "parameters": [
                    {"name": "tag", "in": "query", "required": False, "schema": {"type": "string"}},
                    _date("startDate"),
                    _date("endDate"),
                    {
                        "name": "type",
                        "in": "query",
                        "required": False,
                        "description": "`Newsletter` or `WorkflowMessage`, any letter case.",
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": _xml(
                        200,
                        "The messages (`<Messages />` when none)",
                        render.message_list([_SUMMARY], timezone="UTC"),
                    ),
                    **_errors(),
                },
            }
        },
        "/v2/Api/SmsMmsMessages/{id}": {
            "get": {
                "tags": [TAG],
                "summary": "Get one SMS/MMS message",
                "operationId": "expertsender_get_message",
                "security": SECURITY,
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "description": "The message id; anything but an integer is a 400.",
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": _xml(200, "The message", render.message_detail(_DETAIL, timezone="UTC")),
                    **_errors(),
                },
            }
        },
    },
    "components": {
        "securitySchemes": {
            "ExpertSenderApiKey": {"type": "apiKey", "in": "query", "name": "apiKey"},
        }
    },
}
