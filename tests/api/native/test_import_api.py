"""The bulk import: CSV and NDJSON bodies, streamed; all rows or none; create, update, lists, dry runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from tests.conftest import TenantKey

from herald.api.native import contacts as contacts_api

CSV = {"Content-Type": "text/csv"}
NDJSON = {"Content-Type": "application/x-ndjson"}


def _import(
    client: TestClient, tenant: TenantKey, body: bytes | str, headers: dict[str, str], **params: Any
) -> Any:
    content = body.encode() if isinstance(body, str) else body
    return client.post("/v1/contacts/import", content=content, headers=tenant.bearer | headers, params=params)


def _contacts(client: TestClient, tenant: TenantKey) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1000} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/contacts", params=params, headers=tenant.bearer).json()
        rows += page["data"]
        cursor = page.get("next_cursor")
        if not cursor:
            return rows


def _ndjson(*rows: dict[str, Any]) -> bytes:
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)


def _list(client: TestClient, tenant: TenantKey, name: str) -> int:
    list_id: int = client.post("/v1/lists", json={"name": name}, headers=tenant.bearer).json()["id"]
    return list_id


def test_csv_import_creates_contacts_with_string_attributes_and_lists(
    client: TestClient, tenant: TenantKey
) -> None:
    newsletter = _list(client, tenant, "Newsletter")
    offers = _list(client, tenant, "Offers")
    body = (
        "Email,Phone,First Name,city,lists\r\n"
        f"Ada@Example.com,+14155550123,Ada,London,{newsletter};{offers}\r\n"
        '"bob@example.com",,"Bob ""the builder""","New\nYork",\r\n'
        "\r\n"
        ",+447700900123,,,\r\n"
    )
    response = _import(client, tenant, body, CSV)
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 3, "updated": 0, "rows": 3, "dry_run": False}
    contacts = _contacts(client, tenant)
    assert [(c["email"], c["phone"], c["attributes"]) for c in contacts] == [
        ("ada@example.com", "+14155550123", {"First Name": "Ada", "city": "London"}),
        ("bob@example.com", None, {"First Name": 'Bob "the builder"', "city": "New\nYork"}),
        (None, "+447700900123", {}),
    ]
    for list_id in (newsletter, offers):
        members = client.get(f"/v1/lists/{list_id}/members", headers=tenant.bearer).json()["data"]
        assert [m["email"] for m in members] == ["ada@example.com"]


def test_ndjson_import_keeps_typed_attributes(client: TestClient, tenant: TenantKey) -> None:
    newsletter = _list(client, tenant, "Newsletter")
    body = _ndjson(
        {
            "email": "ada@example.com",
            "attributes": {"age": 36, "vip": True, "score": 2.5},
            "list_ids": [newsletter],
        },
        {"phone": "+14155550123"},
    )
    response = _import(client, tenant, body, NDJSON)
    assert response.json() == {"created": 2, "updated": 0, "rows": 2, "dry_run": False}
    contacts = _contacts(client, tenant)
    assert contacts[0]["attributes"] == {"age": 36, "vip": True, "score": 2.5}
    assert client.get(f"/v1/lists/{newsletter}", headers=tenant.bearer).json()["member_count"] == 1


def test_import_updates_contacts_matched_by_email_else_phone_and_merges_attributes(
    client: TestClient, tenant: TenantKey
) -> None:
    ada = client.post(
        "/v1/contacts",
        json={"email": "ada@example.com", "attributes": {"city": "London", "age": 36}},
        headers=tenant.bearer,
    ).json()
    sms = client.post(
        "/v1/contacts", json={"phone": "+14155550123", "attributes": {"vip": True}}, headers=tenant.bearer
    ).json()
    body = _ndjson(
        {"email": "ADA@example.com", "phone": "+447700900123", "attributes": {"city": "Paris", "age": None}},
        {"phone": "+14155550123", "email": "sms@example.com", "attributes": {"lang": "en"}},
        {"email": "new@example.com"},
    )
    response = _import(client, tenant, body, NDJSON)
    assert response.json() == {"created": 1, "updated": 2, "rows": 3, "dry_run": False}
    by_id = {c["id"]: c for c in _contacts(client, tenant)}
    assert (by_id[ada["id"]]["phone"], by_id[ada["id"]]["attributes"]) == ("+447700900123", {"city": "Paris"})
    assert (by_id[sms["id"]]["email"], by_id[sms["id"]]["attributes"]) == (
        "sms@example.com",
        {"vip": True, "lang": "en"},
    )
    assert len(by_id) == 3


