"""Whatever a client sends to the ExpertSender dialect, it answers below 500 and in its own XML shape."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from herald.api.context import AppContext
from herald.api.expertsender.app import create_expertsender_app
from herald.db.engine import Database
from herald.settings import Settings
from tests.conftest import TenantKey
from tests.dialects.expertsender.conftest import Example893

PARAMETERS = ["apiKey", "startDate", "endDate", "type", "tag"]
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def any_case(word: str) -> st.SearchStrategy[str]:
    flips = st.lists(st.booleans(), min_size=len(word), max_size=len(word))
    return flips.map(lambda up: "".join(c.upper() if u else c.lower() for c, u in zip(word, up, strict=True)))


def check(status: int, headers: dict[str, str], body: bytes, method: str) -> None:
    assert status < 500, body
    assert headers["content-type"] == "text/xml; charset=utf-8"
    if method == "HEAD":
        assert body == b""
        return
    assert not body.startswith(b"<?xml")
    root = etree.fromstring(body)
    assert root.tag == "ApiResponse"
    if status >= 400:
        assert [child.tag for child in root] == ["ErrorMessage"]
        assert root.findtext("ErrorMessage/Code") == str(status)
        assert root.findtext("ErrorMessage/Message")
    else:
        assert status == 200
        assert [child.tag for child in root] == ["Data"]


@PROPERTY_SETTINGS
@given(data=st.data())
def test_random_requests_never_fail_and_errors_are_xml(
    client: TestClient, tenant: TenantKey, example_893: Example893, data: st.DataObject
) -> None:
    draw: Any = data.draw
    prefix = draw(st.sampled_from(["/v2/Api/", "/Api/", "/api/", "/V2/API/", "/v2/api/"]))
    resource = draw(st.one_of(any_case("SmsMmsMessages"), st.text(max_size=12)))
    segment = draw(
        st.one_of(
            st.none(),
            st.just(str(example_893.message_id)),
            st.integers(min_value=-(2**70), max_value=2**70).map(str),
            st.text(max_size=12),
        )
    )
    path = prefix + quote(resource, safe="")
    if segment is not None:
        path += "/" + quote(segment, safe="")
    if draw(st.booleans()):
        path += "/"
    names = st.one_of(st.sampled_from(PARAMETERS).flatmap(any_case), st.text(max_size=8))
    values = st.one_of(
        st.sampled_from(
            [
                tenant.key,
                "",
                "2016-05-20",
                "2016-02-30",
                "9999-12-31",
                "0001-01-01",
                "Newsletter",
                "workflowmessage",
                "test 1",
            ]
        ),
        st.text(max_size=20),
    )
    pairs = draw(st.lists(st.tuples(names, values), max_size=6))
    query = "&".join(f"{quote(n, safe='')}={quote(v, safe='')}" for n, v in pairs)
    query += draw(st.sampled_from(["", "&", "&%zz=%", "&==&", "&apiKey"]))
    method = draw(st.sampled_from(["GET", "GET", "GET", "HEAD", "POST", "DELETE"]))
    response = client.request(method, f"{path}?{query}")
    check(response.status_code, dict(response.headers), response.content, method)


def call(app: Any, *, method: str, path: str, query: bytes) -> tuple[int, dict[str, str], bytes]:
    """One raw ASGI request, so that bytes no HTTP client would send reach the app too."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "query_string": query, "headers": []}
    asyncio.run(app(scope, receive, send))
    start, body = sent[0], sent[1]
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, body["body"]


@PROPERTY_SETTINGS
@given(
    path=st.text(max_size=30),
    query=st.binary(max_size=60),
    method=st.sampled_from(["GET", "HEAD", "PUT"]),
    with_key=st.booleans(),
)
def test_raw_paths_and_query_bytes_never_fail(
    settings: Settings,
    database: Database,
    tenant: TenantKey,
    example_893: Example893,
    path: str,
    query: bytes,
    method: str,
    with_key: bool,
) -> None:
    app = create_expertsender_app(AppContext(settings=settings, database=database))
    if with_key:
        query = b"apikey=" + tenant.key.encode() + b"&" + query
    for full_path in (f"/v2/Api/SmsMmsMessages/{path}", f"/Api/{path}", f"/v2/api/smsmmsmessages?{path}"):
        check(*call(app, method=method, path=full_path, query=query), method)
