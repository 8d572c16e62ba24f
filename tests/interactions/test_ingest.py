"""POST /v1/interactions: per-row validation, idempotency, tenancy, and counters kept with the rows."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from herald.db.engine import Database
from herald.interactions import service as interactions_service
from herald.interactions.models import (
    FirstSend,
    InteractionCount,
    InteractionDayCount,
    InteractionFineCount,
    InteractionMinuteCount,
)
from tests.conftest import TenantKey
from tests.factories import create_contact, create_message, event, record


@pytest.fixture
def sent(client: TestClient, tenant: TenantKey) -> tuple[int, int]:
    message = create_message(client, tenant)
    contact = create_contact(client, tenant, email="ada@example.com")
    return message["id"], contact["id"]


def post(client: TestClient, tenant: TenantKey, rows: list[Any]) -> Any:
    return client.post("/v1/interactions", json={"interactions": rows}, headers=tenant.bearer)


def test_good_rows_are_recorded_and_bad_rows_rejected_with_index_and_reason(
    client: TestClient, tenant: TenantKey, sent: tuple[int, int]
) -> None:
    message_id, contact_id = sent
    rows = [
        event(message_id, contact_id, "sends", "2024-01-01T10:00:00Z"),
        event(message_id, contact_id, "teleports", "2024-01-01T10:00:00Z"),
        event(message_id, contact_id, "opens", "2024-01-01T10:00:00"),
        event(message_id, 987654, "opens", "2024-01-01T10:00:00Z"),
        {
            "message_id": "one",
            "contact_id": contact_id,
            "type": "opens",
            "occurred_at": "2024-01-01T10:00:00Z",
        },
        event(message_id, contact_id, "bounces", "2024-01-01T10:00:00Z", metadata={"bounce_type": "medium"}),
        event(
            message_id, contact_id, "clicks", "2024-01-01T11:00:00+02:00", metadata={"url": "https://x.test"}
        ),
        "not an object",
    ]
    response = post(client, tenant, rows)
    assert response.status_code == 200
    body = response.json()
    assert (body["recorded"], body["duplicates"], body["rejected"]) == (2, 0, 6)
    reasons = {r["index"]: r["reason"] for r in body["rejections"]}
    assert sorted(reasons) == [1, 2, 3, 4, 5, 7]
    assert "type must be one of" in reasons[1]
    assert "occurred_at" in reasons[2]
    assert reasons[3] == "contact_id 987654 not found"
    assert "message_id" in reasons[4]
    assert "bounce_type" in reasons[5]


def test_retried_batch_records_nothing_twice(
    client: TestClient, tenant: TenantKey, sent: tuple[int, int]
) -> None:
    message_id, contact_id = sent
    rows = [
        event(message_id, contact_id, "opens", f"2024-01-01T10:00:0{i}Z", event_id=f"evt-{i}")
        for i in range(5)
    ]
    first = post(client, tenant, rows).json()
    again = post(client, tenant, rows).json()
    assert (first["recorded"], first["duplicates"]) == (5, 0)
    assert (again["recorded"], again["duplicates"]) == (0, 5)
    listed = client.get("/v1/interactions", headers=tenant.bearer).json()["data"]
    assert len(listed) == 5


def test_event_id_repeated_inside_one_batch_is_stored_once(
    client: TestClient, tenant: TenantKey, sent: tuple[int, int]
) -> None:
    message_id, contact_id = sent
    row = event(message_id, contact_id, "opens", "2024-01-01T10:00:00Z", event_id="same")
    body = post(client, tenant, [row, row, row]).json()
    assert (body["recorded"], body["duplicates"]) == (1, 2)


def test_the_same_event_id_in_two_accounts_is_two_events(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey, sent: tuple[int, int]
) -> None:
    message_id, contact_id = sent
    other_message = create_message(client, other_tenant)["id"]
    other_contact = create_contact(client, other_tenant, email="bob@example.com")["id"]
    assert (
        post(
            client, tenant, [event(message_id, contact_id, "opens", "2024-01-01T10:00:00Z", event_id="x")]
        ).json()["recorded"]
        == 1
    )
    assert (
        post(
            client,
            other_tenant,
            [event(other_message, other_contact, "opens", "2024-01-01T10:00:00Z", event_id="x")],
        ).json()["recorded"]
        == 1
    )


def test_another_accounts_message_and_contact_are_rejected_as_not_found(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey, sent: tuple[int, int]
) -> None:
    message_id, contact_id = sent
    own_contact = create_contact(client, other_tenant, email="eve@example.com")["id"]
    own_message = create_message(client, other_tenant)["id"]
    body = post(
        client,
        other_tenant,
        [
            event(message_id, own_contact, "opens", "2024-01-01T10:00:00Z"),
            event(own_message, contact_id, "opens", "2024-01-01T10:00:00Z"),
        ],
    ).json()
    assert body["recorded"] == 0
    assert [r["reason"] for r in body["rejections"]] == [
        f"message_id {message_id} not found",
        f"contact_id {contact_id} not found",
    ]


def test_more_than_ten_thousand_rows_are_refused_whole(
    client: TestClient, tenant: TenantKey, sent: tuple[int, int]
) -> None:
    message_id, contact_id = sent
    rows = [event(message_id, contact_id, "opens", "2024-01-01T10:00:00Z")] * 10_001
    response = post(client, tenant, rows)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/interactions", headers=tenant.bearer).json()["data"] == []


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"{not json", 400), (b"[]", 400), (b'{"interactions": 5}', 400), (b'{"rows": []}', 400), (b"", 400)],
)
def test_a_malformed_envelope_is_a_problem(
    client: TestClient, tenant: TenantKey, body: bytes, status: int
) -> None:
    response = client.post(
        "/v1/interactions", content=body, headers={**tenant.bearer, "Content-Type": "application/json"}
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


def test_ingest_without_a_valid_key_is_401(client: TestClient) -> None:
    response = client.post(
        "/v1/interactions", json={"interactions": []}, headers={"Authorization": "Bearer hk_nope"}
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_counters_equal_a_recount_of_the_ledger(
    client: TestClient, tenant: TenantKey, database: Database, sent: tuple[int, int]
) -> None:
    message_id, contact_id = sent
    rows = [
        event(message_id, contact_id, kind, f"2024-01-0{1 + i % 3}T1{i % 10}:0{i % 7}:00Z")
        for i, kind in enumerate(["sends", "opens", "clicks"] * 40)
    ]
    record(client, tenant, rows[:50])
    record(client, tenant, rows[50:])

    def snapshot() -> tuple[list[Any], ...]:
        with database.read() as session:
            return (
                sorted(
                    session.execute(
                        select(
                            InteractionMinuteCount.type,
                            InteractionMinuteCount.minute_s,
                            InteractionMinuteCount.n,
                        )
                    ).all()
                ),
                sorted(
                    session.execute(
                        select(InteractionDayCount.type, InteractionDayCount.day_s, InteractionDayCount.n)
                    ).all()
                ),
                sorted(
                    session.execute(
                        select(InteractionCount.type, InteractionCount.bucket_s, InteractionCount.n)
                    ).all()
                ),
                sorted(
                    session.execute(
                        select(
                            InteractionFineCount.type,
                            InteractionFineCount.second_s,
                            InteractionFineCount.block,
                            InteractionFineCount.n,
                        )
                    ).all()
                ),
                sorted(session.execute(select(FirstSend.contact_id, FirstSend.first_send_s)).all()),
            )

    incremental = snapshot()
    with database.write() as session:
        interactions_service.rebuild_counters(session, message_id=message_id)
    assert snapshot() == incremental
    with database.read() as session:
        assert session.scalar(select(func.sum(InteractionCount.n))) == 120


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_a_time_whose_offset_leaves_the_calendar_is_rejected_alone(
    client: TestClient, tenant: TenantKey, sent: tuple[int, int], moment: str
) -> None:
    message_id, contact_id = sent
    rows = [
        event(message_id, contact_id, "sends", moment),
        event(message_id, contact_id, "opens", "2024-01-01T10:00:00Z"),
    ]
    response = post(client, tenant, rows)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["recorded"], body["rejected"]) == (1, 1)
    assert body["rejections"][0]["index"] == 0
    assert "occurred_at" in body["rejections"][0]["reason"]


@pytest.mark.parametrize("name", ["occurred_from", "occurred_to"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "xyz"])
def test_a_listing_filter_outside_the_calendar_is_a_400_naming_the_reason(
    client: TestClient, tenant: TenantKey, name: str, value: str
) -> None:
    response = client.get("/v1/interactions", params={name: value}, headers=tenant.bearer)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["errors"] == [
        {
            "field": name,
            "reason": "must be an RFC 3339 timestamp with an offset, between the years 1 and 9999 in UTC",
        }
    ]
    assert value not in problem["detail"]
