"""Segment definitions (conditions on attributes and list memberships) and their commands and views."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from herald.contacts.rules import AttributeKey, Id, Name, Scalar

MAX_CONDITIONS = 50
MAX_IN_VALUES = 1000

AttributeOp = Literal[
    "eq", "ne", "in", "not_in", "exists", "not_exists", "gt", "gte", "lt", "lte", "contains"
]
RANGE_OPS = frozenset({"gt", "gte", "lt", "lte"})


class AttributeCondition(BaseModel):
    """A test of one attribute; ``value`` is a scalar, a list of scalars (``in``), or absent (``exists``)."""

    model_config = ConfigDict(extra="forbid")

    attribute: AttributeKey
    op: AttributeOp
    value: Scalar | list[Scalar] | None = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> AttributeCondition:
        op, value = self.op, self.value
        if op in ("exists", "not_exists"):
            if value is not None:
                raise ValueError(f"'{op}' takes no value")
        elif op in ("in", "not_in"):
            if not isinstance(value, list) or not 1 <= len(value) <= MAX_IN_VALUES:
                raise ValueError(f"'{op}' takes a list of 1 to {MAX_IN_VALUES} values")
        elif value is None or isinstance(value, list):
            raise ValueError(f"'{op}' takes one value (a string, number or boolean)")
        elif op in RANGE_OPS and (isinstance(value, bool) or not isinstance(value, str | int | float)):
            raise ValueError(f"'{op}' compares numbers or strings, not booleans")
        elif op == "contains" and (not isinstance(value, str) or value == ""):
            raise ValueError("'contains' takes a non-empty string")
        return self


class ListCondition(BaseModel):
    """Membership of one of the account's lists."""

    model_config = ConfigDict(extra="forbid")

    list_id: Id
    op: Literal["member", "not_member"]


def _condition_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "list" if "list_id" in value else "attribute"
    return "list" if isinstance(value, ListCondition) else "attribute"


Condition = Annotated[
    Annotated[AttributeCondition, Tag("attribute")] | Annotated[ListCondition, Tag("list")],
    Discriminator(_condition_kind),
]
Match = Literal["all", "any"]
Conditions = Annotated[list[Condition], Field(min_length=1, max_length=MAX_CONDITIONS)]

_SEGMENT_EXAMPLE: dict[str, Any] = {
    "name": "London VIPs on the newsletter",
    "match": "all",
    "conditions": [
        {"attribute": "city", "op": "eq", "value": "London"},
        {"attribute": "vip", "op": "eq", "value": True},
        {"attribute": "age", "op": "gte", "value": 18},
        {"list_id": 3, "op": "member"},
    ],
}


class SegmentDefinition(BaseModel):
    """What ``Segment.definition`` stores: how conditions combine, and the conditions."""

    model_config = ConfigDict(extra="forbid")

    match: Match = "all"
    conditions: Conditions


class SegmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_SEGMENT_EXAMPLE]})

    name: Name
    match: Match = Field(default="all", description="`all`: every condition holds; `any`: at least one.")
    conditions: Conditions


class SegmentPatch(BaseModel):
    """Given fields replace the stored ones; ``conditions`` is replaced as a whole."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"match": "any", "conditions": [{"attribute": "city", "op": "exists"}]}]
        },
    )

    name: Name | None = None
    match: Match | None = None
    conditions: Conditions | None = None


class SegmentView(BaseModel):
    id: int
    name: str
    match: Match
    conditions: list[Condition]
    created_at: datetime
    updated_at: datetime
