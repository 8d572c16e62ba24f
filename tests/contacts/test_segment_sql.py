"""Segments evaluated in SQL match exactly the contacts the reference semantics (Python) match.

Random attributes and conditions (seeded, so failures repeat) run against both databases.
"""

from __future__ import annotations

import random
from typing import Any

from herald.contacts.models import Contact, ContactList, ListMember
from herald.contacts.segments import matching as service
from herald.contacts.segments import repository
from herald.contacts.segments.schemas import SegmentDefinition
from herald.db.engine import Database
from tests.conftest import TenantKey

KEYS = ["city", "age", "first name", "a.b", "ключ", "flag"]
VALUES: list[Any] = [
    "London",
    "london",
    "Lon",
    "",
    "5",
    "10",
    "é",
    "Z",
    "2024-01-01",
    0,
    5,
    5.0,
    7.5,
    -3,
    10,
    True,
    False,
]
OPS = ["eq", "ne", "in", "not_in", "exists", "not_exists", "gt", "gte", "lt", "lte", "contains"]


def _condition(rng: random.Random, list_ids: list[int]) -> dict[str, Any]:
    if rng.random() < 0.2:
        return {"list_id": rng.choice(list_ids), "op": rng.choice(["member", "not_member"])}
    attribute = rng.choice(KEYS)
    op = rng.choice(OPS)
    if op in ("exists", "not_exists"):
        return {"attribute": attribute, "op": op}
    if op in ("in", "not_in"):
        return {"attribute": attribute, "op": op, "value": rng.sample(VALUES, rng.randint(1, 4))}
    if op == "contains":
        return {"attribute": attribute, "op": op, "value": rng.choice(["on", "L", "0", "é", "2024"])}
    if op in ("gt", "gte", "lt", "lte"):
        return {
            "attribute": attribute,
            "op": op,
            "value": rng.choice([v for v in VALUES if not isinstance(v, bool)]),
        }
    return {"attribute": attribute, "op": op, "value": rng.choice(VALUES)}


def test_sql_evaluation_agrees_with_the_reference_semantics(
    database: Database, tenant: TenantKey, other_tenant: TenantKey
) -> None:
    rng = random.Random(20240517)
    with database.write() as session:
        lists = [ContactList(account_id=tenant.account_id, name=f"L{i}") for i in range(3)]
        session.add_all(lists)
        contacts = []
        for i in range(90):
            attributes = {key: rng.choice(VALUES) for key in KEYS if rng.random() < 0.6}
            contacts.append(
                Contact(account_id=tenant.account_id, email=f"c{i}@example.com", attributes=attributes)
            )
        outsider = Contact(
            account_id=other_tenant.account_id, email="x@example.com", attributes={"city": "London"}
        )
        session.add_all([*contacts, outsider])
        session.flush()
        memberships: dict[int, set[int]] = {c.id: set() for c in contacts}
        for contact in contacts:
            for contact_list in lists:
                if rng.random() < 0.4:
                    session.add(ListMember(list_id=contact_list.id, contact_id=contact.id))
                    memberships[contact.id].add(contact_list.id)
        list_ids = [contact_list.id for contact_list in lists]
        stored = {c.id: dict(c.attributes) for c in contacts}

    definitions = [
        SegmentDefinition.model_validate(
            {
                "match": rng.choice(["all", "any"]),
                "conditions": [_condition(rng, list_ids) for _ in range(rng.randint(1, 3))],
            }
        )
        for _ in range(200)
    ]
    with database.read() as session:
        for definition in definitions:
            found = [
                c.id
                for c in repository.contacts_page(
                    session, account_id=tenant.account_id, after=None, fetch=1000, segment=definition
                )
            ]
            expected = [
                contact_id
                for contact_id, attributes in stored.items()
                if service.contact_matches(
                    definition, attributes=attributes, list_ids=memberships[contact_id]
                )
            ]
            assert found == expected, definition.model_dump(mode="json", exclude_none=True)


def test_every_op_is_exercised_with_a_non_empty_result(database: Database, tenant: TenantKey) -> None:
    """Guards the random test above against vacuous agreement (e.g. both sides matching nothing)."""
    with database.write() as session:
        session.add_all(
            [
                Contact(
                    account_id=tenant.account_id, email="a@example.com", attributes={"n": 5, "s": "London"}
                ),
                Contact(
                    account_id=tenant.account_id, email="b@example.com", attributes={"n": 7.5, "s": "Paris"}
                ),
                Contact(
                    account_id=tenant.account_id, email="c@example.com", attributes={"n": "5", "b": True}
                ),
            ]
        )
    cases: list[tuple[str, str, Any, list[str]]] = [
        ("n", "eq", 5, ["a"]),
        ("n", "ne", 5, ["b", "c"]),
        ("n", "in", [7.5, "5"], ["b", "c"]),
        ("n", "not_in", [5], ["b", "c"]),
        ("b", "exists", None, ["c"]),
        ("b", "not_exists", None, ["a", "b"]),
        ("n", "gt", 5, ["b"]),
        ("n", "gte", 5, ["a", "b"]),
        ("n", "lt", 6, ["a"]),
        ("s", "lte", "M", ["a"]),
        ("s", "contains", "ari", ["b"]),
        ("b", "eq", True, ["c"]),
    ]
    with database.read() as session:
        for attribute, op, value, expected in cases:
            condition = {"attribute": attribute, "op": op} | ({"value": value} if value is not None else {})
            definition = SegmentDefinition.model_validate({"conditions": [condition]})
            found = repository.contacts_page(
                session, account_id=tenant.account_id, after=None, fetch=10, segment=definition
            )
            assert [str(c.email)[0] for c in found] == expected, condition
