"""``service.import_contacts``: rows apply in order to the affected contacts, all or none."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from herald.contacts import service, sql
from herald.contacts.imports import service as imports_service
from herald.contacts.imports.errors import ImportRejected
from herald.contacts.imports.schemas import ImportResult, ImportRow
from herald.contacts.lists import service as lists_service
from herald.contacts.models import Contact, ListMember
from herald.contacts.rules import MAX_ATTRIBUTES
from herald.contacts.schemas import ContactCreate
from herald.contacts.segments import repository
from herald.contacts.segments.schemas import SegmentDefinition
from herald.db.engine import Database
from tests.conftest import TenantKey


def _rows(*rows: dict[str, Any]) -> list[tuple[int, ImportRow]]:
    return [(number, ImportRow.model_validate(row)) for number, row in enumerate(rows, start=1)]


def _import(
    database: Database, tenant: TenantKey, *rows: dict[str, Any], dry_run: bool = False
) -> ImportResult:
    with database.write() as session:
        return imports_service.import_contacts(
            session, account_id=tenant.account_id, rows=_rows(*rows), dry_run=dry_run
        )


def _rejected(database: Database, tenant: TenantKey, *rows: dict[str, Any]) -> list[tuple[int, str | None]]:
    with pytest.raises(ImportRejected) as caught:
        _import(database, tenant, *rows)
    return [(p.row, p.field) for p in caught.value.rows]


def _stored(database: Database, tenant: TenantKey) -> list[tuple[str | None, str | None, dict[str, Any]]]:
    with database.read() as session:
        contacts = session.scalars(
            select(Contact).where(Contact.account_id == tenant.account_id).order_by(Contact.id)
        )
        return [(c.email, c.phone, c.attributes) for c in contacts]


def _create(database: Database, tenant: TenantKey, **fields: Any) -> int:
    with database.write() as session:
        view = service.create_contact(session, account_id=tenant.account_id, command=ContactCreate(**fields))
    return view.id


def test_phone_of_a_contact_with_another_email_is_refused(database: Database, tenant: TenantKey) -> None:
    _create(database, tenant, email="ada@example.com", phone="+14155550123")
    assert _rejected(database, tenant, {"email": "bob@example.com", "phone": "+14155550123"}) == [
        (1, "phone")
    ]


def test_phone_given_to_two_new_contacts_is_refused(database: Database, tenant: TenantKey) -> None:
    problems = _rejected(
        database,
        tenant,
        {"email": "a@example.com", "phone": "+14155550123"},
        {"email": "b@example.com"},
        {"email": "b@example.com", "phone": "+14155550123"},
    )
    assert problems == [(3, "phone")]
    assert _stored(database, tenant) == []


def test_contact_reached_by_phone_takes_the_email_it_lacked(database: Database, tenant: TenantKey) -> None:
    _create(database, tenant, phone="+14155550123", attributes={"a": 1})
    result = _import(
        database, tenant, {"email": "ada@example.com", "phone": "+14155550123", "attributes": {"b": 2}}
    )
    assert (result.created, result.updated) == (0, 1)
    assert _stored(database, tenant) == [("ada@example.com", "+14155550123", {"a": 1, "b": 2})]


def test_row_with_an_email_only_never_removes_the_phone(database: Database, tenant: TenantKey) -> None:
    _create(database, tenant, email="ada@example.com", phone="+14155550123")
    _import(database, tenant, {"email": "ada@example.com", "attributes": {"a": 1}})
    assert _stored(database, tenant) == [("ada@example.com", "+14155550123", {"a": 1})]


def test_too_many_attributes_after_merging_is_a_row_problem(database: Database, tenant: TenantKey) -> None:
    _create(database, tenant, email="ada@example.com", attributes={f"k{i}": i for i in range(MAX_ATTRIBUTES)})
    assert _rejected(database, tenant, {"email": "ada@example.com", "attributes": {"one": "more"}}) == [
        (1, "attributes")
    ]


def test_rows_join_lists_for_new_and_existing_contacts(database: Database, tenant: TenantKey) -> None:
    with database.write() as session:
        first = lists_service.create_list(session, account_id=tenant.account_id, name="First").id
        second = lists_service.create_list(session, account_id=tenant.account_id, name="Second").id
    existing = _create(database, tenant, email="ada@example.com")
    with database.write() as session:
        lists_service.add_members(
            session, account_id=tenant.account_id, list_id=first, contact_ids=[existing]
        )
    _import(
        database,
        tenant,
        {"email": "ada@example.com", "list_ids": [first, second]},
        {"email": "bob@example.com", "list_ids": [second]},
    )
    with database.read() as session:
        pairs = session.execute(select(ListMember.list_id, func.count()).group_by(ListMember.list_id)).all()
    assert sorted((list_id, count) for list_id, count in pairs) == [(first, 1), (second, 2)]


def test_dry_run_counts_as_a_real_run_would_and_writes_nothing(database: Database, tenant: TenantKey) -> None:
    _create(database, tenant, email="ada@example.com")
    rows = (
        {"email": "ada@example.com", "attributes": {"a": 1}},
        {"email": "bob@example.com"},
        {"phone": "+12025550100"},
    )
    dry = _import(database, tenant, *rows, dry_run=True)
    assert (dry.created, dry.updated, dry.rows, dry.dry_run) == (2, 1, 3, True)
    assert _stored(database, tenant) == [("ada@example.com", None, {})]
    real = _import(database, tenant, *rows)
    assert (real.created, real.updated, real.rows, real.dry_run) == (2, 1, 3, False)


def test_import_touches_only_its_own_account(
    database: Database, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    _create(
        database, other_tenant, email="ada@example.com", phone="+14155550123", attributes={"theirs": True}
    )
    result = _import(database, tenant, {"email": "ada@example.com", "phone": "+14155550123"})
    assert (result.created, result.updated) == (1, 0)
    assert _stored(database, other_tenant) == [("ada@example.com", "+14155550123", {"theirs": True})]


def test_batches_of_every_size_write_the_same_contacts(
    database: Database, tenant: TenantKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("IN_CHUNK", "KEY_CHUNK", "WRITE_CHUNK"):
        monkeypatch.setattr(sql, name, 3)
    with database.write() as session:
        newsletter = lists_service.create_list(session, account_id=tenant.account_id, name="Newsletter").id
    rows = [
        {"email": f"u{i}@example.com", "phone": f"+1415555{i:04d}", "list_ids": [newsletter]}
        for i in range(10)
    ]
    assert _import(database, tenant, *rows).created == 10
    again = [{"phone": f"+1415555{i:04d}", "attributes": {"n": i, "ключ": "значение"}} for i in range(10)]
    assert _import(database, tenant, *again).updated == 10
    stored = _stored(database, tenant)
    assert stored[9] == ("u9@example.com", "+14155550009", {"n": 9, "ключ": "значение"})
    with database.read() as session:
        view = lists_service.get_list(session, account_id=tenant.account_id, list_id=newsletter)
        definition = SegmentDefinition.model_validate(
            {
                "conditions": [
                    {"attribute": "ключ", "op": "eq", "value": "значение"},
                    {"attribute": "n", "op": "gte", "value": 5},
                ]
            }
        )
        found = repository.contacts_page(
            session, account_id=tenant.account_id, after=None, fetch=100, segment=definition
        )
    assert view.member_count == 10
    assert [c.email for c in found] == [f"u{i}@example.com" for i in range(5, 10)]
