"""The native contacts API: create, read, update, delete, list with filters, across tenants."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import TenantKey

from herald.api.native.pagination import encode_cursor


def _create(client: TestClient, tenant: TenantKey, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/contacts", json=body, headers=tenant.bearer)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _all_pages(client: TestClient, tenant: TenantKey, path: str, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = dict(params) | ({"cursor": cursor} if cursor else {})
        response = client.get(path, params=query, headers=tenant.bearer)
        assert response.status_code == 200, response.text
        page = response.json()
        rows.extend(page["data"])
        cursor = page.get("next_cursor")
        if not cursor:
            return rows


def test_created_contact_is_answered_with_its_id_and_normalised_email(
    client: TestClient, tenant: TenantKey
) -> None:
    contact = _create(
        client,
        tenant,
        email=" Ada.Lovelace@Example.COM ",
        phone="+14155550123",
        attributes={"city": "London"},
    )
    assert isinstance(contact["id"], int)
    assert contact["email"] == "ada.lovelace@example.com"
    assert contact["phone"] == "+14155550123"
    assert contact["attributes"] == {"city": "London"}
    fetched = client.get(f"/v1/contacts/{contact['id']}", headers=tenant.bearer)
    assert fetched.status_code == 200
    assert fetched.json() == contact


def test_contact_keeps_typed_scalar_attributes_and_drops_nulls(client: TestClient, tenant: TenantKey) -> None:
    attributes = {"name": "Ada", "age": 36, "score": 9.5, "vip": True, "gone": None}
    contact = _create(client, tenant, email="ada@example.com", attributes=attributes)
    assert contact["attributes"] == {"name": "Ada", "age": 36, "score": 9.5, "vip": True}


def test_contact_with_only_a_phone_is_created(client: TestClient, tenant: TenantKey) -> None:
    contact = _create(client, tenant, phone="+447700900123")
    assert (contact["email"], contact["phone"], contact["attributes"]) == (None, "+447700900123", {})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"attributes": {"a": 1}}, "body"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "ada@"}, "email"),
        ({"phone": "4155550123"}, "phone"),
        ({"phone": "+0123456"}, "phone"),
        ({"phone": "+1234567890123456"}, "phone"),
        ({"email": "a@example.com", "attributes": {"nested": {"a": 1}}}, "attributes.nested"),
        ({"email": "a@example.com", "attributes": {"list": [1, 2]}}, "attributes.list"),
        ({"email": "a@example.com", "attributes": {"big": 2**60}}, "attributes.big"),
        ({"email": "a@example.com", "attributes": {'bad"key': 1}}, 'attributes.bad"key'),
        ({"email": "a@example.com", "unknown": 1}, "unknown"),
    ],
)
def test_invalid_contact_is_refused_naming_the_field(
    client: TestClient, tenant: TenantKey, body: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/contacts", json=body, headers=tenant.bearer)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    fields = [error["field"] for error in response.json()["errors"]]
    assert any(f == field or f.startswith(field + ".") for f in fields), fields


def test_contact_with_duplicate_email_is_a_conflict(client: TestClient, tenant: TenantKey) -> None:
    first = _create(client, tenant, email="ada@example.com")
    response = client.post("/v1/contacts", json={"email": "ADA@example.com"}, headers=tenant.bearer)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "conflict"
    assert problem["errors"] == [{"field": "email", "reason": f"taken by contact {first['id']}"}]


def test_contact_with_duplicate_phone_is_a_conflict(client: TestClient, tenant: TenantKey) -> None:
    _create(client, tenant, phone="+14155550123")
    response = client.post(
        "/v1/contacts", json={"email": "b@example.com", "phone": "+14155550123"}, headers=tenant.bearer
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "phone"


def test_same_email_in_two_accounts_is_no_conflict(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    _create(client, tenant, email="ada@example.com")
    _create(client, other_tenant, email="ada@example.com")


def test_another_accounts_contact_is_not_found(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    contact = _create(client, tenant, email="ada@example.com")
    path = f"/v1/contacts/{contact['id']}"
    assert client.get(path, headers=other_tenant.bearer).status_code == 404
    assert client.patch(path, json={"attributes": {"a": 1}}, headers=other_tenant.bearer).status_code == 404
    assert client.delete(path, headers=other_tenant.bearer).status_code == 404
    assert client.get(path, headers=tenant.bearer).json() == contact


def test_contacts_need_an_api_key(client: TestClient) -> None:
    response = client.get("/v1/contacts")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_patch_replaces_given_fields_and_merges_attributes(client: TestClient, tenant: TenantKey) -> None:
    contact = _create(
        client, tenant, email="ada@example.com", attributes={"city": "London", "vip": True, "age": 36}
    )
    response = client.patch(
        f"/v1/contacts/{contact['id']}",
        json={"phone": "+14155550123", "attributes": {"city": "Paris", "vip": None, "lang": "fr"}},
        headers=tenant.bearer,
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["email"] == "ada@example.com"
    assert updated["phone"] == "+14155550123"
    assert updated["attributes"] == {"city": "Paris", "age": 36, "lang": "fr"}
    assert updated["updated_at"] >= contact["updated_at"]


def test_patch_with_null_email_removes_it_but_keeps_a_way_to_reach(
    client: TestClient, tenant: TenantKey
) -> None:
    contact = _create(client, tenant, email="ada@example.com", phone="+14155550123")
    path = f"/v1/contacts/{contact['id']}"
    response = client.patch(path, json={"email": None}, headers=tenant.bearer)
    assert response.status_code == 200
    assert response.json()["email"] is None
    refused = client.patch(path, json={"phone": None}, headers=tenant.bearer)
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_input"


def test_patch_to_an_email_another_contact_has_is_a_conflict(client: TestClient, tenant: TenantKey) -> None:
    _create(client, tenant, email="ada@example.com")
    other = _create(client, tenant, email="bob@example.com")
    response = client.patch(
        f"/v1/contacts/{other['id']}", json={"email": "ada@example.com"}, headers=tenant.bearer
    )
    assert response.status_code == 409


def test_deleted_contact_is_gone(client: TestClient, tenant: TenantKey) -> None:
    contact = _create(client, tenant, email="ada@example.com")
    assert client.delete(f"/v1/contacts/{contact['id']}", headers=tenant.bearer).status_code == 204
    assert client.get(f"/v1/contacts/{contact['id']}", headers=tenant.bearer).status_code == 404
    assert client.delete(f"/v1/contacts/{contact['id']}", headers=tenant.bearer).status_code == 404


def test_contact_pages_never_repeat_or_skip(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    ids = [_create(client, tenant, email=f"user{i}@example.com")["id"] for i in range(7)]
    _create(client, other_tenant, email="someone@example.com")
    first = client.get("/v1/contacts", params={"limit": 3}, headers=tenant.bearer).json()
    assert [c["id"] for c in first["data"]] == ids[:3]
    # a contact added while paging appears on a later page, exactly once
    ids.append(_create(client, tenant, email="late@example.com")["id"])
    seen = [c["id"] for c in first["data"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get("/v1/contacts", params={"limit": 3, "cursor": cursor}, headers=tenant.bearer).json()
        seen += [c["id"] for c in page["data"]]
        cursor = page.get("next_cursor")
    assert seen == ids


def test_contacts_filter_by_email_phone_and_list(client: TestClient, tenant: TenantKey) -> None:
    ada = _create(client, tenant, email="ada@example.com", phone="+14155550123")
    bob = _create(client, tenant, email="bob@example.com")
    newsletter = client.post("/v1/lists", json={"name": "Newsletter"}, headers=tenant.bearer).json()
    client.post(
        f"/v1/lists/{newsletter['id']}/members", json={"contact_ids": [bob["id"]]}, headers=tenant.bearer
    )

    assert [c["id"] for c in _all_pages(client, tenant, "/v1/contacts", email="ADA@example.com")] == [
        ada["id"]
    ]
    assert [c["id"] for c in _all_pages(client, tenant, "/v1/contacts", phone="+14155550123")] == [ada["id"]]
    assert [c["id"] for c in _all_pages(client, tenant, "/v1/contacts", list_id=newsletter["id"])] == [
        bob["id"]
    ]
    assert _all_pages(client, tenant, "/v1/contacts", email="nobody@example.com") == []


def test_contacts_filter_by_another_accounts_list_is_refused(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    theirs = client.post("/v1/lists", json={"name": "Theirs"}, headers=other_tenant.bearer).json()
    response = client.get("/v1/contacts", params={"list_id": theirs["id"]}, headers=tenant.bearer)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "list_id"


def test_malformed_cursor_is_a_bad_request(client: TestClient, tenant: TenantKey) -> None:
    response = client.get("/v1/contacts", params={"cursor": "!!"}, headers=tenant.bearer)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "cursor"


def test_openapi_has_examples_for_contact_inputs(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in (
        "ContactCreate",
        "ContactPatch",
        "ListCreate",
        "MembersAdd",
        "SegmentCreate",
        "SuppressionCreate",
    ):
        assert schemas[name]["examples"], name


def test_ids_beyond_any_row_are_not_found_on_every_database(client: TestClient, tenant: TenantKey) -> None:
    huge = 10**12
    for path in (f"/v1/contacts/{huge}", f"/v1/lists/{huge}", f"/v1/segments/{huge}"):
        assert client.get(path, headers=tenant.bearer).status_code == 404, path
        assert client.delete(path, headers=tenant.bearer).status_code == 404, path
    assert client.delete(f"/v1/suppressions/{huge}", headers=tenant.bearer).status_code == 404
    for list_id in (huge, 2**65):  # 2**65: past what SQLite can bind
        assert (
            client.get("/v1/contacts", params={"list_id": list_id}, headers=tenant.bearer).status_code == 400
        )
    _create(client, tenant, email="ada@example.com")
    far = client.get("/v1/contacts", params={"cursor": encode_cursor(huge)}, headers=tenant.bearer)
    assert far.json() == {"data": [], "next_cursor": None}


def test_member_ids_beyond_any_row_are_refused(client: TestClient, tenant: TenantKey) -> None:
    newsletter = client.post("/v1/lists", json={"name": "Newsletter"}, headers=tenant.bearer).json()
    response = client.post(
        f"/v1/lists/{newsletter['id']}/members", json={"contact_ids": [10**12]}, headers=tenant.bearer
    )
    assert response.status_code == 422
