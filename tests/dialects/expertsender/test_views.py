"""The ExpertSender views below the HTTP layer: day windows, the ledger's first sends, and the summaries
and details composed from them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from herald import timezones
from herald.api.expertsender import views
from herald.api.expertsender.views import SmsMessageQuery
from herald.db.engine import Database
from herald.errors import NotFound
from herald.interactions import repository
from herald.messages import repository as messages_repository
from tests.conftest import TenantKey
from tests.messages.factories import create_contact, create_message


def _s(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def test_day_window_covers_whole_days_in_the_zone() -> None:
    assert timezones.day_window(date(2016, 5, 20), date(2016, 5, 22), "UTC") == (
        _s("2016-05-20T00:00:00+00:00"),
        _s("2016-05-23T00:00:00+00:00"),
    )
    assert timezones.day_window(date(2016, 5, 20), None, "Europe/Warsaw") == (
        _s("2016-05-20T00:00:00+02:00"),
        None,
    )
    # The day clocks go forward is 23 hours long.
    start, end = timezones.day_window(date(2016, 3, 27), date(2016, 3, 27), "Europe/Warsaw")
    assert start is not None
    assert end is not None
    assert end - start == 23 * 3600
    assert timezones.day_window(None, date.max, "UTC") == (None, None)
    assert timezones.day_window(date.min, None, "Pacific/Kiritimati")[0] is not None


def _send(
    client: TestClient, tenant: TenantKey, message_id: int, contact_id: int, kind: str, at: str, n: int
) -> None:
    row = {
        "message_id": message_id,
        "contact_id": contact_id,
        "type": kind,
        "occurred_at": at,
        "event_id": f"e{n}",
    }
    response = client.post("/v1/interactions", json={"interactions": [row]}, headers=tenant.bearer)
    assert response.status_code == 200, response.text
    assert response.json()["recorded"] == 1


def test_first_send_seconds_is_the_earliest_send_in_a_half_open_range(
    client: TestClient, database: Database, tenant: TenantKey
) -> None:
    contact = create_contact(client, tenant, "+48600000001")
    first = create_message(client, tenant)["id"]
    second = create_message(client, tenant)["id"]
    never = create_message(client, tenant)["id"]
    _send(client, tenant, first, contact, "sends", "2016-05-20T10:00:00Z", 1)
    _send(client, tenant, first, contact, "sends", "2016-05-21T10:00:00Z", 2)
    _send(client, tenant, first, contact, "deliveries", "2016-05-19T10:00:00Z", 3)
    _send(client, tenant, second, contact, "sends", "2016-05-22T00:00:00Z", 4)
    ids = [first, second, never]
    with database.read() as session:

        def firsts(lo: str | None, hi: str | None) -> dict[int, int]:
            return repository.first_send_seconds(
                session, message_ids=ids, from_s=_s(lo) if lo else None, to_s=_s(hi) if hi else None
            )

        assert firsts(None, None) == {
            first: _s("2016-05-20T10:00:00+00:00"),
            second: _s("2016-05-22T00:00:00+00:00"),
        }
        assert firsts("2016-05-20T10:00:01+00:00", None) == {
            first: _s("2016-05-21T10:00:00+00:00"),
            second: _s("2016-05-22T00:00:00+00:00"),
        }
        assert firsts(None, "2016-05-22T00:00:00+00:00") == {first: _s("2016-05-20T10:00:00+00:00")}
        assert firsts("2016-05-20T10:00:00+00:00", "2016-05-20T10:00:01+00:00") == {
            first: _s("2016-05-20T10:00:00+00:00")
        }
        assert repository.first_send_seconds(session, message_ids=[], from_s=None, to_s=None) == {}
        assert repository.first_send_seconds(session, message_ids=[2**40, -1], from_s=None, to_s=None) == {}


def test_summaries_span_many_chunks_of_ids(client: TestClient, database: Database, tenant: TenantKey) -> None:
    ids = [
        create_message(client, tenant, tags=[f"t{n % 3}"])["id"]
        for n in range(messages_repository.CHUNK + 20)
    ]
    with database.read() as session:
        summaries = views.message_summaries(
            session, account_id=tenant.account_id, query=SmsMessageQuery(tag="t1")
        )
        assert [v.id for v in summaries] == ids[1::3]
        assert all(v.tags == ("t1",) and v.sent_at is None for v in summaries)


def test_detail_of_another_account_or_an_email_message_is_not_found(
    client: TestClient, database: Database, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    email = create_message(client, tenant, channel="email", sender="a@example.com")["id"]
    theirs = create_message(client, other_tenant)["id"]
    with database.read() as session:
        for account_id, message_id in ((tenant.account_id, email), (tenant.account_id, theirs)):
            try:
                views.message_detail(session, account_id=account_id, message_id=message_id)
            except NotFound:
                continue
            raise AssertionError(f"message {message_id} was found for account {account_id}")
        detail = views.message_detail(session, account_id=other_tenant.account_id, message_id=theirs)
        assert detail.id == theirs
        assert detail.sent_at is None


def test_sent_at_is_utc(client: TestClient, database: Database, tenant: TenantKey) -> None:
    contact = create_contact(client, tenant, "+48600000002")
    message = create_message(client, tenant)["id"]
    _send(client, tenant, message, contact, "sends", "2016-05-21T16:09:15+02:00", 9)
    with database.read() as session:
        detail = views.message_detail(session, account_id=tenant.account_id, message_id=message)
    assert detail.sent_at == datetime(2016, 5, 21, 14, 9, 15, tzinfo=UTC)
