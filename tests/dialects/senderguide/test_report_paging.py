"""Every page of the report equals the same slice of a brute-force sort of the ledger.

The data crosses every seam of the counter-based seek: many events in one second spread over several id
blocks, events scattered over days, interleaved types, ranges that cut buckets, and a time zone whose
offset is not a whole number of quarter hours (Monrovia before 1972, -00:44:30).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from herald.db.engine import Database
from tests.conftest import make_tenant
from tests.dialects.senderguide.conftest import report
from tests.factories import create_contacts, create_message, event, record
from tests.interactions.test_listing import all_pages


def expected_page(
    rows: list[dict[str, Any]], kind: str, lo: datetime, hi: datetime, page: int, descending: bool
) -> list[int]:
    chosen = [r for r in rows if r["type"] == kind and lo <= datetime.fromisoformat(r["occurred_at"]) < hi]
    chosen.sort(key=lambda r: (int(datetime.fromisoformat(r["occurred_at"]).timestamp() // 1), r["id"]))
    if descending:
        chosen.reverse()
    return [r["id"] for r in chosen[(page - 1) * 100 : page * 100]]


@pytest.mark.parametrize(
    ("timezone", "start"),
    [("UTC", datetime(2024, 5, 1, 6, tzinfo=UTC)), ("Africa/Monrovia", datetime(1971, 5, 1, 6, tzinfo=UTC))],
)
def test_every_page_matches_a_brute_force_sort(
    client: TestClient, database: Database, timezone: str, start: datetime
) -> None:
    tenant = make_tenant(database, f"paging-{timezone}", timezone=timezone)
    rng = random.Random(7)
    contacts = create_contacts(client, tenant, [f"p{n}@example.com" for n in range(40)])
    message_id = create_message(client, tenant)["id"]
    burst = start.isoformat()
    events = [event(message_id, contacts[i % 40], "sends", burst) for i in range(1_300)]
    for _ in range(900):
        moment = start + timedelta(seconds=rng.randrange(0, 3 * 86400))
        events.append(
            event(message_id, rng.choice(contacts), rng.choice(["opens", "clicks"]), moment.isoformat())
        )
    rng.shuffle(events)
    assert record(client, tenant, events)["recorded"] == 2_200
    rows = all_pages(client, tenant, message_id=message_id, limit=1000)
    zone = ZoneInfo(timezone)
    first_day = start.astimezone(zone).date()
    ranges = [
        (first_day, first_day + timedelta(days=3)),
        (first_day + timedelta(days=1), first_day + timedelta(days=1)),
    ]
    for kind in ("sends", "opens"):
        for from_day, to_day in ranges:
            lo = datetime.combine(from_day, datetime.min.time(), tzinfo=zone)
            hi = datetime.combine(to_day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
            for descending in (False, True):
                body = {
                    "interactionType": kind,
                    "fromDate": from_day.isoformat(),
                    "toDate": to_day.isoformat(),
                    "order": "desc" if descending else "asc",
                }
                first = report(client, tenant, message_id, {**body, "pageNumber": 1}).json()
                total = len(
                    [
                        r
                        for r in rows
                        if r["type"] == kind and lo <= datetime.fromisoformat(r["occurred_at"]) < hi
                    ]
                )
                assert first["total_rows"] == total
                for page in range(1, first["total_pages"] + 2):
                    got = report(client, tenant, message_id, {**body, "pageNumber": page}).json()["data"]
                    want = expected_page(rows, kind, lo, hi, page, descending)
                    by_id = {r["id"]: r for r in rows}
                    assert [(g["contact_id"], g["interaction_date"]) for g in got] == [
                        (
                            by_id[i]["contact_id"],
                            datetime.fromisoformat(by_id[i]["occurred_at"])
                            .astimezone(zone)
                            .strftime("%Y-%m-%d %H:%M:%S"),
                        )
                        for i in want
                    ], (kind, from_day, descending, page)
    assert date.today()  # the data above never depends on today's date
