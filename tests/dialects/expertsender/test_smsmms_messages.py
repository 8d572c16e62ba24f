"""GET /v2/Api/SmsMmsMessages[/{id}]: the spec's three examples, the filters, and how clients reach it."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as StdET

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from herald.db.engine import Database
from tests.conftest import TenantKey, make_tenant
from tests.dialects.expertsender.conftest import (
    LIST_PATH,
    XSD,
    XSI,
    Example893,
    data_of,
    es_get,
    golden_lines,
    lines,
    listed,
    listed_ids,
    make_example_893,
    parse,
    sms,
)
from tests.messages.factories import create_contact, create_list, record_sends

_PHONES = itertools.count(1)


def send(client: TestClient, tenant: TenantKey, message_id: int, *times: str) -> None:
    contact = create_contact(client, tenant, f"+4870{next(_PHONES):08d}")
    for at in times:
        record_sends(client, tenant, message_id, [contact], at)


# --- the spec's examples -------------------------------------------------------------------------


def test_spec_example_message_893(client: TestClient, tenant: TenantKey, example_893: Example893) -> None:
    response = es_get(client, f"/v2/Api/SmsMmsMessages/{example_893.message_id}", tenant.key)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert lines(response.content) == golden_lines("message_893.xml", example_893.ids())


def test_spec_example_google_analytics_tags_123951(client: TestClient, tenant: TenantKey) -> None:
    message_id = sms(
        client,
        tenant,
        sender="SmsApiTest",
        campaign_description="Google Analytics tags test",
        throttling_method="Auto",
        google_analytics_tags=[
            {"name": "utm_source", "value": "testsource"},
            {"name": "utm_medium", "value": "Email"},
            {"name": "utm_content", "value": "testcontent"},
            {"name": "utm_campaign", "value": "testcampaign"},
        ],
        status="Draft",
    )
    response = es_get(client, f"/v2/Api/SmsMmsMessages/{message_id}", tenant.key)
    expected = golden_lines("message_123951_google_analytics.xml", {"Data": {123951: message_id}})
    got = lines(response.content)
    # The vendor printed this one's two namespace declarations the other way round; the rest is identical.
    assert got[1:] == expected[1:]
    assert parse(response).nsmap == etree.fromstring(expected[0] + "</ApiResponse>").nsmap


def test_spec_example_list_since_2016_05_19(client: TestClient, tenant: TenantKey) -> None:
    sent_before = sms(client, tenant, campaign_description="sent on the 18th only")
    send(client, tenant, sent_before, "2016-05-18T23:59:59Z")
    m892 = sms(client, tenant, sender="John Smith", campaign_description="test newsletter", status="Sent")
    send(client, tenant, m892, "2016-05-19T19:35:08Z", "2016-05-20T08:00:00Z")
    example = make_example_893(client, tenant)
    sms(client, tenant, campaign_description="never sent")
    email = sms(client, tenant, channel="email", sender="news@example.com", subject="Hi")
    send(client, tenant, email, "2016-05-20T10:00:00Z")

    response = client.get(f"/v2/Api/SmsMmsMessages?startDate=2016-05-19&apiKey={tenant.key}")
    ids = {"Message": {892: m892, 893: example.message_id}}
    assert lines(response.content) == golden_lines("list_startdate_2016-05-19.xml", ids)


# --- SentDate, date range, filters ---------------------------------------------------------------


def test_without_dates_every_sms_and_mms_message_is_listed_by_id(
    client: TestClient, tenant: TenantKey
) -> None:
    never = sms(client, tenant, campaign_description="draft", status="Draft")
    mms = sms(client, tenant, channel="mms", subject="Picture", tags=["a", "b"])
    send(client, tenant, mms, "2020-01-02T03:04:05Z", "2019-12-31T23:00:00Z")
    sms(client, tenant, channel="email", sender="a@example.com")
    rows = listed(es_get(client, LIST_PATH, tenant.key))
    assert [row["Id"] for row in rows] == [str(never), str(mms)]
    assert list(rows[0]) == ["Id", "Type", "Sender", "CampaignDescription"]
    assert rows[1] == {
        "Id": str(mms),
        "Type": "Newsletter",
        "SentDate": "2019-12-31T23:00:00",
        "Tags": "a,b",
        "Sender": "SmsApiTest",
        "CampaignDescription": None,
        "Subject": "Picture",
    }
    assert list(rows[1]) == ["Id", "Type", "SentDate", "Tags", "Sender", "CampaignDescription", "Subject"]


def test_sent_date_is_the_first_send_inside_the_range(client: TestClient, tenant: TenantKey) -> None:
    message_id = sms(client, tenant, type="WorkflowMessage")
    send(
        client,
        tenant,
        message_id,
        "2016-05-22T08:00:00Z",
        "2016-05-18T10:00:00Z",
        "2016-05-20T00:00:00Z",
    )

    def sent_date(**params: str) -> str | None:
        rows = listed(es_get(client, LIST_PATH, tenant.key, **params))
        return rows[0].get("SentDate") if rows else "not listed"

    assert sent_date() == "2016-05-18T10:00:00"
    assert sent_date(startDate="2016-05-19") == "2016-05-20T00:00:00"
    assert sent_date(startDate="2016-05-21", endDate="2016-05-22") == "2016-05-22T08:00:00"
    assert sent_date(endDate="2016-05-19") == "2016-05-18T10:00:00"
    assert sent_date(startDate="2016-05-19", endDate="2016-05-19") == "not listed"
    assert sent_date(startDate="2016-05-20", endDate="2016-05-20") == "2016-05-20T00:00:00"
    assert sent_date(startDate="2016-05-23") == "not listed"
    detail = data_of(es_get(client, f"{LIST_PATH}/{message_id}", tenant.key, startDate="2016-05-21"))
    assert detail.findtext("SentDate") == "2016-05-18T10:00:00"  # the detail takes no range: first send ever


def test_days_and_sent_date_are_in_the_accounts_time_zone(client: TestClient, database: Database) -> None:
    warsaw = make_tenant(database, "warsaw", timezone="Europe/Warsaw")
    message_id = sms(client, warsaw)
    send(client, warsaw, message_id, "2016-05-21T22:30:00Z")  # 00:30 on the 22nd in Warsaw (+02:00)
    assert listed(es_get(client, LIST_PATH, warsaw.key))[0]["SentDate"] == "2016-05-22T00:30:00"
    assert listed_ids(es_get(client, LIST_PATH, warsaw.key, endDate="2016-05-21")) == []
    assert listed_ids(es_get(client, LIST_PATH, warsaw.key, startDate="2016-05-22")) == [message_id]
    detail = data_of(es_get(client, f"{LIST_PATH}/{message_id}", warsaw.key))
    assert detail.findtext("SentDate") == "2016-05-22T00:30:00"


def test_tag_filter_matches_one_tag_exactly(client: TestClient, tenant: TenantKey) -> None:
    sports = sms(client, tenant, tags=["news", "sports"])
    sms(client, tenant, tags=["sport"])
    sms(client, tenant, tags=["Sports"])
    assert listed_ids(es_get(client, LIST_PATH, tenant.key, tag="sports")) == [sports]
    assert listed_ids(es_get(client, LIST_PATH, tenant.key, tag="nothing")) == []


@pytest.mark.parametrize("value", ["WorkflowMessage", "workflowmessage", "WORKFLOWMESSAGE"])
def test_type_filter_ignores_case(client: TestClient, tenant: TenantKey, value: str) -> None:
    sms(client, tenant, type="Newsletter")
    workflow = sms(client, tenant, type="WorkflowMessage", channel="mms")
    assert listed_ids(es_get(client, LIST_PATH, tenant.key, type=value)) == [workflow]


def test_all_filters_together_as_in_the_spec_url(client: TestClient, tenant: TenantKey) -> None:
    wanted = sms(client, tenant, type="WorkflowMessage", tags=["sports"])
    send(client, tenant, wanted, "2016-05-21T12:00:00Z")
    other_type = sms(client, tenant, type="Newsletter", tags=["sports"])
    send(client, tenant, other_type, "2016-05-21T12:00:00Z")
    other_day = sms(client, tenant, type="WorkflowMessage", tags=["sports"])
    send(client, tenant, other_day, "2016-05-23T00:00:00Z")
    response = client.get(
        f"/v2/Api/SmsMmsMessages?apiKey={tenant.key}&tag=sports&startDate=2016-05-20&endDate=2016-05-22&type=WorkflowMessage"
    )
    assert listed_ids(response) == [wanted]


def test_an_empty_list_is_an_empty_messages_element(client: TestClient, tenant: TenantKey) -> None:
    response = es_get(client, LIST_PATH, tenant.key)
    assert lines(response.content) == [
        f'<ApiResponse xmlns:xsi="{XSI}" xmlns:xsd="{XSD}">',
        "<Data>",
        "<Messages />",
        "</Data>",
        "</ApiResponse>",
    ]
    assert listed(response) == []


# --- detail rendering ----------------------------------------------------------------------------


def test_mms_detail_carries_subject_and_segments_in_order(client: TestClient, tenant: TenantKey) -> None:
    from tests.messages.factories import create_segment

    lists = [create_list(client, tenant, f"list {n}") for n in range(2)]
    segments = [create_segment(client, tenant, f"segment {n}") for n in range(2)]
    message_id = sms(
        client,
        tenant,
        channel="mms",
        subject="Łódź & <friends>",
        type="WorkflowMessage",
        list_ids=[lists[1], lists[0]],
        segment_ids=[segments[1], segments[0]],
        status="InProgress",
    )
    response = es_get(client, f"/Api/SmsMmsMessages/{message_id}", tenant.key)
    data = data_of(response)
    assert [child.tag for child in data] == [
        "Id", "Type", "Sender", "CampaignDescription", "Subject", "ThrottlingMethod", "Lists", "Segments"
    ]  # fmt: skip
    assert data.findtext("Subject") == "Łódź & <friends>"
    assert "Łódź" in response.text  # UTF-8 and declared as such
    assert [e.text for e in data.iterfind("Lists/List/Id")] == [str(lists[1]), str(lists[0])]
    assert [e.text for e in data.iterfind("Segments/Segment/Name")] == ["segment 1", "segment 0"]
    assert data.findtext("ThrottlingMethod") == "None"
    assert data.find("Status") is None  # only newsletters carry a status


def test_a_deleted_message_still_answers_with_status_deleted(
    client: TestClient, tenant: TenantKey, example_893: Example893
) -> None:
    assert client.delete(f"/v1/messages/{example_893.message_id}", headers=tenant.bearer).status_code == 204
    data = data_of(es_get(client, f"{LIST_PATH}/{example_893.message_id}", tenant.key))
    assert data.findtext("Status") == "Deleted"
    assert data.findtext("SentDate") == "2016-05-21T14:09:15"


def test_a_list_deleted_after_its_message_is_left_out_of_the_message(
    client: TestClient, tenant: TenantKey, example_893: Example893
) -> None:
    in_use = client.delete(f"/v1/lists/{example_893.list_id}", headers=tenant.bearer)
    assert in_use.status_code == 409, in_use.text
    assert client.delete(f"/v1/messages/{example_893.message_id}", headers=tenant.bearer).status_code == 204
    deleted = client.delete(f"/v1/lists/{example_893.list_id}", headers=tenant.bearer)
    assert deleted.status_code == 204, deleted.text
    data = data_of(es_get(client, f"{LIST_PATH}/{example_893.message_id}", tenant.key))
    assert data.findtext("Status") == "Deleted"
    assert data.find("Lists") is None
    assert data.findtext("ExcludedLists/List/Name") == "jp1"


# --- how clients reach it ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/v2/Api/SmsMmsMessages",
        "/v2/Api/SmsMmsMessages/",
        "/Api/SmsMmsMessages",
        "/Api/SmsMmsMessages/",
        "/V2/API/SMSMMSMESSAGES",
        "/v2/api/smsmmsmessages/",
        "/api/SmsMMSMessages",
    ],
)
def test_list_paths_ignore_case_v2_and_trailing_slash(
    client: TestClient, tenant: TenantKey, example_893: Example893, path: str
) -> None:
    assert listed_ids(es_get(client, path, tenant.key)) == [example_893.message_id]


@pytest.mark.parametrize(
    "template",
    [
        "/v2/Api/SmsMmsMessages/{}",
        "/Api/SmsMmsMessages/{}/",
        "/V2/aPi/smsmmsMESSAGES/{}",
        "/api/smsmmsmessages/{}",
    ],
)
def test_detail_paths_ignore_case_v2_and_trailing_slash(
    client: TestClient, tenant: TenantKey, example_893: Example893, template: str
) -> None:
    data = data_of(es_get(client, template.format(example_893.message_id), tenant.key))
    assert data.findtext("Id") == str(example_893.message_id)


@pytest.mark.parametrize("name", ["apiKey", "APIKEY", "apikey", "ApiKey"])
def test_parameter_names_ignore_case(
    client: TestClient, tenant: TenantKey, example_893: Example893, name: str
) -> None:
    response = client.get(
        f"{LIST_PATH}?{name}={tenant.key}&STARTDATE=2016-05-21&EndDate=2016-05-21&TYPE=newsletter&TAG=test%201"
    )
    assert listed_ids(response) == [example_893.message_id]


def test_empty_values_count_as_absent_and_unknown_parameters_are_ignored(
    client: TestClient, tenant: TenantKey, example_893: Example893
) -> None:
    response = client.get(f"{LIST_PATH}?apiKey={tenant.key}&tag=&startDate=&type=&format=json&x")
    assert listed_ids(response) == [example_893.message_id]


def test_head_answers_like_get_without_a_body(
    client: TestClient, tenant: TenantKey, example_893: Example893
) -> None:
    get = es_get(client, LIST_PATH, tenant.key)
    head = client.head(LIST_PATH, params={"apiKey": tenant.key})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == "text/xml; charset=utf-8"
    assert head.headers["content-length"] == str(len(get.content))


def test_responses_parse_in_lxml_and_the_standard_library(
    client: TestClient, tenant: TenantKey, example_893: Example893
) -> None:
    for response in (
        es_get(client, LIST_PATH, tenant.key),
        es_get(client, f"{LIST_PATH}/{example_893.message_id}", tenant.key),
        es_get(client, f"{LIST_PATH}/0", tenant.key),
    ):
        assert not response.content.startswith(b"<?xml")
        assert response.encoding == "utf-8"
        lxml_root = etree.fromstring(response.content)
        std_root = StdET.fromstring(response.text)
        assert lxml_root.tag == std_root.tag == "ApiResponse"
        assert b'xmlns="' not in response.content  # no default namespace
    detail = etree.fromstring(es_get(client, f"{LIST_PATH}/{example_893.message_id}", tenant.key).content)
    # The xpaths the vendor's PHP/Ruby/Python clients use.
    assert detail.xpath("/ApiResponse/Data/Tags/text()") == ["test 1"]
    assert detail.xpath("//ExcludedSegments/Segment/Name/text()") == ["ludzie z telefonem - losowy 1000"]
    listing = StdET.fromstring(es_get(client, LIST_PATH, tenant.key).content)
    assert [e.text for e in listing.findall("./Data/Messages/Message/Id")] == [str(example_893.message_id)]
