"""What every router of the native API shares: the OpenAPI entries of problem answers, and the identity
views and keys the paged contact listings use."""

from __future__ import annotations

from typing import Any

from herald.api.native.problems import PROBLEM_JSON
from herald.contacts.schemas import ContactView

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "error_count": {"type": "integer", "description": "Imports: how many problems in all"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": ["string", "null"], "description": "null: the whole row or body"},
                    "reason": {"type": "string"},
                    "row": {"type": "integer", "description": "Imports: the data row, from 1 (0: header)"},
                },
            },
        },
    },
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem+json answers an endpoint may give (shared by every router)."""
    descriptions = {
        400: "Invalid input (a problem naming the field)",
        404: "Not found, or another account's",
        409: "Conflict with an existing row",
        413: "Body too large",
        415: "Unsupported Content-Type",
        422: "The request does not match the schema",
    }
    return {
        status: {
            "description": descriptions[status],
            "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
        }
        for status in statuses
    }


def contact_view(view: ContactView) -> ContactView:
    return view


def contact_key(view: ContactView) -> int:
    return view.id
