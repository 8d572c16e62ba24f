from fastapi.testclient import TestClient

from tests.conftest import TenantKey


def test_native_api_refuses_a_request_without_a_key_as_problem_json(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_health_answers_ok(client: TestClient, tenant: TenantKey) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
