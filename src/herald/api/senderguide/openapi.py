"""The SenderGuide dialect in Herald's OpenAPI document: the 3.0 interaction-data report and the 2.0 SMS
webhooks, with Basic auth (the API key as the password), their real request and answer shapes, and
examples rendered by the dialect's own renderers.

Request schemas say what the endpoints *accept*: the vendor reads words in any letter case and ignores
keys it does not know, so words are strings (their values named in the descriptions), not enums.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from herald.api.senderguide import render, webhook_wire
from herald.api.senderguide.codes import EVENT_TYPES
from herald.errors import FieldProblem, InvalidInput
from herald.interactions.records import ReportRow, ReportSlice
from herald.webhooks.schemas import EndpointView

REPORT_TAG = "SenderGuide: interaction data (3.0)"
WEBHOOKS_TAG = "SenderGuide: SMS webhooks (2.0)"
JSON = "application/json"
SECURITY: list[dict[str, list[str]]] = [{"SenderGuideBasic": []}]
SMS_WEBHOOKS = "/api/2.0/production/sms/webhooks"

_SENT = int(datetime(2023, 5, 15, 20, 4, 59, tzinfo=UTC).timestamp())
_PAGE = ReportSlice(
    rows=[ReportRow(id=1, contact_id=1, contact_email="ada@example.com", occurred_s=_SENT, send_s=_SENT)],
    interaction_type="sends",
    total_rows=1,
    timezone="UTC",
)
_WEBHOOK = EndpointView(
    id=1,
    public_id="6f1c2f0e-8a55-4c8e-9a43-3f0de1b2c7aa",
    dialect="senderguide",
    url="https://hooks.example.com/sms",
    verb="POST",
    event_types=["deliveries", "replies"],
    description=None,
    auth_username="hooks",
    has_password=True,
    status="enabled",
    disabled_reason=None,
    failing_since=None,
    created_at=datetime(2023, 9, 9, 17, 31, 43, tzinfo=UTC),
    updated_at=datetime(2023, 9, 9, 17, 31, 43, tzinfo=UTC),
)


def _json(description: str, example: bytes, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "description": description,
        "content": {JSON: {"schema": schema or {}, "example": orjson.loads(example)}},
    }


_REPORT_ERROR = {
    "type": "object",
    "required": ["result", "status", "code"],
    "properties": {
        "result": {"const": "error"},
        "status": {"type": "string", "description": "What is wrong, in one sentence."},
        "code": {"type": "integer"},
    },
}
_REPORT_PAGE = {
    "type": "object",
    "required": ["result", "page_size", "total_pages", "total_rows", "data"],
    "properties": {
        "result": {"const": "success"},
        "page_size": {"type": "integer"},
        "total_pages": {"type": "integer"},
        "total_rows": {"type": "integer"},
        "data": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "contact_id": {"type": "integer"},
                    "contact_email": {"type": "string"},
                    "send_date": {"type": ["string", "null"], "description": "`YYYY-MM-DD HH:MM:SS`"},
                    "interaction_type": {"type": "string"},
                    "interaction_date": {"type": "string", "description": "`YYYY-MM-DD HH:MM:SS`"},
                    "message_id": {"type": "integer"},
                    "page_number": {"type": "integer"},
                },
            },
        },
    },
}
_DAY = {"type": "string", "minLength": 1, "description": "`yyyy-mm-dd`, a day of the account's time zone"}
_WORD = {"type": "string", "minLength": 1}
_REPORT_QUERY = {
    "type": "object",
    "required": ["interactionType", "fromDate", "toDate", "order"],
    "properties": {
        "interactionType": {
            **_WORD,
            "description": "sends, deliveries, opens, clicks, bounces, unsubscribes, complaints, failures or "
            "replies, any letter case",
        },
        "fromDate": _DAY,
        "toDate": _DAY,
        "pageNumber": {
            "description": "From 1; 100 rows a page. An integer, or a string of digits.",
            "oneOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}],
        },
        "order": {**_WORD, "description": "`asc` or `desc`, any letter case"},
    },
    "example": {
        "interactionType": "sends",
        "fromDate": "1972-01-01",
        "toDate": "2023-12-31",
        "pageNumber": 1,
        "order": "asc",
    },
}
_WEBHOOK_BODY = {
    "type": "object",
    "required": ["webhook"],
    "properties": {
        "webhook": {
            "type": "object",
            "properties": {
                "event_types": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": f"Any of {', '.join(EVENT_TYPES)}, any letter case.",
                },
                "url": {"type": "string", "description": "An absolute http(s) URL of a public host."},
                "verb": {"type": "string", "description": "`post` or `get`, any letter case."},
                "status": {"type": "string", "description": "`enabled` or `disabled`."},
                "auth_type": {"type": ["string", "null"], "description": "`basic`, or null for none."},
                "auth_details": {
                    "type": ["object", "null"],
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
                },
            },
        }
    },
    "example": {
        "webhook": {
            "event_types": ["delivered", "reply"],
            "url": "https://hooks.example.com/sms",
            "verb": "post",
            "auth_type": "basic",
            "auth_details": {"username": "hooks", "password": "s3cret"},
        }
    },
}
_WEBHOOK_ERROR: dict[str, Any] = {
    "type": "object",
    "properties": {"status": {"const": "error"}, "message": {"type": "string"}},
}
_WEBHOOK_INVALID: dict[str, Any] = {
    "type": "object",
    "properties": {**_WEBHOOK_ERROR["properties"], "errors": {"type": "object"}},
}


def _webhook_errors(*statuses: int) -> dict[str, Any]:
    answers = {
        400: _json(
            "A field is wrong (each named under `errors`)",
            webhook_wire.render_invalid(_invalid_example()),
            _WEBHOOK_INVALID,
        ),
        401: _json("Missing or wrong credentials", b'"Invalid credentials."', {"type": "string"}),
        404: _json("No such webhook of the account", webhook_wire.render_not_found(), _WEBHOOK_ERROR),
    }
    return {str(status): answers[status] for status in statuses} | {
        "default": _json(
            "Another error, in the same envelope", b'{"status":"error","message":"not found"}', _WEBHOOK_ERROR
        )
    }


def _invalid_example() -> InvalidInput:
    return InvalidInput(
        "url: must be an absolute http or https URL",
        problems=[FieldProblem("url", "must be an absolute http or https URL")],
    )


def _webhook_operation(
    summary: str,
    operation_id: str,
    answer: dict[str, Any],
    *,
    body: bool = False,
    path_id: bool = True,
    errors: tuple[int, ...] = (401, 404),
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "tags": [WEBHOOKS_TAG],
        "summary": summary,
        "operationId": operation_id,
        "security": SECURITY,
        "responses": {"200": answer, **_webhook_errors(*errors)},
    }
    if path_id:
        operation["parameters"] = [
            {
                "name": "webhook_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "description": "The webhook's UUID.",
            }
        ]
    if body:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": _WEBHOOK_BODY}}}
    return operation


_ONE = _json("The webhook", webhook_wire.render_webhook(_WEBHOOK, "UTC"), {"type": "object"})
_MANY = _json(
    "The account's SenderGuide webhooks", webhook_wire.render_webhooks([_WEBHOOK], "UTC"), {"type": "object"}
)
_DELETED = _json("Deleted", webhook_wire.render_deleted(), {"type": "object"})

_REPORT_ANSWERS = {
    "200": _json(
        "The page, and the totals of the whole range",
        render.report_page(_PAGE, message_id=1, page=1, page_size=100),
        _REPORT_PAGE,
    ),
    "default": _json(
        "An error: 400 a bad body, 401 bad credentials, 404 no such message of the account",
        render.report_error(400, 'order must be "asc" or "desc"'),
        _REPORT_ERROR,
    ),
}
_MESSAGE_ID = {
    "name": "messageId",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The message id (ASCII digits; anything else is a 404).",
}
_CHANGE: dict[str, Any] = {"body": True, "errors": (400, 401, 404)}

DOCUMENT: dict[str, Any] = {
    "tags": [
        {"name": REPORT_TAG, "description": "Everlytic's interaction-data report (docs/senderguide.md)."},
        {"name": WEBHOOKS_TAG, "description": "Everlytic's SMS webhooks (docs/senderguide.md)."},
    ],
    "paths": {
        "/api/3.0/messages/interaction-data/{messageId}": {
            "post": {
                "tags": [REPORT_TAG],
                "summary": "A page of a message's interactions of one type",
                "operationId": "senderguide_interaction_data",
                "security": SECURITY,
                "parameters": [_MESSAGE_ID],
                "requestBody": {"required": True, "content": {JSON: {"schema": _REPORT_QUERY}}},
                "responses": _REPORT_ANSWERS,
            }
        },
        SMS_WEBHOOKS: {
            "get": _webhook_operation(
                "List the SMS webhooks", "senderguide_list_webhooks", _MANY, path_id=False, errors=(401,)
            ),
        },
        f"{SMS_WEBHOOKS}/create": {
            "post": _webhook_operation(
                "Create an SMS webhook",
                "senderguide_create_webhook",
                _ONE,
                body=True,
                path_id=False,
                errors=(400, 401),
            ),
        },
        f"{SMS_WEBHOOKS}/{{webhook_id}}": {
            "get": _webhook_operation("Get an SMS webhook", "senderguide_get_webhook", _ONE),
            "put": _webhook_operation(
                "Change an SMS webhook (the fields given)", "senderguide_update_webhook", _ONE, **_CHANGE
            ),
            "delete": _webhook_operation("Delete an SMS webhook", "senderguide_delete_webhook", _DELETED),
        },
        f"{SMS_WEBHOOKS}/{{webhook_id}}/update": {
            "post": _webhook_operation(
                "Change an SMS webhook (POST alias)", "senderguide_update_webhook_post", _ONE, **_CHANGE
            ),
        },
        f"{SMS_WEBHOOKS}/{{webhook_id}}/delete": {
            "post": _webhook_operation(
                "Delete an SMS webhook (POST alias)", "senderguide_delete_webhook_post", _DELETED
            ),
        },
    },
    "components": {
        "securitySchemes": {
            "SenderGuideBasic": {
                "type": "http",
                "scheme": "basic",
                "description": "Any username; the API key is the password.",
            }
        }
    },
}
