"""The native lists API: lists, renames, members and their counts, across tenants."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.conftest import TenantKey


def _contact(client: TestClient, tenant: TenantKey, email: str) -> int:
    response = client.post("/v1/contacts", json={"email": email}, headers=tenant.bearer)
    assert response.status_code == 201, response.text
    contact_id: int = response.json()["id"]
    return contact_id


def _list(client: TestClient, tenant: TenantKey, name: str) -> dict[str, Any]:
    response = client.post("/v1/lists", json={"name": name}, headers=tenant.bearer)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _add(client: TestClient, tenant: TenantKey, list_id: int, ids: list[int]) -> Any:
    return client.post(f"/v1/lists/{list_id}/members", json={"contact_ids": ids}, headers=tenant.bearer)


def test_created_list_has_an_id_and_no_members(client: TestClient, tenant: TenantKey) -> None:
    created = _list(client, tenant, "  Newsletter ")
    assert isinstance(created["id"], int)
    assert (created["name"], created["member_count"]) == ("Newsletter", 0)
    assert client.get(f"/v1/lists/{created['id']}", headers=tenant.bearer).json() == created


def test_list_with_a_taken_name_is_a_conflict(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    _list(client, tenant, "Newsletter")
    response = client.post("/v1/lists", json={"name": "Newsletter"}, headers=tenant.bearer)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    _list(client, other_tenant, "Newsletter")


def test_list_with_an_empty_name_is_refused(client: TestClient, tenant: TenantKey) -> None:
    assert client.post("/v1/lists", json={"name": "  "}, headers=tenant.bearer).status_code == 422
    assert client.post("/v1/lists", json={"title": "x"}, headers=tenant.bearer).status_code == 422


def test_renamed_list_keeps_its_id_and_a_taken_name_is_a_conflict(
    client: TestClient, tenant: TenantKey
) -> None:
    first = _list(client, tenant, "First")
    _list(client, tenant, "Second")
    renamed = client.patch(f"/v1/lists/{first['id']}", json={"name": "Renamed"}, headers=tenant.bearer)
    assert renamed.status_code == 200
    assert (renamed.json()["id"], renamed.json()["name"]) == (first["id"], "Renamed")
    same = client.patch(f"/v1/lists/{first['id']}", json={"name": "Renamed"}, headers=tenant.bearer)
    assert same.status_code == 200
    taken = client.patch(f"/v1/lists/{first['id']}", json={"name": "Second"}, headers=tenant.bearer)
    assert taken.status_code == 409


def test_adding_members_is_idempotent_and_counted(client: TestClient, tenant: TenantKey) -> None:
    ids = [_contact(client, tenant, f"user{i}@example.com") for i in range(3)]
    newsletter = _list(client, tenant, "Newsletter")
    first = _add(client, tenant, newsletter["id"], ids[:2])
    assert first.status_code == 200
    assert first.json() == {"added": 2, "already_members": 0}
    second = _add(client, tenant, newsletter["id"], [ids[1], ids[2], ids[2]])
    assert second.json() == {"added": 1, "already_members": 1}
    assert client.get(f"/v1/lists/{newsletter['id']}", headers=tenant.bearer).json()["member_count"] == 3


def test_adding_unknown_contacts_names_them_and_adds_nothing(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    mine = _contact(client, tenant, "ada@example.com")
    theirs = _contact(client, other_tenant, "bob@example.com")
    newsletter = _list(client, tenant, "Newsletter")
    response = _add(client, tenant, newsletter["id"], [mine, theirs, 999_999])
    assert response.status_code == 400
    problem = response.json()
    assert problem["errors"] == [{"field": "contact_ids", "reason": f"unknown ids: {theirs}, 999999"}]
    assert client.get(f"/v1/lists/{newsletter['id']}", headers=tenant.bearer).json()["member_count"] == 0


def test_members_page_through_in_contact_order(client: TestClient, tenant: TenantKey) -> None:
    ids = [_contact(client, tenant, f"user{i}@example.com") for i in range(5)]
    outsider = _contact(client, tenant, "outsider@example.com")
    newsletter = _list(client, tenant, "Newsletter")
    _add(client, tenant, newsletter["id"], list(reversed(ids)))
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(
            f"/v1/lists/{newsletter['id']}/members", params=params, headers=tenant.bearer
        ).json()
        seen += [c["id"] for c in page["data"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert seen == ids
    assert outsider not in seen


def test_removed_member_leaves_the_list_but_stays_a_contact(client: TestClient, tenant: TenantKey) -> None:
    ada = _contact(client, tenant, "ada@example.com")
    newsletter = _list(client, tenant, "Newsletter")
    _add(client, tenant, newsletter["id"], [ada])
    path = f"/v1/lists/{newsletter['id']}/members/{ada}"
    assert client.delete(path, headers=tenant.bearer).status_code == 204
    assert client.delete(path, headers=tenant.bearer).status_code == 404
    assert client.get(f"/v1/lists/{newsletter['id']}", headers=tenant.bearer).json()["member_count"] == 0
    assert client.get(f"/v1/contacts/{ada}", headers=tenant.bearer).status_code == 200


def test_deleting_a_list_keeps_its_contacts(client: TestClient, tenant: TenantKey) -> None:
    ada = _contact(client, tenant, "ada@example.com")
    newsletter = _list(client, tenant, "Newsletter")
    _add(client, tenant, newsletter["id"], [ada])
    assert client.delete(f"/v1/lists/{newsletter['id']}", headers=tenant.bearer).status_code == 204
    assert client.get(f"/v1/lists/{newsletter['id']}", headers=tenant.bearer).status_code == 404
    assert client.get(f"/v1/contacts/{ada}", headers=tenant.bearer).status_code == 200


def test_deleting_a_contact_takes_it_off_its_lists(client: TestClient, tenant: TenantKey) -> None:
    ada = _contact(client, tenant, "ada@example.com")
    newsletter = _list(client, tenant, "Newsletter")
    _add(client, tenant, newsletter["id"], [ada])
    client.delete(f"/v1/contacts/{ada}", headers=tenant.bearer)
    assert client.get(f"/v1/lists/{newsletter['id']}", headers=tenant.bearer).json()["member_count"] == 0


def test_list_a_segment_uses_cannot_be_deleted(client: TestClient, tenant: TenantKey) -> None:
    newsletter = _list(client, tenant, "Newsletter")
    segment = client.post(
        "/v1/segments",
        json={"name": "Subscribers", "conditions": [{"list_id": newsletter["id"], "op": "member"}]},
        headers=tenant.bearer,
    ).json()
    response = client.delete(f"/v1/lists/{newsletter['id']}", headers=tenant.bearer)
    assert response.status_code == 409
    assert str(segment["id"]) in response.json()["detail"]
    client.delete(f"/v1/segments/{segment['id']}", headers=tenant.bearer)
    assert client.delete(f"/v1/lists/{newsletter['id']}", headers=tenant.bearer).status_code == 204


def test_another_accounts_list_is_not_found(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    theirs = _list(client, other_tenant, "Theirs")
    their_contact = _contact(client, other_tenant, "bob@example.com")
    base = f"/v1/lists/{theirs['id']}"
    assert client.get(base, headers=tenant.bearer).status_code == 404
    assert client.patch(base, json={"name": "Mine"}, headers=tenant.bearer).status_code == 404
    assert client.get(f"{base}/members", headers=tenant.bearer).status_code == 404
    assert _add(client, tenant, theirs["id"], [their_contact]).status_code == 404
    assert client.delete(f"{base}/members/{their_contact}", headers=tenant.bearer).status_code == 404
    assert client.delete(base, headers=tenant.bearer).status_code == 404
    assert client.get(base, headers=other_tenant.bearer).status_code == 200


def test_lists_page_with_their_member_counts(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    ada = _contact(client, tenant, "ada@example.com")
    created = [_list(client, tenant, f"List {i}") for i in range(5)]
    _list(client, other_tenant, "Theirs")
    _add(client, tenant, created[3]["id"], [ada])
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/lists", params=params, headers=tenant.bearer).json()
        seen += page["data"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert [row["id"] for row in seen] == [row["id"] for row in created]
    assert [row["member_count"] for row in seen] == [0, 0, 0, 1, 0]


def test_a_list_or_segment_a_live_message_uses_cannot_be_deleted_until_the_message_is(
    client: TestClient, tenant: TenantKey
) -> None:
    target = client.post("/v1/lists", json={"name": "buyers"}, headers=tenant.bearer).json()["id"]
    segment = client.post(
        "/v1/segments",
        json={
            "name": "vip",
            "match": "all",
            "conditions": [{"attribute": "tier", "op": "eq", "value": "gold"}],
        },
        headers=tenant.bearer,
    ).json()["id"]
    message = client.post(
        "/v1/messages",
        json={
            "channel": "email",
            "type": "Newsletter",
            "list_ids": [target],
            "excluded_segment_ids": [segment],
        },
        headers=tenant.bearer,
    ).json()["id"]
    refused = client.delete(f"/v1/lists/{target}", headers=tenant.bearer)
    assert refused.status_code == 409
    assert f"messages {message} use list {target}" in refused.json()["detail"]
    assert client.delete(f"/v1/segments/{segment}", headers=tenant.bearer).status_code == 409
    assert client.delete(f"/v1/messages/{message}", headers=tenant.bearer).status_code == 204
    assert client.delete(f"/v1/lists/{target}", headers=tenant.bearer).status_code == 204
    assert client.delete(f"/v1/segments/{segment}", headers=tenant.bearer).status_code == 204
