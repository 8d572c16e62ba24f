"""Views → ExpertSender XML bytes, shaped as the vendor's examples (no session, no HTTP here).

What real clients need (NOTES.md): the ``xsi``/``xsd`` namespace declarations and no default namespace,
no XML declaration (lxml refuses a decoded string that carries one), UTF-8, an empty list as
``<Messages />``, optional elements left out when empty, and ``SentDate`` as ``yyyy-MM-ddTHH:mm:ss`` in
the account's time zone without an offset.

Element order of one message, one sequence that reproduces each of the spec's examples (893 and 123951):
Id, Type, SentDate, Sender, CampaignDescription, Subject, ExcludedLists, ExcludedSegments, Tags,
ThrottlingMethod, Throttling, GoogleAnalyticsTags, Lists, Segments, Status. In a listing:
Id, Type, SentDate, Tags, Sender, CampaignDescription, Subject.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from lxml import etree

from herald.api.expertsender import codes
from herald.api.expertsender.views import SmsMessageDetail, SmsMessageSummary
from herald.messages.schemas import MessageType, NamedTarget, ThrottlingMethod
from herald.timezones import zone
from herald.types import Channel

CONTENT_TYPE = "text/xml; charset=utf-8"
NAMESPACES = {
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "xsd": "http://www.w3.org/2001/XMLSchema",
}
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: str) -> str:
    # Stored texts are checked on the way in; this keeps an echoed request value from breaking the XML.
    return _NOT_XML_CHAR.sub("\ufffd", value)


def _add(parent: etree._Element, name: str, text: str | int) -> etree._Element:
    element = etree.SubElement(parent, name)
    element.text = _text(str(text)) or None  # an empty string is written <Name />, as .NET does
    return element


def local_time(instant: datetime, timezone: str) -> str:
    """``yyyy-MM-ddTHH:mm:ss`` of ``instant`` in ``timezone``, no offset (``xs:dateTime`` without zone)."""
    try:
        local = instant.astimezone(zone(timezone))
    except OverflowError:  # the first or last hours of year 1 or 9999 cannot move zone
        local = instant
    return local.replace(tzinfo=None).isoformat(timespec="seconds")


def _root() -> etree._Element:
    return etree.Element("ApiResponse", nsmap=NAMESPACES)


def _serialize(root: etree._Element) -> bytes:
    body = etree.tostring(root, encoding="utf-8", xml_declaration=False, pretty_print=True)
    # .NET writes empty elements as <Messages />; lxml as <Messages/>. "/>" can only close an empty
    # element here: lxml escapes ">" in text, and this document has no attributes besides xmlns.
    return body.replace(b"/>", b" />")


def _sent_date(parent: etree._Element, sent_at: datetime | None, timezone: str) -> None:
    if sent_at is not None:
        _add(parent, "SentDate", local_time(sent_at, timezone))


def _tags(parent: etree._Element, tags: Sequence[str]) -> None:
    if tags:
        _add(parent, "Tags", ",".join(tags))


def _subject(parent: etree._Element, channel: Channel, subject: str | None) -> None:
    if channel is Channel.MMS and subject:
        _add(parent, "Subject", subject)


def _targets(parent: etree._Element, container: str, item: str, targets: Sequence[NamedTarget]) -> None:
    if not targets:
        return
    group = etree.SubElement(parent, container)
    for target in targets:
        element = etree.SubElement(group, item)
        _add(element, "Id", target.id)
        _add(element, "Name", target.name)


def message_list(views: Sequence[SmsMessageSummary], *, timezone: str) -> bytes:
    """``Data/Messages/Message`` rows; ``<Messages />`` when there are none."""
    root = _root()
    messages = etree.SubElement(etree.SubElement(root, "Data"), "Messages")
    for view in views:
        message = etree.SubElement(messages, "Message")
        _add(message, "Id", view.id)
        _add(message, "Type", codes.MESSAGE_TYPE_TO_VENDOR[view.type])
        _sent_date(message, view.sent_at, timezone)
        _tags(message, view.tags)
        _add(message, "Sender", view.sender)
        _add(message, "CampaignDescription", view.campaign_description)
        _subject(message, view.channel, view.subject)
    return _serialize(root)


def message_detail(view: SmsMessageDetail, *, timezone: str) -> bytes:
    """One message's elements directly under ``Data``."""
    root = _root()
    data = etree.SubElement(root, "Data")
    _add(data, "Id", view.id)
    _add(data, "Type", codes.MESSAGE_TYPE_TO_VENDOR[view.type])
    _sent_date(data, view.sent_at, timezone)
    _add(data, "Sender", view.sender)
    _add(data, "CampaignDescription", view.campaign_description)
    _subject(data, view.channel, view.subject)
    _targets(data, "ExcludedLists", "List", view.excluded_lists)
    _targets(data, "ExcludedSegments", "Segment", view.excluded_segments)
    _tags(data, view.tags)
    _add(data, "ThrottlingMethod", codes.THROTTLING_METHOD_TO_VENDOR[view.throttling_method])
    if view.throttling_method is ThrottlingMethod.MANUAL and view.throttling_hours is not None:
        _add(data, "Throttling", view.throttling_hours)
    if view.google_analytics_tags:
        group = etree.SubElement(data, "GoogleAnalyticsTags")
        for tag in view.google_analytics_tags:
            element = etree.SubElement(group, "GoogleAnalyticsTag")
            _add(element, "Name", tag.name)
            _add(element, "Value", tag.value)
    _targets(data, "Lists", "List", view.lists)
    _targets(data, "Segments", "Segment", view.segments)
    if view.type is MessageType.NEWSLETTER:
        _add(data, "Status", codes.STATUS_TO_VENDOR[view.status])
    return _serialize(root)


def error(code: int, message: str) -> bytes:
    """``ErrorMessage`` with ``Code`` (= the HTTP status) and ``Message``, as every vendor client reads it."""
    root = _root()
    element = etree.SubElement(root, "ErrorMessage")
    _add(element, "Code", code)
    _add(element, "Message", message)
    return _serialize(root)
