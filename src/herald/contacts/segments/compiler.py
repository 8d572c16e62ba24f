"""Segment definitions compiled to SQL, on both databases.

JSON attribute access differs per dialect (``json_type``/``json_extract`` on SQLite, ``json_typeof``/``->>``
on PostgreSQL), so ``_AttributeSql`` hides the difference behind one small vocabulary (is it a string? its
text, its number, ...). ``matching.py`` holds the same semantics in Python, as the reference.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, cast, collate, false, func, not_, or_, type_coerce
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from herald.contacts.lists.repository import member_clause
from herald.contacts.models import Contact
from herald.contacts.rules import AttributeScalar
from herald.contacts.segments.schemas import AttributeCondition, ListCondition, SegmentDefinition


def _definite(clause: ColumnElement[bool]) -> ColumnElement[bool]:
    """The clause with NULL (unknown) read as false, so that NOT of it is the exact complement."""
    return func.coalesce(clause, false())


class _AttributeSql:
    """One attribute of ``contacts.attributes``, as SQL on the session's dialect."""

    def __init__(self, dialect_name: str, key: str) -> None:
        self.postgresql = dialect_name == "postgresql"
        if self.postgresql:
            element = type_coerce(Contact.attributes, postgresql.JSON)[key]
            self.kind: ColumnElement[Any] = func.json_typeof(element)
            self.text: ColumnElement[Any] = element.astext
            self.number: ColumnElement[Any] = case((self.kind == "number", cast(self.text, Float)))
        else:
            # SQLite matches a path label against a key as stored, escapes and all, and SQLAlchemy stores
            # JSON as json.dumps writes it (non-ASCII as \uXXXX): so the label is the key as json.dumps
            # writes it. Keys never hold quotes, backslashes or control characters (check_attribute_key).
            # Should a SQLite version compare unescaped keys, the plain label still finds them.
            paths = [f"$.{json.dumps(key)}", f'$."{key}"']
            if paths[0] == paths[1]:
                self.kind = func.json_type(Contact.attributes, paths[0])
                self.text = func.json_extract(Contact.attributes, paths[0])
            else:
                self.kind = func.coalesce(*(func.json_type(Contact.attributes, path) for path in paths))
                self.text = func.coalesce(*(func.json_extract(Contact.attributes, path) for path in paths))
            self.number = self.text

    def is_string(self) -> ColumnElement[bool]:
        return self.kind == "string" if self.postgresql else self.kind == "text"

    def is_number(self) -> ColumnElement[bool]:
        return self.kind == "number" if self.postgresql else self.kind.in_(("integer", "real"))

    def is_boolean(self, value: bool) -> ColumnElement[bool]:
        word = "true" if value else "false"
        return and_(self.kind == "boolean", self.text == word) if self.postgresql else self.kind == word

    def has_value(self) -> ColumnElement[bool]:
        if self.postgresql:
            return self.kind.in_(("string", "number", "boolean"))
        return self.kind.in_(("text", "integer", "real", "true", "false"))

    def sortable_text(self) -> ColumnElement[Any]:
        """The string compared by code point, as Python compares it (PostgreSQL needs the C collation)."""
        return collate(self.text, "C") if self.postgresql else self.text

    def contains(self, part: str) -> ColumnElement[bool]:
        position = func.strpos(self.text, part) if self.postgresql else func.instr(self.text, part)
        return and_(self.is_string(), position > 0)

    def equals(self, value: AttributeScalar) -> ColumnElement[bool]:
        if isinstance(value, bool):
            return self.is_boolean(value)
        if isinstance(value, str):
            return and_(self.is_string(), self.text == value)
        return and_(self.is_number(), self.number == float(value))

    def one_of(self, values: Sequence[AttributeScalar]) -> ColumnElement[bool]:
        strings = [v for v in values if isinstance(v, str)]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        booleans = {v for v in values if isinstance(v, bool)}
        clauses = [self.is_boolean(v) for v in sorted(booleans)]
        if strings:
            clauses.append(and_(self.is_string(), self.text.in_(strings)))
        if numbers:
            # As floats: a list starting with an int would otherwise be bound (and cast) as integers.
            clauses.append(and_(self.is_number(), self.number.in_([float(n) for n in numbers])))
        return or_(*clauses)

    def compare(self, op: str, value: AttributeScalar) -> ColumnElement[bool]:
        if isinstance(value, str):
            guard, operand = self.is_string(), self.sortable_text()
        else:
            # Numbers are bound as floats: an int would be cast to INTEGER on PostgreSQL (and overflow).
            guard, operand, value = self.is_number(), self.number, float(value)
        comparisons = {
            "gt": operand > value,
            "gte": operand >= value,
            "lt": operand < value,
            "lte": operand <= value,
        }
        return and_(guard, comparisons[op])


def _attribute_clause(dialect_name: str, condition: AttributeCondition) -> ColumnElement[bool]:
    attribute = _AttributeSql(dialect_name, condition.attribute)
    op, value = condition.op, condition.value
    if op == "exists":
        return _definite(attribute.has_value())
    if op == "not_exists":
        return not_(_definite(attribute.has_value()))
    if op in ("in", "not_in"):
        assert isinstance(value, list)
        clause = _definite(attribute.one_of(value))
        return clause if op == "in" else not_(clause)
    if value is None or isinstance(value, list):
        raise TypeError(f"'{op}' takes one value")  # the schema guarantees it
    if op == "eq":
        return _definite(attribute.equals(value))
    if op == "ne":
        return not_(_definite(attribute.equals(value)))
    if op == "contains":
        assert isinstance(value, str)
        return _definite(attribute.contains(value))
    return _definite(attribute.compare(op, value))


def _list_clause(condition: ListCondition) -> ColumnElement[bool]:
    member = member_clause(condition.list_id)
    return member if condition.op == "member" else not_(member)


def segment_clause(session: Session, definition: SegmentDefinition) -> ColumnElement[bool]:
    """A WHERE clause on ``contacts`` true exactly for the contacts the definition matches.

    Mirrors ``matching.contact_matches`` (the reference semantics), which the tests hold it to.
    """
    dialect_name = session.get_bind().dialect.name
    clauses = [
        _list_clause(c) if isinstance(c, ListCondition) else _attribute_clause(dialect_name, c)
        for c in definition.conditions
    ]
    return and_(*clauses) if definition.match == "all" else or_(*clauses)
