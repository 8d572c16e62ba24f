"""No body, path or header makes the SenderGuide dialect answer 500 or leave its envelope."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TenantKey
from tests.dialects.senderguide.conftest import basic

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
report_bodies = st.fixed_dictionaries(
    {},
    optional={
        "interactionType": st.sampled_from(["sends", "opens", "Clicks", "x", ""]) | json_values,
        "fromDate": st.sampled_from(["2023-01-01", "2023-13-01", "1972-01-01"]) | json_values,
        "toDate": st.sampled_from(["2023-12-31", "0000-00-00", "9999-12-31"]) | json_values,
        "pageNumber": st.integers(min_value=-5, max_value=10**15) | json_values,
        "order": st.sampled_from(["asc", "desc", "ASC", "sideways"]) | json_values,
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=report_bodies | json_values,
    message_id=st.integers(min_value=-2, max_value=10**20) | st.text(max_size=8),
)
def test_random_report_requests_never_fail_with_500(
    client: TestClient, tenant: TenantKey, body: Any, message_id: Any
) -> None:
    path = f"/api/3.0/messages/interaction-data/{quote(str(message_id), safe='')}"
    response = client.post(path, content=json.dumps(body), headers=basic(tenant.key))
    assert response.status_code in (200, 400, 404, 405), response.text
    envelope = response.json()
    if response.status_code == 200:
        assert envelope["result"] == "success"
    elif isinstance(envelope, dict) and "result" in envelope:
        assert envelope["result"] == "error"
        assert envelope["code"] == response.status_code


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200), auth=st.text(max_size=40))
def test_random_bytes_and_headers_never_fail_with_500(client: TestClient, raw: bytes, auth: str) -> None:
    safe_auth = auth.encode("latin-1", "ignore").replace(b"\n", b"").replace(b"\r", b"").strip()
    response = client.post(
        "/api/3.0/messages/interaction-data/1", content=raw, headers={"Authorization": safe_auth}
    )
    assert response.status_code in (400, 401, 404)
    assert response.json()["result"] == "error"
