"""Property-based tests of the vendor dialects: random bytes, JSON, numbers, dates, other scripts' digits
and oversized values never earn a 5xx, always come back in the endpoint's own error shape, and never
change stored data (unless the request was a valid write that succeeded)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from sqlalchemy import func, select

from herald.db.engine import Database
from herald.migrations.tables import Base
from tests.conftest import TenantKey
from tests.dialects.senderguide.conftest import basic

OTHER_DIGITS = "\u00b2\u00b3\u00b9\u0660\u0661\u06f1\u0967\u09e7\uff11\U0001d7cf"
digits = st.text(alphabet="0123456789" + OTHER_DIGITS, min_size=1, max_size=25)
huge_numbers = st.integers(min_value=10**17, max_value=10**40).map(str) | st.just("9" * 4301)
dates = st.builds(lambda y, m, d: f"{y}-{m}-{d}", digits, digits, digits) | st.sampled_from(
    ["2023-02-29", "0000-01-01", "9999-12-31", "2023-1-1", "\uff12\uff10\uff12\uff13-01-01", ""]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | digits
    | huge_numbers
    | st.just("x" * 70_000)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=10,
)
SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _snapshot(database: Database) -> dict[str, int]:
    with database.read() as session:
        return {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


@SETTINGS
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "interactionType": st.sampled_from(["sends", "OPENS"]) | json_values,
            "fromDate": dates | json_values,
            "toDate": dates | json_values,
            "pageNumber": digits | huge_numbers | json_values,
            "order": st.sampled_from(["asc", "Desc"]) | json_values,
        },
    )
    | json_values,
    message_id=digits | huge_numbers | st.text(max_size=10),
)
def test_the_report_answers_in_its_envelope_and_writes_nothing(
    client: TestClient, database: Database, tenant: TenantKey, body: Any, message_id: str
) -> None:
    before = _snapshot(database)
    path = f"/api/3.0/messages/interaction-data/{quote(message_id, safe='')}"
    response = client.post(path, content=json.dumps(body), headers=basic(tenant.key))
    assert response.status_code in (200, 400, 404), response.text[:300]
    envelope = response.json()
    assert envelope["result"] == ("success" if response.status_code == 200 else "error")
    if response.status_code != 200:
        assert envelope["code"] == response.status_code
        assert isinstance(envelope["status"], str)
    assert _snapshot(database) == before


@SETTINGS
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "webhook": st.fixed_dictionaries(
                {},
                optional={
                    "event_types": st.lists(
                        st.sampled_from(["sent", "reply", "Bounce"]) | json_values, max_size=4
                    )
                    | json_values,
                    "url": st.sampled_from(["https://93.184.215.14/h", "http://[2002:7f00:1::]/"])
                    | json_values,
                    "verb": st.sampled_from(["post", "GET"]) | json_values,
                    "status": json_values,
                    "auth_type": json_values,
                    "auth_details": json_values,
                },
            )
            | json_values
        },
    )
    | json_values,
    raw=st.none() | st.binary(max_size=300),
    webhook_id=digits | huge_numbers | st.uuids().map(str),
    verb=st.sampled_from(["create", "update", "delete", "get"]),
)
def test_sms_webhooks_answer_in_their_envelope_and_write_only_on_success(
    client: TestClient,
    database: Database,
    tenant: TenantKey,
    body: Any,
    raw: bytes | None,
    webhook_id: str,
    verb: str,
) -> None:
    before = _snapshot(database)
    base = "/api/2.0/production/sms/webhooks"
    content = raw if raw is not None else json.dumps(body).encode()
    headers = {**basic(tenant.key), "Content-Type": "application/json"}
    target = f"{base}/{quote(webhook_id, safe='')}"
    if verb == "create":
        response = client.post(f"{base}/create", content=content, headers=headers)
    elif verb == "update":
        response = client.put(target, content=content, headers=headers)
    elif verb == "delete":
        response = client.delete(target, headers=headers)
    else:
        response = client.get(target, headers=headers)
    assert response.status_code in (200, 400, 404), response.text[:300]
    envelope = response.json()
    assert envelope["status"] == ("success" if response.status_code == 200 else "error")
    if response.status_code != 200 or verb == "get":
        assert _snapshot(database) == before


@SETTINGS
@given(
    segment=digits | huge_numbers | st.text(max_size=12),
    params=st.dictionaries(
        st.sampled_from(["tag", "startDate", "endDate", "type", "STARTDATE", "Type"]),
        dates | digits | st.text(max_size=30) | st.just("x" * 5000),
        max_size=4,
    ),
    listing=st.booleans(),
)
def test_expertsender_answers_xml_and_writes_nothing(
    client: TestClient,
    database: Database,
    tenant: TenantKey,
    segment: str,
    params: dict[str, str],
    listing: bool,
) -> None:
    before = _snapshot(database)
    path = "/v2/Api/SmsMmsMessages" if listing else f"/v2/Api/SmsMmsMessages/{quote(segment, safe='')}"
    response = client.get(path, params={"apiKey": tenant.key, **params})
    assert response.status_code in (200, 400, 404), response.text[:300]
    root = etree.fromstring(response.content)
    assert root.tag == "ApiResponse"
    if response.status_code != 200:
        assert root.findtext("ErrorMessage/Code") == str(response.status_code)
    assert _snapshot(database) == before
