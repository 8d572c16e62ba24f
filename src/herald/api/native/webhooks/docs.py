"""What Herald sends to webhook URLs, described in the OpenAPI document's ``webhooks`` section (OpenAPI
3.1), so client generators and the ``/docs`` page show the payloads beside the API that configures them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Header
from pydantic import BaseModel, ConfigDict, Field

SIGNATURE_HEADERS = """
Every request carries Standard Webhooks headers: `webhook-id` (`msg_<delivery id>`, the same on every
attempt: deduplicate on it), `webhook-timestamp` (Unix seconds) and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` with the webhook's `whsec_` secret; two
space-separated signatures during a secret rotation's grace period). Answer with any 2xx; anything else
is retried (410 disables the webhook). See docs/webhooks.md.
"""

_NATIVE_EXAMPLE: dict[str, Any] = {
    "type": "replies",
    "timestamp": "2026-03-01T16:45:31Z",
    "data": {
        "id": 1042,
        "message_id": 7,
        "contact_id": 31,
        "contact_email": None,
        "contact_phone": "+27792899967",
        "type": "replies",
        "channel": "sms",
        "occurred_at": "2026-03-01T16:45:31Z",
        "event_id": "gw-88121",
        "metadata": {"text": "STOP"},
        "recorded_at": "2026-03-01T16:45:32Z",
    },
}

_SENDERGUIDE_EXAMPLE: dict[str, Any] = {
    "id": "6f1c2f0e-8a55-4c8e-9a43-3f0de1b2c7aa",
    "type": "reply",
    "timestamp": "2026-03-01T18:45:31+02:00",
    "data": {
        "transaction": {
            "id": 1001,
            "custom_id": "",
            "campaign": {"name": "Spring sale"},
            "sent_timestamp": "2026-03-01T18:30:00+02:00",
            "recipient": {"mobile_number": "27792899967"},
            "message_id": 7,
            "contact_id": 31,
        },
        "reply": {"content": "STOP", "received_timestamp": "2026-03-01T18:45:31+02:00"},
    },
}


class InteractionData(BaseModel):
    id: int = Field(description="The ledger row's id (its ingest sequence).")
    message_id: int
    contact_id: int
    contact_email: str | None
    contact_phone: str | None
    type: str = Field(description="The ledger type: sends, deliveries, opens, clicks, bounces, ...")
    channel: str = Field(description="The message's channel: email, sms or mms.")
    occurred_at: str
    event_id: str | None
    metadata: dict[str, Any]
    recorded_at: str


class NativeEvent(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_NATIVE_EXAMPLE]})

    type: str = Field(description="The ledger type of the event, one the webhook subscribed to.")
    timestamp: str = Field(description="When the event occurred (UTC, RFC 3339).")
    data: InteractionData


class SenderGuideEvent(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_SENDERGUIDE_EXAMPLE]})

    id: str = Field(description="The webhook's id (not the event's).")
    type: str = Field(description="sent, delivered, failed, bounce or reply.")
    timestamp: str = Field(description="When the event occurred, with the account's UTC offset.")
    data: dict[str, Any] = Field(
        description="`transaction` always; `reply` on reply events; `bounce` on bounce events."
    )


WebhookId = Annotated[str, Header(alias="webhook-id", description="`msg_<delivery id>`; deduplicate on it.")]
WebhookTimestamp = Annotated[str, Header(alias="webhook-timestamp", description="Unix seconds.")]
WebhookSignature = Annotated[
    str, Header(alias="webhook-signature", description="`v1,<base64 signature>`, space-separated.")
]


def install(app: FastAPI) -> None:
    @app.webhooks.post(
        "interaction",
        summary="An event, to a webhook made with POST /v1/webhooks",
        description="Sent for every recorded interaction of a type the webhook subscribed to (any channel)."
        + SIGNATURE_HEADERS,
    )
    def interaction(  # pragma: no cover - documentation only
        event: NativeEvent,
        webhook_id: WebhookId,
        webhook_timestamp: WebhookTimestamp,
        webhook_signature: WebhookSignature,
    ) -> None:
        return None

    @app.webhooks.post(
        "senderguide-sms-event",
        summary="An SMS/MMS event, to a webhook made through the SenderGuide 2.0 API",
        description="The payload Everlytic documents. With verb GET the same fields arrive as query "
        "parameters, nested keys joined with dots (`data.transaction.id=1001`), and the signature covers "
        "that query string." + SIGNATURE_HEADERS,
    )
    def senderguide_sms_event(  # pragma: no cover - documentation only
        event: SenderGuideEvent,
        webhook_id: WebhookId,
        webhook_timestamp: WebhookTimestamp,
        webhook_signature: WebhookSignature,
    ) -> None:
        return None
