"""GET /v1/interactions: filters, and cursor pages on the ingest sequence that never skip or repeat."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import TenantKey
from tests.factories import create_contact, create_message, event, record


def all_pages(client: TestClient, tenant: TenantKey, **params: object) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/interactions", params=query, headers=tenant.bearer).json()
        rows.extend(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


def test_late_events_arriving_while_paging_are_neither_skipped_nor_repeated(
    client: TestClient, tenant: TenantKey
) -> None:
    message_id = create_message(client, tenant)["id"]
    contact_id = create_contact(client, tenant, email="ada@example.com")["id"]
    record(
        client,
        tenant,
        [event(message_id, contact_id, "opens", f"2024-02-0{d}T12:00:00Z") for d in range(1, 6)],
    )
    first = client.get("/v1/interactions", params={"limit": 3}, headers=tenant.bearer).json()
    record(client, tenant, [event(message_id, contact_id, "opens", "2020-01-01T00:00:00Z")])
    seen = [r["id"] for r in first["data"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(
            "/v1/interactions", params={"limit": 3, "cursor": cursor}, headers=tenant.bearer
        ).json()
        seen.extend(r["id"] for r in page["data"])
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 6
    assert seen == sorted(seen)


def test_filters_select_by_message_contact_type_and_time(client: TestClient, tenant: TenantKey) -> None:
    m1 = create_message(client, tenant)["id"]
    m2 = create_message(client, tenant)["id"]
    c1 = create_contact(client, tenant, email="a@example.com")["id"]
    c2 = create_contact(client, tenant, phone="+27792899967")["id"]
    record(
        client,
        tenant,
        [
            event(m1, c1, "sends", "2024-03-01T08:00:00Z"),
            event(m1, c2, "sends", "2024-03-01T09:00:00Z"),
            event(m2, c1, "opens", "2024-03-02T08:00:00Z"),
            event(m2, c2, "clicks", "2024-03-03T08:00:00Z", metadata={"url": "https://example.com"}),
        ],
    )
    assert len(all_pages(client, tenant, message_id=m1)) == 2
    assert [r["type"] for r in all_pages(client, tenant, contact_id=c2)] == ["sends", "clicks"]
    assert [r["message_id"] for r in all_pages(client, tenant, type="opens")] == [m2]
    window = all_pages(
        client, tenant, occurred_from="2024-03-01T08:30:00Z", occurred_to="2024-03-03T00:00:00+00:00"
    )
    assert [r["occurred_at"] for r in window] == ["2024-03-01T09:00:00Z", "2024-03-02T08:00:00Z"]
    clicked = all_pages(client, tenant, type="clicks")[0]
    assert clicked["metadata"] == {"url": "https://example.com"}
    assert clicked["contact_phone"] == "+27792899967"


def test_a_bad_filter_is_a_problem(client: TestClient, tenant: TenantKey) -> None:
    for params in ({"occurred_from": "yesterday"}, {"type": "teleports"}, {"cursor": "!!"}, {"limit": 0}):
        response = client.get("/v1/interactions", params=params, headers=tenant.bearer)
        assert response.status_code in (400, 422), params
        assert response.headers["content-type"] == "application/problem+json"


def test_another_account_sees_none_of_the_events(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    message_id = create_message(client, tenant)["id"]
    contact_id = create_contact(client, tenant, email="ada@example.com")["id"]
    record(client, tenant, [event(message_id, contact_id, "sends", "2024-01-01T00:00:00Z")])
    assert all_pages(client, other_tenant) == []
    assert all_pages(client, other_tenant, message_id=message_id) == []


def test_an_id_filter_no_row_can_have_is_a_problem_not_a_crash(client: TestClient, tenant: TenantKey) -> None:
    for params in (
        {"contact_id": 36893488147419103231},  # over 64 bits: SQLite cannot even bind it
        {"message_id": 10000000000000001},
        {"message_id": 0},
        {"contact_id": -1},
    ):
        response = client.get("/v1/interactions", params=params, headers=tenant.bearer)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
