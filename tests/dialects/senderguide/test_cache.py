"""The report cache never serves an answer the request would not have produced (beyond its TTL)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from herald.accounts import service as accounts_service
from herald.api.app import create_app
from herald.api.native.interaction_rows import validate_row
from herald.db.engine import Database
from herald.interactions import service as interactions_service
from herald.settings import Settings
from tests.conftest import TenantKey
from tests.dialects.senderguide.conftest import report
from tests.factories import create_contact, create_message, event, record

BODY = {"interactionType": "opens", "fromDate": "2024-01-01", "toDate": "2024-01-31", "order": "asc"}


def test_recording_interactions_here_refreshes_the_report_at_once(
    client: TestClient, tenant: TenantKey
) -> None:
    message_id = create_message(client, tenant)["id"]
    contact_id = create_contact(client, tenant, email="ada@example.com")["id"]
    assert report(client, tenant, message_id, BODY).json()["total_rows"] == 0
    record(client, tenant, [event(message_id, contact_id, "opens", "2024-01-02T10:00:00Z")])
    assert report(client, tenant, message_id, BODY).json()["total_rows"] == 1


def test_another_account_never_gets_a_cached_page(
    client: TestClient, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    message_id = create_message(client, tenant)["id"]
    assert report(client, tenant, message_id, BODY).status_code == 200
    assert report(client, other_tenant, message_id, BODY).status_code == 404


def test_writes_of_another_process_show_at_once(
    settings: Settings, database: Database, tenant: TenantKey
) -> None:
    """The cache key holds the message's report version, read from the database with the key: a write of
    any process changes it (two real processes: tests/e2e/test_two_servers.py)."""
    slow = settings.model_copy(update={"report_cache_seconds": 60})
    with TestClient(create_app(slow, database)) as client:
        message_id = create_message(client, tenant)["id"]
        contact_id = create_contact(client, tenant, email="ada@example.com")["id"]
        assert report(client, tenant, message_id, BODY).json()["total_rows"] == 0
        row = validate_row(0, event(message_id, contact_id, "opens", "2024-01-02T10:00:00Z"))
        with database.write() as session:  # as another process would: not through this app
            interactions_service.record(session, account_id=tenant.account_id, events=[row])  # type: ignore[list-item]
        assert report(client, tenant, message_id, BODY).json()["total_rows"] == 1


def test_a_revoked_key_is_never_answered_from_the_cache(
    settings: Settings, database: Database, tenant: TenantKey
) -> None:
    slow = settings.model_copy(update={"report_cache_seconds": 60})
    with TestClient(create_app(slow, database)) as client:
        message_id = create_message(client, tenant)["id"]
        assert report(client, tenant, message_id, BODY).status_code == 200
        with database.write() as session:  # herald keys revoke, from another process
            accounts_service.revoke_key(session, prefix=tenant.key[:11])
        revoked = report(client, tenant, message_id, BODY)
        assert revoked.status_code == 401
        assert revoked.json() == {"result": "error", "status": "invalid credentials", "code": 401}


def test_a_zero_ttl_turns_the_cache_off(settings: Settings, database: Database, tenant: TenantKey) -> None:
    off = settings.model_copy(update={"report_cache_seconds": 0})
    with TestClient(create_app(off, database)) as client:
        message_id = create_message(client, tenant)["id"]
        contact_id = create_contact(client, tenant, email="ada@example.com")["id"]
        assert report(client, tenant, message_id, BODY).json()["total_rows"] == 0
        row = validate_row(0, event(message_id, contact_id, "opens", "2024-01-02T10:00:00Z"))
        with database.write() as session:
            interactions_service.record(session, account_id=tenant.account_id, events=[row])  # type: ignore[list-item]
        assert report(client, tenant, message_id, BODY).json()["total_rows"] == 1
