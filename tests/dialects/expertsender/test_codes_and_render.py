"""The dialect's pure parts: mapping tables (total), query parsing, and rendering without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from lxml import etree

from herald import errors
from herald.api.expertsender import codes, parse, render
from herald.api.expertsender.views import SmsMessageDetail, SmsMessageSummary
from herald.errors import InvalidInput
from herald.messages.schemas import (
    GoogleAnalyticsTag,
    MessageStatus,
    MessageType,
    NamedTarget,
    ThrottlingMethod,
)
from herald.types import Channel


def test_mapping_tables_are_total_and_invertible() -> None:
    assert set(codes.MESSAGE_TYPE_TO_VENDOR) == set(MessageType)
    assert set(codes.THROTTLING_METHOD_TO_VENDOR) == set(ThrottlingMethod)
    assert set(codes.STATUS_TO_VENDOR) == set(MessageStatus)
    assert {v.lower(): k for k, v in codes.MESSAGE_TYPE_TO_VENDOR.items()} == dict(
        codes.MESSAGE_TYPE_FROM_VENDOR
    )
    # The vendor's documented ThrottlingMethod and Status words, exactly.
    assert sorted(codes.THROTTLING_METHOD_TO_VENDOR.values()) == ["Auto", "Manual", "None"]
    assert sorted(codes.STATUS_TO_VENDOR.values()) == sorted(
        ["Scheduled", "InProgress", "Sent", "Paused", "Draft", "Deleted"]
    )


def test_every_herald_error_has_a_documented_vendor_status() -> None:
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.HeraldError)]
    assert set(classes) <= set(codes.ERROR_STATUS)
    for cls in classes:
        assert codes.error_status(cls("x")) in {400, 403, 404, 500}
    assert codes.error_status(errors.Unauthenticated("x")) == 403  # ExpertSender has no 401

    class Custom(errors.NotFound):
        pass

    assert codes.error_status(Custom("x")) == 404


def test_query_names_ignore_case_first_non_empty_wins() -> None:
    params = parse.query_params(b"APIKEY=a&apikey=b&Tag=&tag=x+y&startDate=%32016-01-01&weird=%ff")
    assert params == {"apikey": "a", "tag": "x y", "startdate": "2016-01-01", "weird": "\ufffd"}


@pytest.mark.parametrize(
    ("segment", "expected"), [("12", 12), ("+12", 12), ("0", None), ("-3", None), ("9" * 30, None)]
)
def test_message_id_integers(segment: str, expected: int | None) -> None:
    assert parse.message_id(segment) == expected


def test_list_query_keeps_the_time_zone_and_days() -> None:
    query = parse.list_query(
        {"startdate": "2016-05-20", "enddate": "2016-05-22", "type": "NEWSLETTER", "tag": "t"},
        timezone="Asia/Tokyo",
    )
    assert (query.start_date, query.end_date, query.type, query.tag, query.timezone) == (
        date(2016, 5, 20),
        date(2016, 5, 22),
        MessageType.NEWSLETTER,
        "t",
        "Asia/Tokyo",
    )


def test_a_long_bad_value_is_shortened_in_the_error() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse.list_query({"type": "x" * 500}, timezone="UTC")
    assert len(caught.value.detail) < 200


def test_local_time_has_no_offset_and_a_four_digit_year() -> None:
    instant = datetime(2016, 5, 21, 14, 9, 15, tzinfo=UTC)
    assert render.local_time(instant, "UTC") == "2016-05-21T14:09:15"
    assert render.local_time(instant, "America/New_York") == "2016-05-21T10:09:15"
    assert render.local_time(datetime(5, 1, 1, tzinfo=UTC), "UTC") == "0005-01-01T00:00:00"
    assert render.local_time(datetime(9999, 12, 31, 23, tzinfo=UTC), "Asia/Tokyo") == "9999-12-31T23:00:00"
    assert render.local_time(instant, "Not/AZone") == "2016-05-21T14:09:15"


def _detail(**overrides: object) -> SmsMessageDetail:
    fields: dict[str, object] = {
        "id": 7,
        "channel": Channel.SMS,
        "type": MessageType.NEWSLETTER,
        "sent_at": None,
        "tags": (),
        "sender": "",
        "campaign_description": "",
        "subject": "ignored for SMS",
        "throttling_method": ThrottlingMethod.NONE,
        "throttling_hours": None,
        "google_analytics_tags": (),
        "lists": (),
        "segments": (),
        "excluded_lists": (),
        "excluded_segments": (),
        "status": MessageStatus.DRAFT,
    }
    fields.update(overrides)
    return SmsMessageDetail(**fields)  # type: ignore[arg-type]


def test_detail_renders_every_element_in_one_order() -> None:
    body = render.message_detail(
        _detail(
            channel=Channel.MMS,
            subject="S",
            sent_at=datetime(2016, 5, 21, 14, 9, 15, tzinfo=UTC),
            tags=("a", "b"),
            throttling_method=ThrottlingMethod.MANUAL,
            throttling_hours=2,
            google_analytics_tags=(GoogleAnalyticsTag(name="utm_source", value="x"),),
            lists=(NamedTarget(id=1, name="l"),),
            segments=(NamedTarget(id=2, name="s"),),
            excluded_lists=(NamedTarget(id=3, name="el"),),
            excluded_segments=(NamedTarget(id=4, name="es"),),
        ),
        timezone="UTC",
    )
    data = etree.fromstring(body)[0]
    assert [child.tag for child in data] == [
        "Id", "Type", "SentDate", "Sender", "CampaignDescription", "Subject", "ExcludedLists",
        "ExcludedSegments", "Tags", "ThrottlingMethod", "Throttling", "GoogleAnalyticsTags", "Lists",
        "Segments", "Status",
    ]  # fmt: skip


def test_empty_texts_are_self_closing_and_sms_has_no_subject() -> None:
    body = render.message_detail(_detail(), timezone="UTC")
    assert b"<Sender />" in body
    assert b"<CampaignDescription />" in body
    assert b"Subject" not in body
    assert b"Throttling>" not in body  # only the ThrottlingMethod element


def test_listing_order_and_empty_listing() -> None:
    summary = SmsMessageSummary(
        id=1,
        channel=Channel.MMS,
        type=MessageType.WORKFLOW_MESSAGE,
        sent_at=None,
        tags=("x",),
        sender="s",
        campaign_description="c",
        subject="subj",
    )
    message = etree.fromstring(render.message_list([summary], timezone="UTC"))[0][0][0]
    assert [child.tag for child in message] == [
        "Id",
        "Type",
        "Tags",
        "Sender",
        "CampaignDescription",
        "Subject",
    ]
    assert b"<Messages />" in render.message_list([], timezone="UTC")


def test_error_texts_with_characters_xml_cannot_carry_still_render() -> None:
    body = render.error(400, "bad \x00\x1b value \ud800")
    root = etree.fromstring(body)
    assert root.findtext("ErrorMessage/Code") == "400"
    assert root.findtext("ErrorMessage/Message") == "bad \ufffd\ufffd value \ufffd"
