"""The reference semantics of segment conditions (``service.contact_matches``), without a database."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from herald.contacts.segments import matching as service
from herald.contacts.segments.schemas import AttributeCondition, SegmentDefinition


def _holds(attributes: dict[str, Any], op: str, value: Any = None, attribute: str = "a") -> bool:
    condition = AttributeCondition.model_validate({"attribute": attribute, "op": op, "value": value})
    return service.attribute_matches(condition, attributes)


@pytest.mark.parametrize(
    ("stored", "value", "expected"),
    [
        ("London", "London", True),
        ("london", "London", False),
        (5, 5, True),
        (5, 5.0, True),
        (5.5, 5.5, True),
        ("5", 5, False),
        (5, "5", False),
        (True, True, True),
        (False, False, True),
        (True, 1, False),
        (1, True, False),
        (0, False, False),
        (None, "x", False),
    ],
)
def test_eq_compares_values_of_the_same_kind_only(stored: Any, value: Any, expected: bool) -> None:
    assert _holds({"a": stored}, "eq", value) is expected
    assert _holds({"a": stored}, "ne", value) is not expected


def test_missing_attribute_fails_every_positive_op_and_passes_every_negation() -> None:
    for attributes in ({}, {"a": None}, {"b": "x"}):
        assert not _holds(attributes, "eq", "x")
        assert _holds(attributes, "ne", "x")
        assert not _holds(attributes, "in", ["x", 1])
        assert _holds(attributes, "not_in", ["x", 1])
        assert not _holds(attributes, "exists")
        assert _holds(attributes, "not_exists")
        assert not _holds(attributes, "gt", 0)
        assert not _holds(attributes, "lte", "z")
        assert not _holds(attributes, "contains", "x")


def test_in_matches_any_listed_value_of_the_same_kind() -> None:
    assert _holds({"a": "pro"}, "in", ["free", "pro"])
    assert _holds({"a": 2}, "in", ["2", 2.0])
    assert not _holds({"a": "2"}, "in", [2, True])
    assert _holds({"a": False}, "in", [0, False])
    assert _holds({"a": "team"}, "not_in", ["free", "pro"])


@pytest.mark.parametrize(
    ("stored", "op", "value", "expected"),
    [
        (18, "gte", 18, True),
        (18, "gt", 18, False),
        (17.9, "lt", 18, True),
        (18, "lte", 18.0, True),
        ("2024-05-01", "gte", "2024-01-01", True),
        ("2023-12-31", "gte", "2024-01-01", False),
        ("B", "lt", "a", True),
        ("é", "gt", "z", True),
        ("10", "gt", 9, False),
        (10, "gt", "9", False),
        (True, "gt", 0, False),
    ],
)
def test_comparisons_order_numbers_numerically_and_strings_by_code_point(
    stored: Any, op: str, value: Any, expected: bool
) -> None:
    assert _holds({"a": stored}, op, value) is expected


def test_contains_is_a_case_sensitive_substring_test_on_strings() -> None:
    assert _holds({"a": "Newsletter weekly"}, "contains", "letter")
    assert not _holds({"a": "Newsletter weekly"}, "contains", "LETTER")
    assert not _holds({"a": 12345}, "contains", "234")


def test_exists_needs_a_value() -> None:
    assert _holds({"a": ""}, "exists")
    assert _holds({"a": False}, "exists")
    assert _holds({"a": 0}, "exists")


def test_match_all_needs_every_condition_and_any_needs_one() -> None:
    conditions = [{"attribute": "city", "op": "eq", "value": "London"}, {"list_id": 7, "op": "member"}]
    every = SegmentDefinition.model_validate({"match": "all", "conditions": conditions})
    some = SegmentDefinition.model_validate({"match": "any", "conditions": conditions})
    london = {"city": "London"}
    assert service.contact_matches(every, attributes=london, list_ids={7})
    assert not service.contact_matches(every, attributes=london, list_ids={8})
    assert service.contact_matches(some, attributes=london, list_ids=set())
    assert service.contact_matches(some, attributes={}, list_ids={7})
    assert not service.contact_matches(some, attributes={"city": "Paris"}, list_ids={8})


def test_not_member_is_the_complement_of_member() -> None:
    outside = SegmentDefinition.model_validate({"conditions": [{"list_id": 7, "op": "not_member"}]})
    assert service.contact_matches(outside, attributes={}, list_ids=set())
    assert not service.contact_matches(outside, attributes={}, list_ids={7, 8})


@pytest.mark.parametrize(
    "condition",
    [
        {"attribute": "a", "op": "eq"},
        {"attribute": "a", "op": "eq", "value": None},
        {"attribute": "a", "op": "ne", "value": [1]},
        {"attribute": "a", "op": "in", "value": 1},
        {"attribute": "a", "op": "not_in", "value": []},
        {"attribute": "a", "op": "in", "value": [None]},
        {"attribute": "a", "op": "not_exists", "value": 1},
        {"attribute": "a", "op": "gte", "value": False},
        {"attribute": "a", "op": "lt", "value": [1]},
        {"attribute": "a", "op": "contains", "value": ""},
        {"attribute": "a", "op": "contains", "value": 1},
        {"attribute": "a", "op": "eq", "value": float("nan")},
        {"attribute": "a\\b", "op": "exists"},
        {"attribute": "a", "op": "between", "value": 1},
        {"list_id": 1, "op": "in"},
        {"list_id": 1, "op": "member", "extra": True},
    ],
)
def test_condition_whose_value_does_not_fit_its_op_is_invalid(condition: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SegmentDefinition.model_validate({"conditions": [condition]})


def test_stored_definition_round_trips() -> None:
    definition = SegmentDefinition.model_validate(
        {
            "match": "any",
            "conditions": [
                {"attribute": "age", "op": "gte", "value": 18},
                {"attribute": "city", "op": "exists"},
                {"attribute": "plan", "op": "in", "value": ["pro", 2, True]},
                {"list_id": 3, "op": "member"},
            ],
        }
    )
    stored = definition.model_dump(mode="json", exclude_none=True)
    assert stored["conditions"][1] == {"attribute": "city", "op": "exists"}
    assert SegmentDefinition.model_validate(stored) == definition
