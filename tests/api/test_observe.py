"""Access lines redact secrets; metrics are off until a token is set, then served to that token only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.conftest import TenantKey

from herald.api.app import create_app
from herald.api.observe import redacted, route_of
from herald.db.engine import Database
from herald.jobs.leases import QueueCount
from herald.settings import Settings


def test_secrets_in_the_query_are_redacted_and_the_rest_kept() -> None:
    shown = redacted("/v2/Api/SmsMmsMessages", b"apiKey=hk_secret&tag=sp%20orts&APIKEY=x&token=t&type=")
    assert shown == "/v2/Api/SmsMmsMessages?apiKey=***&tag=sp%20orts&APIKEY=***&token=***&type="
    assert "hk_secret" not in shown


def test_route_labels_name_the_route_not_the_request() -> None:
    assert route_of("/v1/contacts/123", 200) == "/v1/contacts/{id}"
    assert route_of("/V2/Api/SmsMmsMessages/893", 200) == "/v2/api/smsmmsmessages/{id}"
    assert route_of("/v1/webhooks/5f0c6b1e-8a4e-4c1b-9a57-3f1f6d2a9b10", 200) == "/v1/webhooks/{id}"
    assert route_of("/wp-admin/login.php", 404) == "unmatched"


def test_metrics_are_off_without_a_token(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 404


def test_requests_are_not_counted_while_metrics_are_off(settings: Settings, database: Database) -> None:
    app = create_app(settings, database)
    with TestClient(app) as client:
        client.get("/healthz")
    assert app.requests.collect()[0].samples == []


def test_metrics_answer_their_token_only(settings: Settings, database: Database, tenant: TenantKey) -> None:
    def counts(_session: Session) -> list[QueueCount]:
        return [QueueCount(queue="webhooks", kind="sends", state="sending", count=3)]

    app = create_app(settings.model_copy(update={"metrics_token": "t0ken"}), database, queue_counts=counts)
    with TestClient(app) as client:
        assert client.get("/v1/messages", headers=tenant.bearer).status_code == 200
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        scraped = client.get("/metrics", headers={"Authorization": "Bearer t0ken"})
    assert scraped.status_code == 200
    text = scraped.text
    assert (
        'herald_http_requests_total{dialect="native",method="GET",route="/v1/messages",status="200"} 1.0'
        in text
    )
    assert "herald_http_request_duration_seconds_bucket" in text
    assert 'herald_queue_items{kind="sends",queue="webhooks",state="sending"} 3.0' in text
    assert 'herald_lane_busy{queue="webhooks"} 3.0' in text
    assert "herald_interactions_recorded_total 0.0" in text
