"""The OpenAPI document tells the truth: every reference resolves, every error answer is declared in the
shape it is sent, the methods of a path are all named, and the vendor dialects are described too."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import TenantKey


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_every_reference_in_the_document_resolves(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for ref in _refs(document):
        assert ref.startswith("#/"), ref
        target: Any = document
        for part in ref[2:].split("/"):
            assert part in target, f"{ref} does not resolve"
            target = target[part]
    assert "InteractionIn" in document["components"]["schemas"]


def test_every_native_operation_declares_its_problems(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for path, item in document["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in item.items():
            responses = operation["responses"]
            assert "application/problem+json" in responses["default"]["content"], (method, path)
            if "422" in responses:
                assert list(responses["422"]["content"]) == ["application/problem+json"], (method, path)


def test_the_vendor_endpoints_are_described_under_their_dialects(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    report = document["paths"]["/api/3.0/messages/interaction-data/{messageId}"]["post"]
    assert report["tags"] == ["SenderGuide: interaction data (3.0)"]
    assert report["security"] == [{"SenderGuideBasic": []}]
    listing = document["paths"]["/v2/Api/SmsMmsMessages"]["get"]["responses"]["200"]["content"]["text/xml"]
    assert listing["example"].startswith("<ApiResponse")
    assert {"SenderGuideBasic", "ExpertSenderApiKey"} <= set(document["components"]["securitySchemes"])
    assert "/api/2.0/production/sms/webhooks/{webhook_id}" in document["paths"]


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/v1/lists/1", "GET, PATCH, DELETE, OPTIONS"),
        ("/v1/contacts/import", "POST, OPTIONS"),
        ("/v1/webhooks", "GET, POST, OPTIONS"),
    ],
)
def test_options_and_405_name_every_method_of_the_path(
    client: TestClient, tenant: TenantKey, path: str, methods: str
) -> None:
    options = client.options(path)
    assert (options.status_code, options.headers["allow"]) == (204, methods)
    wrong = client.put(path, json={}, headers=tenant.bearer)
    assert wrong.status_code == 405, wrong.text
    assert wrong.headers["allow"] == methods
    assert wrong.headers["content-type"] == "application/problem+json"


def test_an_id_that_is_not_a_number_is_not_found(client: TestClient, tenant: TenantKey) -> None:
    for path in ("/v1/contacts/abc", "/v1/lists/%C2%B2", "/v1/messages/-1"):
        response = client.get(path, headers=tenant.bearer)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("value", [False, True])
def test_a_boolean_is_not_a_number_of_seconds(client: TestClient, tenant: TenantKey, value: bool) -> None:
    created = client.post(
        "/v1/webhooks",
        json={"url": "https://hooks.example.com/h", "event_types": ["sends"]},
        headers=tenant.bearer,
    )
    assert created.status_code == 201, created.text
    rotated = client.post(
        f"/v1/webhooks/{created.json()['id']}/rotate-secret",
        json={"grace_seconds": value},
        headers=tenant.bearer,
    )
    assert rotated.status_code == 422, rotated.text
