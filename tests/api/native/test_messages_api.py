"""Native /v1/messages: create, read, partial change, status lifecycle, soft delete, listing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import TenantKey
from tests.messages.factories import create_list, create_message, create_segment

STATUSES = ["Draft", "Scheduled", "InProgress", "Sent", "Paused", "Deleted"]
ALLOWED = {
    "Draft": {"Scheduled", "InProgress", "Deleted"},
    "Scheduled": {"Draft", "InProgress", "Paused", "Deleted"},
    "InProgress": {"Paused", "Sent"},
    "Paused": {"InProgress", "Scheduled", "Deleted"},
    "Sent": {"Deleted"},
    "Deleted": set(),
}


def post(client: TestClient, tenant: TenantKey, **fields: Any) -> Any:
    payload: dict[str, Any] = {"channel": "sms", "type": "Newsletter", "sender": "SmsApiTest"}
    payload.update(fields)
    return client.post("/v1/messages", json=payload, headers=tenant.bearer)


def fields_of(problem: dict[str, Any]) -> list[str]:
    return [error["field"] for error in problem.get("errors", [])]


def test_create_answers_201_with_the_whole_message_and_its_location(
    client: TestClient, tenant: TenantKey
) -> None:
    lists = [create_list(client, tenant, name) for name in ("test list", "jp1")]
    segment = create_segment(client, tenant, "ludzie z telefonem - losowy 1000")
    response = post(
        client,
        tenant,
        campaign_description="test newsletter 2",
        body="Hello",
        tags=["test 1", "spring"],
        google_analytics_tags=[{"name": "utm_source", "value": "sms"}],
        throttling_method="Manual",
        throttling_hours=1,
        list_ids=[lists[0]],
        excluded_list_ids=[lists[1]],
        excluded_segment_ids=[segment],
        status="Sent",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert isinstance(body["id"], int)
    assert response.headers["location"] == f"/v1/messages/{body['id']}"
    assert {k: v for k, v in body.items() if k not in ("id", "created_at", "updated_at")} == {
        "channel": "sms",
        "type": "Newsletter",
        "sender": "SmsApiTest",
        "campaign_description": "test newsletter 2",
        "subject": None,
        "body": "Hello",
        "tags": ["test 1", "spring"],
        "google_analytics_tags": [{"name": "utm_source", "value": "sms"}],
        "throttling_method": "Manual",
        "throttling_hours": 1,
        "list_ids": [lists[0]],
        "segment_ids": [],
        "excluded_list_ids": [lists[1]],
        "excluded_segment_ids": [segment],
        "status": "Sent",
    }
    assert client.get(f"/v1/messages/{body['id']}", headers=tenant.bearer).json() == body


def test_defaults_are_a_newsletter_draft_without_throttling(client: TestClient, tenant: TenantKey) -> None:
    body = client.post("/v1/messages", json={"channel": "email"}, headers=tenant.bearer)
    assert body.status_code == 201
    message = body.json()
    assert (
        message["type"],
        message["status"],
        message["throttling_method"],
        message["throttling_hours"],
    ) == (
        "Newsletter",
        "Draft",
        "None",
        None,
    )
    assert (message["tags"], message["list_ids"], message["google_analytics_tags"]) == ([], [], [])
    assert (message["sender"], message["campaign_description"], message["body"]) == ("", "", "")


@pytest.mark.parametrize("status", STATUSES)
def test_a_message_created_with_a_status_keeps_it(client: TestClient, tenant: TenantKey, status: str) -> None:
    assert create_message(client, tenant, status=status)["status"] == status


def test_repeated_tags_and_ids_are_kept_once_in_first_position(client: TestClient, tenant: TenantKey) -> None:
    a, b = (create_list(client, tenant, name) for name in ("a", "b"))
    message = create_message(client, tenant, tags=["x", " y ", "x", "y"], list_ids=[b, a, b])
    assert message["tags"] == ["x", "y"]
    assert message["list_ids"] == [b, a]


def test_subject_on_sms_is_a_400_naming_subject(client: TestClient, tenant: TenantKey) -> None:
    response = post(client, tenant, subject="Hello")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert fields_of(response.json()) == ["subject"]


def test_an_empty_or_null_subject_on_sms_is_no_subject(client: TestClient, tenant: TenantKey) -> None:
    assert create_message(client, tenant, subject="")["subject"] is None
    assert create_message(client, tenant, subject=None)["subject"] is None


@pytest.mark.parametrize("channel", ["mms", "email"])
def test_mms_and_email_keep_their_subject(client: TestClient, tenant: TenantKey, channel: str) -> None:
    assert create_message(client, tenant, channel=channel, subject="Hi")["subject"] == "Hi"


@pytest.mark.parametrize(
    ("method", "hours", "status"),
    [
        ("Manual", None, 400),
        ("Manual", 0, 422),
        ("Manual", 3, 201),
        ("Auto", 3, 400),
        ("None", 1, 400),
        ("Auto", None, 201),
        ("Bogus", None, 422),
    ],
)
def test_throttling_hours_go_with_manual_only(
    client: TestClient, tenant: TenantKey, method: str, hours: int | None, status: int
) -> None:
    response = post(client, tenant, throttling_method=method, throttling_hours=hours)
    assert response.status_code == status, response.text
    if status == 400:
        assert fields_of(response.json()) == ["throttling_hours"]


def test_unknown_and_foreign_target_ids_are_named(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    mine = create_list(client, tenant, "mine")
    theirs = create_list(client, other_tenant, "theirs")
    their_segment = create_segment(client, other_tenant, "theirs")
    response = post(client, tenant, list_ids=[mine, theirs, 999_999], excluded_segment_ids=[their_segment])
    assert response.status_code == 400
    problem = response.json()
    assert fields_of(problem) == ["list_ids", "excluded_segment_ids"]
    assert f"{theirs}, 999999" in problem["errors"][0]["reason"]
    assert str(their_segment) in problem["errors"][1]["reason"]
    assert str(mine) not in problem["errors"][0]["reason"]


def test_a_list_cannot_be_targeted_and_excluded(client: TestClient, tenant: TenantKey) -> None:
    one = create_list(client, tenant, "one")
    seg = create_segment(client, tenant, "seg")
    response = post(
        client, tenant, list_ids=[one], excluded_list_ids=[one], segment_ids=[seg], excluded_segment_ids=[seg]
    )
    assert response.status_code == 400
    assert fields_of(response.json()) == ["excluded_list_ids", "excluded_segment_ids"]


@pytest.mark.parametrize(
    "fields",
    [
        {"colour": "red"},
        {"channel": "fax"},
        {"type": "Autoresponder"},
        {"sender": "x" * 201},
        {"tags": ["a,b"]},
        {"tags": ["   "]},
        {"tags": ["x" * 201]},
        {"sender": "bad\x00nul"},
        {"campaign_description": "bell\x07"},
        {"google_analytics_tags": [{"name": "utm_source"}]},
        {"google_analytics_tags": [{"name": "a", "value": "b", "extra": 1}]},
        {"list_ids": [0]},
        {"list_ids": [2**31]},
        {"status": "Archived"},
    ],
)
def test_shape_errors_are_422_problems(client: TestClient, tenant: TenantKey, fields: dict[str, Any]) -> None:
    response = post(client, tenant, **fields)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_a_body_that_is_not_json_is_a_400(client: TestClient, tenant: TenantKey) -> None:
    response = client.post(
        "/v1/messages", content=b"{nope", headers={**tenant.bearer, "Content-Type": "application/json"}
    )
    assert response.status_code == 400


def test_without_a_key_every_endpoint_is_401(client: TestClient) -> None:
    assert client.post("/v1/messages", json={}).status_code == 401
    assert client.get("/v1/messages").status_code == 401
    assert client.get("/v1/messages/1").status_code == 401
    assert client.patch("/v1/messages/1", json={}).status_code == 401
    assert client.delete("/v1/messages/1").status_code == 401


@pytest.mark.parametrize("message_id", ["999999", "0", "-1", str(2**31), str(2**70)])
def test_unknown_ids_are_404(client: TestClient, tenant: TenantKey, message_id: str) -> None:
    for response in (
        client.get(f"/v1/messages/{message_id}", headers=tenant.bearer),
        client.patch(f"/v1/messages/{message_id}", json={"body": "x"}, headers=tenant.bearer),
        client.delete(f"/v1/messages/{message_id}", headers=tenant.bearer),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "not_found"


def test_another_accounts_message_is_not_found(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    theirs = create_message(client, other_tenant)["id"]
    assert client.get(f"/v1/messages/{theirs}", headers=tenant.bearer).status_code == 404
    assert (
        client.patch(f"/v1/messages/{theirs}", json={"body": "x"}, headers=tenant.bearer).status_code == 404
    )
    assert client.delete(f"/v1/messages/{theirs}", headers=tenant.bearer).status_code == 404
    assert client.get("/v1/messages", headers=tenant.bearer).json()["data"] == []
    assert client.get(f"/v1/messages/{theirs}", headers=other_tenant.bearer).json()["status"] == "Draft"


def test_patch_changes_only_the_fields_given(client: TestClient, tenant: TenantKey) -> None:
    message = create_message(client, tenant, channel="mms", subject="Old", body="Body", tags=["a"])
    response = client.patch(
        f"/v1/messages/{message['id']}", json={"subject": "New", "tags": ["b", "c"]}, headers=tenant.bearer
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["subject"], changed["tags"], changed["body"], changed["sender"]) == (
        "New",
        ["b", "c"],
        "Body",
        "SmsApiTest",
    )
    assert changed["updated_at"] >= message["updated_at"]
    assert client.get(f"/v1/messages/{message['id']}", headers=tenant.bearer).json() == changed


def test_patch_null_clears_subject_but_not_required_fields(client: TestClient, tenant: TenantKey) -> None:
    message = create_message(client, tenant, channel="mms", subject="Old")
    url = f"/v1/messages/{message['id']}"
    assert client.patch(url, json={"subject": None}, headers=tenant.bearer).json()["subject"] is None
    response = client.patch(url, json={"sender": None, "tags": None}, headers=tenant.bearer)
    assert response.status_code == 400
    assert fields_of(response.json()) == ["sender", "tags"]


def test_patch_leaving_manual_drops_the_hours(client: TestClient, tenant: TenantKey) -> None:
    message = create_message(client, tenant, throttling_method="Manual", throttling_hours=4)
    url = f"/v1/messages/{message['id']}"
    changed = client.patch(url, json={"throttling_method": "Auto"}, headers=tenant.bearer).json()
    assert (changed["throttling_method"], changed["throttling_hours"]) == ("Auto", None)
    response = client.patch(url, json={"throttling_method": "Manual"}, headers=tenant.bearer)
    assert response.status_code == 400
    assert fields_of(response.json()) == ["throttling_hours"]


def test_patch_to_sms_with_a_stored_subject_is_refused(client: TestClient, tenant: TenantKey) -> None:
    message = create_message(client, tenant, channel="mms", subject="Hi")
    url = f"/v1/messages/{message['id']}"
    assert client.patch(url, json={"channel": "sms"}, headers=tenant.bearer).status_code == 400
    changed = client.patch(url, json={"channel": "sms", "subject": None}, headers=tenant.bearer)
    assert changed.status_code == 200
    assert (changed.json()["channel"], changed.json()["subject"]) == ("sms", None)


def test_patch_can_move_a_list_from_targeted_to_excluded(client: TestClient, tenant: TenantKey) -> None:
    one, two = (create_list(client, tenant, name) for name in ("one", "two"))
    message = create_message(client, tenant, list_ids=[one, two])
    url = f"/v1/messages/{message['id']}"
    refused = client.patch(url, json={"excluded_list_ids": [one]}, headers=tenant.bearer)
    assert refused.status_code == 400
    moved = client.patch(url, json={"list_ids": [two], "excluded_list_ids": [one]}, headers=tenant.bearer)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["list_ids"], moved.json()["excluded_list_ids"]) == ([two], [one])


def test_patch_checks_only_the_target_groups_it_sets(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    one = create_list(client, tenant, "one")
    message = create_message(client, tenant, list_ids=[one])
    url = f"/v1/messages/{message['id']}"
    theirs = create_segment(client, other_tenant, "theirs")
    assert client.patch(url, json={"body": "new"}, headers=tenant.bearer).status_code == 200
    response = client.patch(url, json={"segment_ids": [theirs]}, headers=tenant.bearer)
    assert response.status_code == 400
    assert fields_of(response.json()) == ["segment_ids"]


def test_every_status_transition_is_validated_against_the_table(
    client: TestClient, tenant: TenantKey
) -> None:
    for current in STATUSES:
        for new in STATUSES:
            message = create_message(client, tenant, status=current)
            response = client.patch(
                f"/v1/messages/{message['id']}", json={"status": new}, headers=tenant.bearer
            )
            if new == current or new in ALLOWED[current]:
                assert response.status_code == 200, (current, new, response.text)
                assert response.json()["status"] == new
            else:
                assert response.status_code == 409, (current, new, response.text)
                problem = response.json()
                assert problem["code"] == "conflict"
                assert f"from {current} to {new}" in problem["detail"]
                for allowed in ALLOWED[current]:
                    assert allowed in problem["detail"]
                assert fields_of(problem) == ["status"]


@pytest.mark.parametrize("status", ["InProgress", "Sent", "Deleted"])
def test_content_cannot_change_once_sending_started(
    client: TestClient, tenant: TenantKey, status: str
) -> None:
    message = create_message(client, tenant, status=status, body="Original")
    url = f"/v1/messages/{message['id']}"
    response = client.patch(url, json={"body": "Changed", "tags": ["late"]}, headers=tenant.bearer)
    assert response.status_code == 409
    assert fields_of(response.json()) == ["body", "tags"]
    assert status in response.json()["detail"]
    assert client.get(url, headers=tenant.bearer).json()["body"] == "Original"


@pytest.mark.parametrize("status", ["Draft", "Scheduled", "Paused"])
def test_content_can_change_before_sending_and_while_paused(
    client: TestClient, tenant: TenantKey, status: str
) -> None:
    message = create_message(client, tenant, status=status)
    response = client.patch(f"/v1/messages/{message['id']}", json={"body": "Changed"}, headers=tenant.bearer)
    assert response.status_code == 200
    assert response.json()["body"] == "Changed"


def test_content_and_status_change_together_judged_on_the_status_before(
    client: TestClient, tenant: TenantKey
) -> None:
    paused = create_message(client, tenant, status="Paused")
    url = f"/v1/messages/{paused['id']}"
    response = client.patch(url, json={"body": "Resumed", "status": "InProgress"}, headers=tenant.bearer)
    assert response.status_code == 200
    assert (response.json()["body"], response.json()["status"]) == ("Resumed", "InProgress")
    assert (
        client.patch(url, json={"body": "again", "status": "Paused"}, headers=tenant.bearer).status_code
        == 409
    )


def test_delete_marks_deleted_keeps_the_message_and_is_idempotent(
    client: TestClient, tenant: TenantKey
) -> None:
    message = create_message(client, tenant, status="Sent")
    url = f"/v1/messages/{message['id']}"
    response = client.delete(url, headers=tenant.bearer)
    assert response.status_code == 204
    assert response.content == b""
    assert client.get(url, headers=tenant.bearer).json()["status"] == "Deleted"
    assert client.delete(url, headers=tenant.bearer).status_code == 204


def test_a_message_in_progress_cannot_be_deleted(client: TestClient, tenant: TenantKey) -> None:
    message = create_message(client, tenant, status="InProgress")
    response = client.delete(f"/v1/messages/{message['id']}", headers=tenant.bearer)
    assert response.status_code == 409
    assert response.json()["detail"].endswith("allowed from InProgress: Sent, Paused")


def test_listing_pages_by_id_and_leaves_deleted_out_unless_asked(
    client: TestClient, tenant: TenantKey
) -> None:
    ids = [create_message(client, tenant, campaign_description=f"m{n}")["id"] for n in range(5)]
    client.delete(f"/v1/messages/{ids[2]}", headers=tenant.bearer)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/messages", params=params, headers=tenant.bearer).json()
        seen += [m["id"] for m in page["data"]]
        pages += 1
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert seen == [ids[0], ids[1], ids[3], ids[4]]
    assert pages == 2
    deleted = client.get("/v1/messages", params={"status": "Deleted"}, headers=tenant.bearer).json()["data"]
    assert [m["id"] for m in deleted] == [ids[2]]


def test_listing_filters_by_channel_type_status_and_tag(client: TestClient, tenant: TenantKey) -> None:
    sms = create_message(client, tenant, tags=["sports"])["id"]
    mms = create_message(client, tenant, channel="mms", type="WorkflowMessage", tags=["news", "sports"])["id"]
    email = create_message(client, tenant, channel="email", status="Sent", tags=["sport"])["id"]

    def ids(**params: str) -> list[int]:
        response = client.get("/v1/messages", params=params, headers=tenant.bearer)
        assert response.status_code == 200, response.text
        return [m["id"] for m in response.json()["data"]]

    assert ids() == [sms, mms, email]
    assert ids(channel="mms") == [mms]
    assert ids(type="WorkflowMessage") == [mms]
    assert ids(status="Sent") == [email]
    assert ids(tag="sports") == [sms, mms]
    assert ids(tag="sport") == [email]
    assert ids(tag="sports", channel="sms") == [sms]
    assert client.get("/v1/messages", params={"channel": "fax"}, headers=tenant.bearer).status_code == 422
    assert client.get("/v1/messages", params={"cursor": "!!"}, headers=tenant.bearer).status_code == 400


def test_openapi_documents_the_endpoints_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"get", "post"} <= set(spec["paths"]["/v1/messages"])
    assert {"get", "patch", "delete"} <= set(spec["paths"]["/v1/messages/{message_id}"])
    assert spec["components"]["schemas"]["MessageCreate"]["examples"]
    assert "Draft" in spec["paths"]["/v1/messages/{message_id}"]["patch"]["description"]
