"""The ExpertSender SmsMmsMessages examples rebuilt through the native API, and XML assertions."""

from __future__ import annotations

import re
import xml.etree.ElementTree as StdET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from tests.conftest import TenantKey
from tests.messages.factories import (
    create_contact,
    create_list,
    create_message,
    create_segment,
    record_sends,
)

GOLDEN = Path(__file__).parent / "golden"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
LIST_PATH = "/v2/Api/SmsMmsMessages"
_OPEN = re.compile(r"^<(\w+)(?:\s[^>]*[^/])?>$")
_CLOSE = re.compile(r"^</(\w+)>$")
_ID = re.compile(r"^<Id>(\d+)</Id>$")


def es_get(client: TestClient, path: str, key: str | None, **params: str) -> httpx.Response:
    query = {**({"apiKey": key} if key is not None else {}), **params}
    response: httpx.Response = client.get(path, params=query)
    return response


def lines(xml: bytes | str) -> list[str]:
    """The document's lines without indentation: the vendor's examples are printed the same way."""
    text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    return [line.strip() for line in text.splitlines() if line.strip()]


def golden_lines(name: str, ids: dict[str, dict[int, int]]) -> list[str]:
    """A spec example's lines with its ids replaced by ours: ``ids[parent][spec_id]`` (parent Data,
    Message, List or Segment: the element that holds the ``Id``)."""
    out: list[str] = []
    stack: list[str] = []
    for line in lines((GOLDEN / name).read_text(encoding="utf-8")):
        if (opened := _OPEN.match(line)) is not None:
            stack.append(opened.group(1))
        elif (closed := _CLOSE.match(line)) is not None:
            assert stack.pop() == closed.group(1)
        elif (found := _ID.match(line)) is not None:
            line = f"<Id>{ids[stack[-1]][int(found.group(1))]}</Id>"
        out.append(line)
    return out


def parse(response: httpx.Response) -> etree._Element:
    """Parse as the vendor clients do (lxml on the bytes, and the standard library), checking the basics."""
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert not response.content.startswith(b"<?xml")
    StdET.fromstring(response.content)
    etree.fromstring(response.text)  # a str with an encoding declaration would be refused here
    root = etree.fromstring(response.content)
    assert root.tag == "ApiResponse"
    assert root.nsmap == {"xsi": XSI, "xsd": XSD}
    return root


def assert_error(response: httpx.Response, status: int, *fragments: str) -> str:
    """The vendor's error shape: only ``ErrorMessage`` with ``Code`` = the status and a ``Message``."""
    assert response.status_code == status, response.text
    root = parse(response)
    assert [child.tag for child in root] == ["ErrorMessage"]
    error = root[0]
    assert [child.tag for child in error] == ["Code", "Message"]
    assert error.findtext("Code") == str(status)
    message = error.findtext("Message") or ""
    assert message
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in response.text
    return message


def data_of(response: httpx.Response) -> etree._Element:
    assert response.status_code == 200, response.text
    root = parse(response)
    assert [child.tag for child in root] == ["Data"]
    return root[0]


def listed(response: httpx.Response) -> list[dict[str, str | None]]:
    """The listing's messages as {element: text}, in order (and the element order checked against keys)."""
    messages = data_of(response).find("Messages")
    assert messages is not None
    return [{child.tag: child.text for child in message} for message in messages]


def listed_ids(response: httpx.Response) -> list[int]:
    return [int(m["Id"] or 0) for m in listed(response)]


@dataclass
class Example893:
    """Spec message 893 and the lists and segment around it, with Herald's ids."""

    message_id: int
    list_id: int
    excluded_list_id: int
    excluded_segment_id: int
    contact_ids: list[int]

    def ids(self) -> dict[str, dict[int, int]]:
        return {
            "Data": {893: self.message_id},
            "Message": {893: self.message_id},
            "List": {2: self.list_id, 3293: self.excluded_list_id},
            "Segment": {3147: self.excluded_segment_id},
        }


def make_example_893(
    client: TestClient, tenant: TenantKey, *, sent_at: str = "2016-05-21T14:09:15Z"
) -> Example893:
    list_id = create_list(client, tenant, "test list")
    excluded_list_id = create_list(client, tenant, "jp1")
    excluded_segment_id = create_segment(client, tenant, "ludzie z telefonem - losowy 1000")
    message = create_message(
        client,
        tenant,
        channel="sms",
        type="Newsletter",
        sender="SmsApiTest",
        campaign_description="test newsletter 2",
        body="Test",
        tags=["test 1"],
        throttling_method="Manual",
        throttling_hours=1,
        list_ids=[list_id],
        excluded_list_ids=[excluded_list_id],
        excluded_segment_ids=[excluded_segment_id],
        status="Sent",
    )
    contacts = [create_contact(client, tenant, f"+4860000000{n}") for n in range(3)]
    record_sends(client, tenant, message["id"], contacts, sent_at)
    return Example893(message["id"], list_id, excluded_list_id, excluded_segment_id, contacts)


@pytest.fixture
def example_893(client: TestClient, tenant: TenantKey) -> Example893:
    return make_example_893(client, tenant)


def sms(client: TestClient, tenant: TenantKey, **fields: Any) -> int:
    return int(create_message(client, tenant, **fields)["id"])
