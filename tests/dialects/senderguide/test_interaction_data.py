"""POST /api/3.0/messages/interaction-data/{id}: the spec's examples and every documented rule."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import TenantKey, make_tenant
from tests.dialects.senderguide.conftest import SpecMessage, basic, report
from tests.factories import create_contact, create_message, event, record

ROW_KEYS = [
    "contact_id",
    "contact_email",
    "send_date",
    "interaction_type",
    "interaction_date",
    "message_id",
    "page_number",
]
SPEC_BODY = {"interactionType": "sends", "fromDate": "1972-01-01", "toDate": "2023-12-31", "pageNumber": 1}


def test_spec_example_page_one_ascending(
    client: TestClient, tenant: TenantKey, spec_message: SpecMessage
) -> None:
    response = report(client, tenant, spec_message.message_id, {**SPEC_BODY, "order": "asc"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["result", "page_size", "total_pages", "total_rows", "data"]
    assert (body["result"], body["page_size"], body["total_pages"], body["total_rows"]) == (
        "success",
        100,
        5,
        450,
    )
    assert len(body["data"]) == 100
    first = body["data"][0]
    assert list(first) == ROW_KEYS
    assert first == {
        "contact_id": spec_message.contact_ids[0],
        "contact_email": spec_message.emails[0],
        "send_date": "2023-05-15 20:04:59",
        "interaction_type": "sends",
        "interaction_date": "2023-05-15 20:04:59",
        "message_id": spec_message.message_id,
        "page_number": 1,
    }
    assert [row["contact_id"] for row in body["data"]] == spec_message.contact_ids[:100]


def test_spec_example_page_two_carries_its_page_number(
    client: TestClient, tenant: TenantKey, spec_message: SpecMessage
) -> None:
    body = report(
        client, tenant, spec_message.message_id, {**SPEC_BODY, "pageNumber": 2, "order": "asc"}
    ).json()
    assert body["result"] == "success"
    assert [row["contact_id"] for row in body["data"]] == spec_message.contact_ids[100:200]
    assert {row["page_number"] for row in body["data"]} == {2}


def test_spec_example_non_numeric_page_number(
    client: TestClient, tenant: TenantKey, spec_message: SpecMessage
) -> None:
    response = report(
        client, tenant, spec_message.message_id, {**SPEC_BODY, "pageNumber": "x", "order": "asc"}
    )
    assert response.status_code == 400
    assert response.json() == {"result": "error", "status": "pageNumber is not numeric", "code": 400}


def test_descending_order_starts_from_the_newest_and_last_page_is_partial(
    client: TestClient, tenant: TenantKey, spec_message: SpecMessage
) -> None:
    first = report(client, tenant, spec_message.message_id, {**SPEC_BODY, "order": "desc"}).json()
    assert [row["contact_id"] for row in first["data"]] == spec_message.contact_ids[::-1][:100]
    last = report(
        client, tenant, spec_message.message_id, {**SPEC_BODY, "order": "desc", "pageNumber": 5}
    ).json()
    assert [row["contact_id"] for row in last["data"]] == spec_message.contact_ids[::-1][400:]


def test_page_past_the_end_is_empty_with_true_totals(
    client: TestClient, tenant: TenantKey, spec_message: SpecMessage
) -> None:
    body = report(
        client, tenant, spec_message.message_id, {**SPEC_BODY, "pageNumber": 99, "order": "asc"}
    ).json()
    assert body == {"result": "success", "page_size": 100, "total_pages": 5, "total_rows": 450, "data": []}


def test_page_number_defaults_to_one_and_numeric_strings_are_accepted(
    client: TestClient, tenant: TenantKey, spec_message: SpecMessage
) -> None:
    body = {k: v for k, v in SPEC_BODY.items() if k != "pageNumber"}
    default = report(client, tenant, spec_message.message_id, {**body, "order": "asc"}).json()
    as_text = report(
        client, tenant, spec_message.message_id, {**body, "order": "asc", "pageNumber": "2"}
    ).json()
    assert default["data"][0]["page_number"] == 1
    assert as_text["data"][0]["page_number"] == 2


VALID = {
    "interactionType": "sends",
    "fromDate": "2023-01-01",
    "toDate": "2023-12-31",
    "pageNumber": 1,
    "order": "asc",
}


def without(*keys: str) -> dict[str, Any]:
    return {k: v for k, v in VALID.items() if k not in keys}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (without("interactionType"), "interactionType is required"),
        (without("fromDate"), "fromDate is required"),
        (without("toDate"), "toDate is required"),
        (without("order"), "order is required"),
        (without("fromDate", "order"), "fromDate is required, order is required"),
        ({**VALID, "toDate": None}, "toDate is required"),
        ({**VALID, "pageNumber": "x"}, "pageNumber is not numeric"),
        ({**VALID, "pageNumber": True}, "pageNumber is not numeric"),
        ({**VALID, "pageNumber": [1]}, "pageNumber is not numeric"),
        ({**VALID, "pageNumber": 0}, "pageNumber must be 1 or more"),
        ({**VALID, "pageNumber": -3}, "pageNumber must be 1 or more"),
        ({**VALID, "pageNumber": 1.5}, "pageNumber must be a whole number"),
        ({**VALID, "fromDate": "2023/01/01"}, "fromDate is not a valid date (yyyy-mm-dd)"),
        ({**VALID, "fromDate": "2023-02-30"}, "fromDate is not a valid date (yyyy-mm-dd)"),
        ({**VALID, "toDate": "31-12-2023"}, "toDate is not a valid date (yyyy-mm-dd)"),
        ({**VALID, "toDate": 20231231}, "toDate is not a valid date (yyyy-mm-dd)"),
        ({**VALID, "order": "up"}, 'order must be "asc" or "desc"'),
        ({**VALID, "order": 1}, 'order must be "asc" or "desc"'),
        (
            {**VALID, "interactionType": "reads"},
            "interactionType is not valid; valid values: sends, deliveries, opens, clicks, bounces, "
            "unsubscribes, complaints, failures, replies",
        ),
        ({**VALID, "fromDate": "2024-01-01"}, "fromDate is after toDate"),
        ([VALID], "request body is not valid JSON"),
        ("sends", "request body is not valid JSON"),
    ],
)
def test_each_malformed_body_is_a_400_saying_what_is_wrong(
    client: TestClient, tenant: TenantKey, body: Any, status: str
) -> None:
    message_id = create_message(client, tenant)["id"]
    response = report(client, tenant, message_id, body)
    assert response.status_code == 400
    assert response.json() == {"result": "error", "status": status, "code": 400}


@pytest.mark.parametrize("raw", [b"", b"{", b"interactionType=sends", b"\xff\xfe"])
def test_a_body_that_is_not_json_is_a_400(client: TestClient, tenant: TenantKey, raw: bytes) -> None:
    response = report(client, tenant, 1, None, raw=raw)
    assert response.status_code == 400
    assert response.json() == {"result": "error", "status": "request body is not valid JSON", "code": 400}


def test_a_malformed_body_is_a_400_even_for_an_unknown_message(client: TestClient, tenant: TenantKey) -> None:
    assert report(client, tenant, 999_999, without("order")).status_code == 400
    assert report(client, tenant, 999_999, VALID).status_code == 404


def test_interaction_type_and_order_are_matched_case_insensitively(
    client: TestClient, tenant: TenantKey, spec_message: SpecMessage
) -> None:
    body = report(
        client, tenant, spec_message.message_id, {**SPEC_BODY, "interactionType": "Sends", "order": "DESC"}
    ).json()
    assert body["total_rows"] == 450


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic bm9ib2R5Om5vcGU="},
        {"Authorization": "Bearer hk_not-a-real-key"},
        {"Authorization": "Basic !!!"},
        {"Authorization": "Digest abc"},
    ],
)
def test_missing_or_wrong_credentials_are_a_401_in_the_envelope(
    client: TestClient, tenant: TenantKey, headers: dict[str, str]
) -> None:
    message_id = create_message(client, tenant)["id"]
    response = client.post(f"/api/3.0/messages/interaction-data/{message_id}", json=VALID, headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["result"] == "error"
    assert body["code"] == 401
    assert isinstance(body["status"], str)


def test_basic_with_any_username_and_bearer_both_authenticate(client: TestClient, tenant: TenantKey) -> None:
    message_id = create_message(client, tenant)["id"]
    url = f"/api/3.0/messages/interaction-data/{message_id}"
    assert client.post(url, json=VALID, headers=basic(tenant.key, "someone-else")).status_code == 200
    assert client.post(url, json=VALID, headers=tenant.bearer).status_code == 200


def test_a_revoked_key_is_refused(client: TestClient, tenant: TenantKey, database: Any) -> None:
    from herald.accounts import service as accounts_service

    message_id = create_message(client, tenant)["id"]
    with database.write() as session:
        accounts_service.revoke_key(session, prefix=tenant.key[:11])
    assert report(client, tenant, message_id, VALID).status_code == 401


def test_another_accounts_message_is_not_found(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey, spec_message: SpecMessage
) -> None:
    response = report(client, other_tenant, spec_message.message_id, {**SPEC_BODY, "order": "asc"})
    assert response.status_code == 404
    assert response.json() == {"result": "error", "status": "message not found", "code": 404}


@pytest.mark.parametrize("message_id", ["999999", "abc", "-1", "1.5", "99999999999999999999999"])
def test_an_unknown_message_is_not_found(client: TestClient, tenant: TenantKey, message_id: str) -> None:
    response = report(client, tenant, message_id, VALID)
    assert response.status_code == 404
    assert response.json() == {"result": "error", "status": "message not found", "code": 404}


def test_unknown_paths_and_methods_answer_in_the_envelope(client: TestClient, tenant: TenantKey) -> None:
    missing = client.post("/api/3.0/messages/nothing", json=VALID, headers=tenant.bearer)
    assert missing.status_code == 404
    assert missing.json()["result"] == "error"
    wrong_method = client.get("/api/3.0/messages/interaction-data/1", headers=tenant.bearer)
    assert wrong_method.status_code == 405
    assert wrong_method.json() == {"result": "error", "status": "method GET is not allowed here", "code": 405}


def test_the_whole_to_date_is_included_and_days_outside_are_not(
    client: TestClient, tenant: TenantKey
) -> None:
    message_id = create_message(client, tenant)["id"]
    contact_id = create_contact(client, tenant, email="ada@example.com")["id"]
    times = ["2023-06-30T23:59:59Z", "2023-07-01T00:00:00Z", "2023-07-31T23:59:59Z", "2023-08-01T00:00:00Z"]
    record(client, tenant, [event(message_id, contact_id, "opens", t) for t in times])
    body = report(
        client,
        tenant,
        message_id,
        {"interactionType": "opens", "fromDate": "2023-07-01", "toDate": "2023-07-31", "order": "asc"},
    ).json()
    assert [row["interaction_date"] for row in body["data"]] == ["2023-07-01 00:00:00", "2023-07-31 23:59:59"]
    assert body["total_rows"] == 2


def test_dates_and_day_boundaries_follow_the_account_time_zone(client: TestClient, database: Any) -> None:
    tenant = make_tenant(database, "joburg", timezone="Africa/Johannesburg")
    message_id = create_message(client, tenant)["id"]
    contact_id = create_contact(client, tenant, email="thabo@example.com")["id"]
    # 22:30 UTC on 30 June is 00:30 on 1 July in Johannesburg (+02:00).
    record(
        client,
        tenant,
        [
            event(message_id, contact_id, "sends", "2023-06-30T21:30:00Z"),
            event(message_id, contact_id, "opens", "2023-06-30T22:30:00Z"),
        ],
    )
    july = {"interactionType": "opens", "fromDate": "2023-07-01", "toDate": "2023-07-01", "order": "asc"}
    rows = report(client, tenant, message_id, july).json()["data"]
    assert rows == [
        {
            "contact_id": contact_id,
            "contact_email": "thabo@example.com",
            "send_date": "2023-06-30 23:30:00",
            "interaction_type": "opens",
            "interaction_date": "2023-07-01 00:30:00",
            "message_id": message_id,
            "page_number": 1,
        }
    ]
    sends_in_july = report(client, tenant, message_id, {**july, "interactionType": "sends"}).json()
    assert sends_in_july["total_rows"] == 0


def test_send_date_is_the_contacts_first_send(client: TestClient, tenant: TenantKey) -> None:
    message_id = create_message(client, tenant)["id"]
    contact_id = create_contact(client, tenant, email="ada@example.com")["id"]
    record(
        client,
        tenant,
        [
            event(message_id, contact_id, "sends", "2023-05-16T08:00:00Z"),
            event(message_id, contact_id, "clicks", "2023-05-16T09:00:00Z"),
            event(message_id, contact_id, "sends", "2023-05-15T08:00:00Z"),
        ],
    )
    body = report(
        client,
        tenant,
        message_id,
        {"interactionType": "clicks", "fromDate": "2023-05-01", "toDate": "2023-05-31", "order": "asc"},
    ).json()
    assert body["data"][0]["send_date"] == "2023-05-15 08:00:00"


def test_deleting_a_contact_keeps_its_history_and_the_report_consistent(
    client: TestClient, tenant: TenantKey
) -> None:
    message_id = create_message(client, tenant)["id"]
    kept = create_contact(client, tenant, email="kept@example.com")["id"]
    gone = create_contact(client, tenant, email="gone@example.com")["id"]
    record(client, tenant, [event(message_id, c, "sends", "2023-05-15T20:04:59Z") for c in (kept, gone)])
    assert client.delete(f"/v1/contacts/{gone}", headers=tenant.bearer).status_code == 204
    body = report(client, tenant, message_id, {**VALID, "order": "asc"}).json()
    assert body["total_rows"] == len(body["data"]) == 2
    assert [row["contact_email"] for row in body["data"]] == ["kept@example.com", "gone@example.com"]
    late = record(client, tenant, [event(message_id, gone, "opens", "2023-05-16T08:00:00Z")])
    assert late["rejections"] == [{"index": 0, "reason": f"contact_id {gone} not found"}]
