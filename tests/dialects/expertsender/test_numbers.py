"""Only ASCII digits are ids in the ExpertSender dialect; an over-long id is an ordinary not-found."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import TenantKey
from tests.dialects.expertsender.conftest import assert_error, es_get


def test_an_id_of_thousands_of_nines_is_not_found_in_xml(client: TestClient, tenant: TenantKey) -> None:
    response = es_get(client, f"/v2/Api/SmsMmsMessages/{'9' * 4301}", tenant.key)
    assert_error(response, 404)


@pytest.mark.parametrize("segment", ["%C2%B2", "%D9%A1", "%EF%BC%91"])
def test_an_id_in_other_digits_is_a_400_in_xml(client: TestClient, tenant: TenantKey, segment: str) -> None:
    response = es_get(client, f"/v2/Api/SmsMmsMessages/{segment}", tenant.key)
    assert_error(response, 400, "expected an integer")
