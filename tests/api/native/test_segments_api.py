"""The native segments API: validation of definitions, CRUD, and the contacts a segment matches now."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import TenantKey


def _contact(client: TestClient, tenant: TenantKey, email: str, **attributes: Any) -> int:
    response = client.post(
        "/v1/contacts", json={"email": email, "attributes": attributes}, headers=tenant.bearer
    )
    assert response.status_code == 201, response.text
    contact_id: int = response.json()["id"]
    return contact_id


def _segment(client: TestClient, tenant: TenantKey, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/segments", json=body, headers=tenant.bearer)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _matching(client: TestClient, tenant: TenantKey, segment_id: int, limit: int = 2) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = client.get(f"/v1/segments/{segment_id}/contacts", params=params, headers=tenant.bearer)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [c["id"] for c in page["data"]]
        cursor = page.get("next_cursor")
        if not cursor:
            return seen


def test_created_segment_is_answered_as_stored(client: TestClient, tenant: TenantKey) -> None:
    newsletter = client.post("/v1/lists", json={"name": "Newsletter"}, headers=tenant.bearer).json()
    conditions = [
        {"attribute": "city", "op": "eq", "value": "London"},
        {"attribute": "age", "op": "gte", "value": 18},
        {"attribute": "plan", "op": "in", "value": ["pro", "team"]},
        {"attribute": "email_bounced", "op": "not_exists"},
        {"list_id": newsletter["id"], "op": "member"},
    ]
    created = _segment(client, tenant, name="Londoners", match="all", conditions=conditions)
    assert isinstance(created["id"], int)
    assert created["name"] == "Londoners"
    assert created["match"] == "all"
    assert created["conditions"][0] == {"attribute": "city", "op": "eq", "value": "London"}
    assert created["conditions"][3]["op"] == "not_exists"
    assert created["conditions"][4] == {"list_id": newsletter["id"], "op": "member"}
    assert client.get(f"/v1/segments/{created['id']}", headers=tenant.bearer).json() == created


@pytest.mark.parametrize(
    "condition",
    [
        {"attribute": "city", "op": "eq"},
        {"attribute": "city", "op": "eq", "value": ["a"]},
        {"attribute": "city", "op": "in", "value": "London"},
        {"attribute": "city", "op": "in", "value": []},
        {"attribute": "city", "op": "exists", "value": "x"},
        {"attribute": "age", "op": "gt", "value": True},
        {"attribute": "age", "op": "gt", "value": None},
        {"attribute": "city", "op": "contains", "value": 3},
        {"attribute": "city", "op": "contains", "value": ""},
        {"attribute": "city", "op": "like", "value": "x"},
        {"attribute": "", "op": "exists"},
        {"attribute": "city", "op": "eq", "value": {"a": 1}},
        {"list_id": 1, "op": "eq"},
        {"list_id": 1, "op": "member", "value": 1},
    ],
)
def test_condition_whose_value_does_not_fit_its_op_is_refused(
    client: TestClient, tenant: TenantKey, condition: dict[str, Any]
) -> None:
    response = client.post(
        "/v1/segments", json={"name": "S", "conditions": [condition]}, headers=tenant.bearer
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert all(error["field"].startswith("conditions.0") for error in response.json()["errors"])


def test_segment_without_conditions_or_with_a_bad_match_is_refused(
    client: TestClient, tenant: TenantKey
) -> None:
    assert (
        client.post("/v1/segments", json={"name": "S", "conditions": []}, headers=tenant.bearer).status_code
        == 422
    )
    body = {"name": "S", "match": "most", "conditions": [{"attribute": "a", "op": "exists"}]}
    assert client.post("/v1/segments", json=body, headers=tenant.bearer).status_code == 422


def test_segment_naming_another_accounts_list_is_refused(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    theirs = client.post("/v1/lists", json={"name": "Theirs"}, headers=other_tenant.bearer).json()
    body = {
        "name": "S",
        "conditions": [{"attribute": "a", "op": "exists"}, {"list_id": theirs["id"], "op": "not_member"}],
    }
    response = client.post("/v1/segments", json=body, headers=tenant.bearer)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "conditions.1.list_id", "reason": f"no list {theirs['id']} in this account"}
    ]


def test_segment_with_a_taken_name_is_a_conflict(client: TestClient, tenant: TenantKey) -> None:
    conditions = [{"attribute": "a", "op": "exists"}]
    _segment(client, tenant, name="S", conditions=conditions)
    response = client.post(
        "/v1/segments", json={"name": "S", "conditions": conditions}, headers=tenant.bearer
    )
    assert response.status_code == 409


def test_segment_contacts_match_attributes_and_lists(client: TestClient, tenant: TenantKey) -> None:
    ada = _contact(client, tenant, "ada@example.com", city="London", age=36, vip=True)
    bob = _contact(client, tenant, "bob@example.com", city="London", age=17)
    cy = _contact(client, tenant, "cy@example.com", city="Paris", age=52, vip=False)
    dee = _contact(client, tenant, "dee@example.com")
    newsletter = client.post("/v1/lists", json={"name": "Newsletter"}, headers=tenant.bearer).json()
    client.post(
        f"/v1/lists/{newsletter['id']}/members", json={"contact_ids": [bob, cy]}, headers=tenant.bearer
    )

    adults_in_london = _segment(
        client,
        tenant,
        name="Adults in London",
        conditions=[
            {"attribute": "city", "op": "eq", "value": "London"},
            {"attribute": "age", "op": "gte", "value": 18},
        ],
    )
    assert _matching(client, tenant, adults_in_london["id"]) == [ada]

    vip_or_subscribed = _segment(
        client,
        tenant,
        name="VIP or subscribed",
        match="any",
        conditions=[
            {"attribute": "vip", "op": "eq", "value": True},
            {"list_id": newsletter["id"], "op": "member"},
        ],
    )
    assert _matching(client, tenant, vip_or_subscribed["id"]) == [ada, bob, cy]

    not_in_london = _segment(
        client, tenant, name="Elsewhere", conditions=[{"attribute": "city", "op": "ne", "value": "London"}]
    )
    assert _matching(client, tenant, not_in_london["id"]) == [cy, dee]

    outsiders = _segment(
        client, tenant, name="Outsiders", conditions=[{"list_id": newsletter["id"], "op": "not_member"}]
    )
    assert _matching(client, tenant, outsiders["id"], limit=1) == [ada, dee]


def test_segment_is_evaluated_when_read(client: TestClient, tenant: TenantKey) -> None:
    ada = _contact(client, tenant, "ada@example.com", city="Paris")
    segment = _segment(
        client, tenant, name="Londoners", conditions=[{"attribute": "city", "op": "eq", "value": "London"}]
    )
    assert _matching(client, tenant, segment["id"]) == []
    client.patch(f"/v1/contacts/{ada}", json={"attributes": {"city": "London"}}, headers=tenant.bearer)
    assert _matching(client, tenant, segment["id"]) == [ada]


def test_patched_segment_replaces_given_fields(client: TestClient, tenant: TenantKey) -> None:
    ada = _contact(client, tenant, "ada@example.com", city="London", age=36)
    bob = _contact(client, tenant, "bob@example.com", city="Paris")
    segment = _segment(
        client,
        tenant,
        name="S",
        conditions=[
            {"attribute": "city", "op": "eq", "value": "London"},
            {"attribute": "age", "op": "exists"},
        ],
    )
    path = f"/v1/segments/{segment['id']}"
    response = client.patch(path, json={"match": "any"}, headers=tenant.bearer)
    assert response.status_code == 200
    assert (response.json()["match"], len(response.json()["conditions"])) == ("any", 2)
    response = client.patch(
        path,
        json={"name": "Parisians", "conditions": [{"attribute": "city", "op": "contains", "value": "ari"}]},
        headers=tenant.bearer,
    )
    assert response.json()["name"] == "Parisians"
    assert response.json()["conditions"] == [{"attribute": "city", "op": "contains", "value": "ari"}]
    assert _matching(client, tenant, segment["id"]) == [bob]
    assert ada != bob


def test_another_accounts_segment_is_not_found(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    theirs = _segment(client, other_tenant, name="Theirs", conditions=[{"attribute": "a", "op": "exists"}])
    path = f"/v1/segments/{theirs['id']}"
    assert client.get(path, headers=tenant.bearer).status_code == 404
    assert client.get(f"{path}/contacts", headers=tenant.bearer).status_code == 404
    assert client.patch(path, json={"name": "Mine"}, headers=tenant.bearer).status_code == 404
    assert client.delete(path, headers=tenant.bearer).status_code == 404
    assert client.delete(path, headers=other_tenant.bearer).status_code == 204
    assert client.get(path, headers=other_tenant.bearer).status_code == 404


def test_segment_contacts_never_include_another_accounts_contacts(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    mine = _contact(client, tenant, "ada@example.com", city="London")
    _contact(client, other_tenant, "bob@example.com", city="London")
    segment = _segment(client, tenant, name="Londoners", conditions=[{"attribute": "city", "op": "exists"}])
    assert _matching(client, tenant, segment["id"]) == [mine]


def test_segments_page_in_id_order(client: TestClient, tenant: TenantKey) -> None:
    created = [
        _segment(client, tenant, name=f"S{i}", conditions=[{"attribute": "a", "op": "exists"}])["id"]
        for i in range(5)
    ]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/segments", params=params, headers=tenant.bearer).json()
        seen += [row["id"] for row in page["data"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert seen == created