def test_later_row_wins_for_a_contact_named_twice(client: TestClient, tenant: TenantKey) -> None:
    body = "email,city,plan\nada@example.com,London,free\nbob@example.com,Rome,\nADA@example.com,Paris,\n"
    response = _import(client, tenant, body, CSV)
    assert response.json() == {"created": 2, "updated": 0, "rows": 3, "dry_run": False}
    contacts = _contacts(client, tenant)
    assert contacts[0]["attributes"] == {"city": "Paris", "plan": "free"}


def test_invalid_row_imports_nothing_and_names_row_and_field(client: TestClient, tenant: TenantKey) -> None:
    client.post(
        "/v1/contacts", json={"email": "old@example.com", "attributes": {"a": "1"}}, headers=tenant.bearer
    )
    before = _contacts(client, tenant)
    body = (
        "email,phone,a\n"
        "old@example.com,,2\n"
        "good@example.com,+14155550123,x\n"
        "not-an-email,,x\n"
        "\n"
        "ok@example.com,12345,x\n"
        ",,x\n"
    )
    response = _import(client, tenant, body, CSV)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "import_rejected"
    assert problem["error_count"] == 3
    assert [(e["row"], e["field"]) for e in problem["errors"]] == [(3, "email"), (4, "phone"), (5, None)]
    assert _contacts(client, tenant) == before


def test_ndjson_errors_name_the_json_field(client: TestClient, tenant: TenantKey) -> None:
    body = (
        _ndjson(
            {"email": "a@example.com", "attributes": {"deep": {"x": 1}}}, {"email": "b@example.com", "x": 1}
        )
        + b"{not json\n"
    )
    problem = _import(client, tenant, body, NDJSON).json()
    assert [(e["row"], e["field"]) for e in problem["errors"]] == [
        (1, "attributes.deep"),
        (2, "x"),
        (3, None),
    ]
    assert _contacts(client, tenant) == []


def test_import_naming_another_accounts_list_imports_nothing(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    theirs = _list(client, other_tenant, "Theirs")
    mine = _list(client, tenant, "Mine")
    body = f"email,lists\na@example.com,{mine}\nb@example.com,{mine};{theirs}\n"
    response = _import(client, tenant, body, CSV)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"row": 2, "field": "list_ids", "reason": f"no list {theirs} in this account"}
    ]
    assert _contacts(client, tenant) == []


def test_import_giving_one_phone_to_two_contacts_imports_nothing(
    client: TestClient, tenant: TenantKey
) -> None:
    client.post(
        "/v1/contacts", json={"email": "ada@example.com", "phone": "+14155550123"}, headers=tenant.bearer
    )
    before = _contacts(client, tenant)
    body = _ndjson({"email": "new@example.com"}, {"email": "bob@example.com", "phone": "+14155550123"})
    response = _import(client, tenant, body, NDJSON)
    assert response.status_code == 422
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(2, "phone")]
    assert _contacts(client, tenant) == before


def test_phones_may_move_between_contacts_within_one_import(client: TestClient, tenant: TenantKey) -> None:
    client.post(
        "/v1/contacts", json={"email": "a@example.com", "phone": "+14155550001"}, headers=tenant.bearer
    )
    client.post(
        "/v1/contacts", json={"email": "b@example.com", "phone": "+14155550002"}, headers=tenant.bearer
    )
    body = _ndjson(
        {"email": "a@example.com", "phone": "+14155550009"},
        {"email": "b@example.com", "phone": "+14155550001"},
        {"email": "a@example.com", "phone": "+14155550002"},
    )
    response = _import(client, tenant, body, NDJSON)
    assert response.status_code == 200, response.text
    assert [(c["email"], c["phone"]) for c in _contacts(client, tenant)] == [
        ("a@example.com", "+14155550002"),
        ("b@example.com", "+14155550001"),
    ]


