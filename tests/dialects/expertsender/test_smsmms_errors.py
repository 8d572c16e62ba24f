"""Every ExpertSender error: its status, and the XML ``ErrorMessage`` (Code = status, Message) it comes in."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from herald.api.expertsender import views
from tests.conftest import TenantKey
from tests.dialects.expertsender.conftest import LIST_PATH, Example893, assert_error, es_get, listed_ids, sms


def test_missing_api_key_is_403(client: TestClient) -> None:
    assert_error(client.get(LIST_PATH), 403, "API key")
    assert_error(client.get(f"{LIST_PATH}/1"), 403, "API key")
    assert_error(client.get(f"{LIST_PATH}?apiKey="), 403, "API key")


@pytest.mark.parametrize("key", ["nope", "hk_unknown", "hk_" + "x" * 300, "Bearer%20hk_x"])
def test_wrong_api_key_is_403(client: TestClient, tenant: TenantKey, key: str) -> None:
    assert_error(client.get(f"{LIST_PATH}?apiKey={key}"), 403, "Invalid API key")


def test_the_key_is_checked_before_the_parameters(client: TestClient) -> None:
    assert_error(client.get(f"{LIST_PATH}?apiKey=nope&startDate=bad"), 403)
    assert_error(client.get(f"{LIST_PATH}/abc?apiKey=nope"), 403)


@pytest.mark.parametrize("name", ["startDate", "endDate"])
@pytest.mark.parametrize(
    "value",
    [
        "2016-5-20",
        "20160520",
        "2016/05/20",
        "yesterday",
        "2016-05-20T00:00:00",
        "\uff10\uff12\uff10\uff11\uff16-05-20",
        "2016-05-20 ",
    ],
)
def test_a_date_not_in_yyyy_mm_dd_is_400_naming_the_parameter_and_format(
    client: TestClient, tenant: TenantKey, name: str, value: str
) -> None:
    message = assert_error(es_get(client, LIST_PATH, tenant.key, **{name: value}), 400, name, "YYYY-MM-DD")
    assert message.startswith(f"Invalid {name} ")


@pytest.mark.parametrize("value", ["2016-02-30", "2016-13-01", "2015-02-29", "0000-01-01", "2016-00-10"])
def test_a_date_that_does_not_exist_is_400(client: TestClient, tenant: TenantKey, value: str) -> None:
    assert_error(
        es_get(client, LIST_PATH, tenant.key, startDate=value), 400, "startDate", value, "YYYY-MM-DD"
    )


def test_start_after_end_is_400(client: TestClient, tenant: TenantKey) -> None:
    assert_error(
        es_get(client, LIST_PATH, tenant.key, startDate="2016-05-22", endDate="2016-05-20"),
        400,
        "startDate 2016-05-22 is after endDate 2016-05-20",
    )


def test_the_same_start_and_end_day_is_a_valid_range(client: TestClient, tenant: TenantKey) -> None:
    assert (
        listed_ids(es_get(client, LIST_PATH, tenant.key, startDate="2016-05-20", endDate="2016-05-20")) == []
    )


@pytest.mark.parametrize("value", ["Autoresponder", "news letter", "0", "Newsletter,WorkflowMessage"])
def test_an_unknown_type_is_400_listing_the_valid_values(
    client: TestClient, tenant: TenantKey, value: str
) -> None:
    assert_error(
        es_get(client, LIST_PATH, tenant.key, type=value), 400, "type", "Newsletter, WorkflowMessage"
    )


@pytest.mark.parametrize("segment", ["abc", "1.5", "1e3", "0x10", "%20", "١٢", "12abc"])
def test_a_non_integer_id_is_400(client: TestClient, tenant: TenantKey, segment: str) -> None:
    assert_error(es_get(client, f"{LIST_PATH}/{segment}", tenant.key), 400, "expected an integer")


@pytest.mark.parametrize("segment", ["999999", "0", "-5", "+999999", str(2**31), "9" * 40])
def test_an_id_of_no_message_is_404(client: TestClient, tenant: TenantKey, segment: str) -> None:
    assert_error(es_get(client, f"{LIST_PATH}/{segment}", tenant.key), 404, "not found")


def test_an_email_message_is_404(client: TestClient, tenant: TenantKey) -> None:
    email = sms(client, tenant, channel="email", sender="news@example.com", subject="Hi")
    assert_error(es_get(client, f"{LIST_PATH}/{email}", tenant.key), 404, f"message {email} not found")
    assert listed_ids(es_get(client, LIST_PATH, tenant.key)) == []


def test_another_accounts_message_is_404_and_not_listed(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey, example_893: Example893
) -> None:
    assert_error(es_get(client, f"{LIST_PATH}/{example_893.message_id}", other_tenant.key), 404)
    assert listed_ids(es_get(client, LIST_PATH, other_tenant.key)) == []
    assert listed_ids(es_get(client, LIST_PATH, tenant.key)) == [example_893.message_id]


@pytest.mark.parametrize(
    "path",
    [
        "/api",
        "/v2/api/",
        "/v2/Api/Nothing",
        "/v2/Api/SmsMmsMessage",
        "/v2/Api/SmsMmsMessages/1/Extra",
        "/v2/Api/SmsMmsMessages//",
        "/v2/Api/SmsMmsMessages/1/2",
        "/Api/SmsMmsMessagesX",
    ],
)
def test_an_unknown_path_is_404_in_xml(client: TestClient, tenant: TenantKey, path: str) -> None:
    assert_error(client.get(path, params={"apiKey": tenant.key}), 404, "not found")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", [LIST_PATH, f"{LIST_PATH}/1", "/Api/smsmmsmessages/"])
def test_other_methods_are_405_with_allow(
    client: TestClient, tenant: TenantKey, method: str, path: str
) -> None:
    response = client.request(method, path, params={"apiKey": tenant.key}, content=b"<ApiRequest/>")
    assert_error(response, 405, method)
    assert response.headers["allow"] == "GET, HEAD"


def test_an_unexpected_error_is_500_in_xml_without_details(
    client: TestClient, tenant: TenantKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(views, "message_summaries", explode)
    monkeypatch.setattr(views, "message_detail", explode)
    for path in (LIST_PATH, f"{LIST_PATH}/1"):
        response = es_get(client, path, tenant.key)
        message = assert_error(response, 500, "Internal server error")
        assert "secret" not in response.text
        assert "RuntimeError" not in message


def test_head_of_an_error_has_its_status_and_no_body(client: TestClient) -> None:
    response = client.head(LIST_PATH)
    assert response.status_code == 403
    assert response.content == b""
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
