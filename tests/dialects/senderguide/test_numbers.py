"""Only ASCII digits are numbers in the SenderGuide dialect, and an over-long one is an ordinary answer:
other scripts' digits in a path id are not found (never read as another id, never a 500), and a page
number of thousands of digits is a page past the end, as any too-large page is."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import TenantKey
from tests.dialects.senderguide.conftest import SpecMessage, report

BODY = {"interactionType": "sends", "fromDate": "2023-01-01", "toDate": "2023-12-31", "order": "asc"}


@pytest.mark.parametrize("raw_id", ["%C2%B2", "%D9%A1", "%EF%BC%91", "9" * 4301, "+1", "1.0"])
def test_a_path_id_that_is_not_ascii_digits_is_not_found(
    client: TestClient, tenant: TenantKey, spec_message: SpecMessage, raw_id: str
) -> None:
    assert spec_message.message_id == 1  # so that a digit read as 1 would find it
    response = report(client, tenant, raw_id, BODY)
    assert response.status_code == 404, response.text
    assert response.json() == {"result": "error", "status": "message not found", "code": 404}


def test_a_page_number_of_thousands_of_digits_is_a_page_past_the_end(
    client: TestClient, tenant: TenantKey, spec_message: SpecMessage
) -> None:
    response = report(client, tenant, spec_message.message_id, {**BODY, "pageNumber": "9" * 4301})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total_rows"], body["data"]) == (450, [])


@pytest.mark.parametrize("page", ["\u00b2", "\u0661", "-" + "9" * 4301])
def test_a_page_number_in_other_digits_or_below_one_is_a_400(
    client: TestClient, tenant: TenantKey, spec_message: SpecMessage, page: str
) -> None:
    response = report(client, tenant, spec_message.message_id, {**BODY, "pageNumber": page})
    assert response.status_code == 400, response.text
    assert response.json()["result"] == "error"
