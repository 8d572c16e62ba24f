"""The reference semantics of segment conditions, in Python: what ``compiler.py`` must match in SQL (the
tests hold the two to each other), and what a caller with a contact in memory can ask directly."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from herald.contacts.rules import AttributeScalar
from herald.contacts.segments.schemas import AttributeCondition, ListCondition, SegmentDefinition


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same_kind(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool)
    if isinstance(left, str) or isinstance(right, str):
        return isinstance(left, str) and isinstance(right, str)
    return _is_number(left) and _is_number(right)


def _equals(stored: Any, value: AttributeScalar) -> bool:
    return stored is not None and _same_kind(stored, value) and stored == value


def attribute_matches(condition: AttributeCondition, attributes: Mapping[str, Any]) -> bool:
    """Whether one attribute condition holds for these attributes; the reference the SQL mirrors.

    Values compare only with values of their own kind (string, number, boolean): "5" never equals 5.
    A missing key and a null value are the same: no value. ``ne``, ``not_in`` and ``not_exists`` are the
    exact complements of ``eq``, ``in`` and ``exists``, so they match contacts without the attribute.
    ``gt``/``gte``/``lt``/``lte`` compare numbers with numbers and strings with strings (by code point);
    ``contains`` is a case-sensitive substring test on strings.
    """
    stored = attributes.get(condition.attribute)
    op, value = condition.op, condition.value
    if op == "exists":
        return stored is not None
    if op == "not_exists":
        return stored is None
    if op in ("in", "not_in"):
        assert isinstance(value, list)
        found = any(_equals(stored, v) for v in value)
        return found if op == "in" else not found
    if value is None or isinstance(value, list):
        raise TypeError(f"'{op}' takes one value")  # the schema guarantees it
    if op == "eq":
        return _equals(stored, value)
    if op == "ne":
        return not _equals(stored, value)
    if op == "contains":
        return isinstance(stored, str) and isinstance(value, str) and value in stored
    if stored is None or isinstance(value, bool) or not _same_kind(stored, value):
        return False
    if op == "gt":
        return bool(stored > value)
    if op == "gte":
        return bool(stored >= value)
    if op == "lt":
        return bool(stored < value)
    return bool(stored <= value)


def contact_matches(
    definition: SegmentDefinition, *, attributes: Mapping[str, Any], list_ids: Collection[int]
) -> bool:
    """Whether a contact with these attributes and list memberships is in the segment.

    ``match: all`` needs every condition to hold, ``any`` at least one.
    """
    results = (
        (c.list_id in list_ids) == (c.op == "member")
        if isinstance(c, ListCondition)
        else attribute_matches(c, attributes)
        for c in definition.conditions
    )
    return all(results) if definition.match == "all" else any(results)