def test_dry_run_counts_but_writes_nothing(client: TestClient, tenant: TenantKey) -> None:
    client.post("/v1/contacts", json={"email": "ada@example.com"}, headers=tenant.bearer)
    body = "email\nada@example.com\nbob@example.com\n"
    response = _import(client, tenant, body, CSV, dry_run="true")
    assert response.json() == {"created": 1, "updated": 1, "rows": 2, "dry_run": True}
    assert [c["email"] for c in _contacts(client, tenant)] == ["ada@example.com"]


def test_import_body_arrives_in_pieces(client: TestClient, tenant: TenantKey) -> None:
    body = "email,note\n" + "".join(f'user{i}@example.com,"line one\nline ""two"" é"\n' for i in range(300))
    data = ("\ufeff" + body).encode()

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(data), 7):
            yield data[start : start + 7]

    response = client.post("/v1/contacts/import", content=pieces(), headers=tenant.bearer | CSV)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 300
    contacts = _contacts(client, tenant)
    assert contacts[0]["attributes"] == {"note": 'line one\nline "two" é'}


def test_large_import_then_reimport_updates_every_contact(client: TestClient, tenant: TenantKey) -> None:
    count = 1200
    newsletter = _list(client, tenant, "Newsletter")
    body = "email,phone,n,lists\n" + "".join(
        f"user{i}@example.com,+1415{i:07d},{i},{newsletter}\n" for i in range(count)
    )
    assert _import(client, tenant, body, CSV).json() == {
        "created": count,
        "updated": 0,
        "rows": count,
        "dry_run": False,
    }
    again = "phone,m\n" + "".join(f"+1415{i:07d},{i * 2}\n" for i in range(count))
    assert _import(client, tenant, again, CSV).json() == {
        "created": 0,
        "updated": count,
        "rows": count,
        "dry_run": False,
    }
    contacts = _contacts(client, tenant)
    assert len(contacts) == count
    assert contacts[-1]["attributes"] == {"n": str(count - 1), "m": str((count - 1) * 2)}
    assert client.get(f"/v1/lists/{newsletter}", headers=tenant.bearer).json()["member_count"] == count


def test_many_errors_are_capped_and_counted(client: TestClient, tenant: TenantKey) -> None:
    body = "email\n" + "bad\n" * 1500
    problem = _import(client, tenant, body, CSV).json()
    assert problem["error_count"] == 1500
    assert len(problem["errors"]) == 1000
    assert "1500 problems" in problem["detail"]


def test_csv_without_an_email_or_phone_column_is_refused(client: TestClient, tenant: TenantKey) -> None:
    problem = _import(client, tenant, "name,city\nAda,London\n", CSV).json()
    assert problem["errors"] == [
        {"row": 0, "field": None, "reason": "the header needs an email or a phone column"}
    ]
    problem = _import(client, tenant, "email,Email\na@example.com,b@example.com\n", CSV).json()
    assert problem["errors"][0]["row"] == 0
    assert _import(client, tenant, "", CSV).status_code == 422


def test_unsupported_content_type_is_refused(client: TestClient, tenant: TenantKey) -> None:
    response = _import(client, tenant, '{"email": "a@example.com"}', {"Content-Type": "application/json"})
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"


def test_body_over_the_cap_is_too_large(
    client: TestClient, tenant: TenantKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contacts_api, "MAX_IMPORT_BYTES", 64)
    body = "email\n" + "".join(f"user{i}@example.com\n" for i in range(10))
    response = _import(client, tenant, body, CSV)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"

    def pieces() -> Iterator[bytes]:
        yield body.encode()[:40]
        yield body.encode()[40:]

    streamed = client.post("/v1/contacts/import", content=pieces(), headers=tenant.bearer | CSV)
    assert streamed.status_code == 413
    assert _contacts(client, tenant) == []


def test_body_that_is_not_utf8_is_a_bad_request(client: TestClient, tenant: TenantKey) -> None:
    response = _import(client, tenant, b"email\n\xff@example.com\n", CSV)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_import_needs_an_api_key(client: TestClient) -> None:
    response = client.post("/v1/contacts/import", content=b"email\na@example.com\n", headers=CSV)
    assert response.status_code == 401
