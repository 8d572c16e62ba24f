"""The OpenAPI document describes what Herald sends to webhook URLs, with examples."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_openapi_describes_both_webhook_payloads_with_their_signature_headers(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    schemas = spec["components"]["schemas"]
    for name, model in (("interaction", "NativeEvent"), ("senderguide-sms-event", "SenderGuideEvent")):
        operation = spec["webhooks"][name]["post"]
        assert [p["name"] for p in operation["parameters"]] == [
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
        ]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{model}"}
        assert schemas[model]["examples"], f"{model} has an example payload"
    assert schemas["SenderGuideEvent"]["examples"][0]["data"]["reply"]["content"] == "STOP"


def test_the_documented_payloads_have_the_shape_herald_sends() -> None:
    from datetime import UTC, datetime

    from herald.api.native.webhooks import payload as native_payload
    from herald.api.native.webhooks.docs import InteractionData, NativeEvent, SenderGuideEvent
    from herald.api.senderguide import webhook_payload as senderguide_payload
    from herald.webhooks import records

    facts = records.EventFacts(
        interaction_id=1042, type="replies", message_id=7, contact_id=31, contact_email=None,
        contact_phone="+27792899967", occurred_at=datetime(2026, 3, 1, 16, 45, 31, tzinfo=UTC),
        recorded_at=datetime(2026, 3, 1, 16, 45, 32, tzinfo=UTC), event_id="gw-88121",
        metadata={"text": "STOP"}, channel="sms", campaign_name="Spring sale", timezone="Africa/Johannesburg",
        send_id=1001, sent_at=datetime(2026, 3, 1, 16, 30, tzinfo=UTC),
    )  # fmt: skip
    native = native_payload.payload("", facts)
    assert native == NativeEvent.model_json_schema()["examples"][0]
    assert set(native["data"]) == set(InteractionData.model_fields)
    vendor = senderguide_payload.payload("6f1c2f0e-8a55-4c8e-9a43-3f0de1b2c7aa", facts)
    assert vendor == SenderGuideEvent.model_json_schema()["examples"][0]
