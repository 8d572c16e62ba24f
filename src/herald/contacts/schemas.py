"""Commands and views of the contacts domain: contacts, lists, segments, suppressions and imports.

Inputs forbid unknown fields and normalise as they validate: an email is lower-cased, a phone must already
be E.164, attribute values are scalars. The same types serve the API, the importer and the tests.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    StringConstraints,
    Tag,
    WithJsonSchema,
    model_validator,
)

# Ids are INTEGER columns: a larger number cannot name a row (and would overflow PostgreSQL's INTEGER).
MAX_ID = 2**31 - 1
MAX_ATTRIBUTES = 200
MAX_ATTRIBUTE_KEY_LENGTH = 100
MAX_ATTRIBUTE_STRING_LENGTH = 4000
# Integers beyond 2**53 are not exact in JavaScript clients nor in a float comparison; keep them as strings.
MAX_SAFE_INTEGER = 2**53 - 1
MAX_CONDITIONS = 50
MAX_IN_VALUES = 1000
MAX_LIST_IDS_PER_ROW = 100
MAX_MEMBERS_PER_REQUEST = 10_000

E164_PATTERN = r"^\+[1-9][0-9]{1,14}$"
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
# An ASCII dot-atom local part and an ASCII host name: the common case, checked without email-validator's
# full (slow) path; the domain still goes through email-validator, once per distinct domain.
_ATEXT = r"a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~"
_SIMPLE_EMAIL = re.compile(rf"([{_ATEXT}]+(?:\.[{_ATEXT}]+)*)@([a-zA-Z0-9.\-]+)")
_SIMPLE_EMAIL_MAX_LENGTH = 128
_BAD_KEY_CHARACTERS = re.compile(r'["\\\x00-\x1f\x7f]')


# --- addresses ---------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _checked_domain(domain: str) -> str | EmailNotValidError:
    try:
        return validate_email("x@" + domain, check_deliverability=False).domain
    except EmailNotValidError as exc:
        return exc


def normalize_email(value: str) -> str:
    """The address lower-cased, or ValueError; syntax only (no DNS), as email-validator judges it."""
    value = value.strip()
    simple = _SIMPLE_EMAIL.fullmatch(value) if len(value) <= _SIMPLE_EMAIL_MAX_LENGTH else None
    if simple is not None:
        domain = _checked_domain(simple.group(2))
        if isinstance(domain, EmailNotValidError):
            raise ValueError(f"not a valid email address: {domain}")
        return f"{simple.group(1)}@{domain}".lower()
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from exc


def check_phone(value: str) -> str:
    """The phone number unchanged if it is E.164 (``+`` and up to 15 digits), else ValueError."""
    value = value.strip()
    if not _E164.fullmatch(value):
        raise ValueError("not an E.164 phone number (a + and up to 15 digits, e.g. +14155550123)")
    return value


Email = Annotated[
    str,
    AfterValidator(normalize_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 320, "examples": ["ada@example.com"]}),
]
Phone = Annotated[
    str,
    AfterValidator(check_phone),
    WithJsonSchema({"type": "string", "pattern": E164_PATTERN, "examples": ["+14155550123"]}),
]


# --- attributes --------------------------------------------------------------------------------------

AttributeScalar = str | int | float | bool
AttributeValue = AttributeScalar | None


def check_attribute_key(key: str) -> str:
    if not key or len(key) > MAX_ATTRIBUTE_KEY_LENGTH:
        raise ValueError(f"an attribute name has 1 to {MAX_ATTRIBUTE_KEY_LENGTH} characters")
    if _BAD_KEY_CHARACTERS.search(key):
        raise ValueError("an attribute name may not contain quotes, backslashes or control characters")
    return key


def check_attribute_scalar(value: Any) -> AttributeScalar:
    """A string, a finite number (integers within ±2**53-1) or a boolean; else ValueError."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError("integers are limited to ±9007199254740991; send larger ones as strings")
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("numbers must be finite")
        return value
    if isinstance(value, str):
        if len(value) > MAX_ATTRIBUTE_STRING_LENGTH:
            raise ValueError(f"strings are limited to {MAX_ATTRIBUTE_STRING_LENGTH} characters")
        return value
    raise ValueError("an attribute value is a string, a number, a boolean or null")


def check_attribute_value(value: Any) -> AttributeValue:
    return None if value is None else check_attribute_scalar(value)


AttributeKey = Annotated[
    str,
    AfterValidator(check_attribute_key),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_ATTRIBUTE_KEY_LENGTH}),
]
Scalar = Annotated[
    AttributeScalar,
    PlainValidator(check_attribute_scalar),
    WithJsonSchema({"type": ["string", "number", "boolean"]}),
]
Value = Annotated[
    AttributeValue,
    PlainValidator(check_attribute_value),
    WithJsonSchema({"type": ["string", "number", "boolean", "null"]}),
]
Attributes = Annotated[
    dict[AttributeKey, Value],
    Field(max_length=MAX_ATTRIBUTES, description="Scalar values: string, number, boolean or null."),
]


def merge_attributes(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``current`` with ``changes`` applied key by key, a null value deleting its key (a new dict).

    ValueError when the result would hold more than ``MAX_ATTRIBUTES`` keys.
    """
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > MAX_ATTRIBUTES:
        raise ValueError(f"a contact has at most {MAX_ATTRIBUTES} attributes")
    return merged


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


# --- contacts ----------------------------------------------------------------------------------------


class ContactCreate(BaseModel):
    """A new contact: an email, a phone, or both, and its attributes."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "email": "ada@example.com",
                    "phone": "+14155550123",
                    "attributes": {"first_name": "Ada", "city": "London", "age": 36, "vip": True},
                }
            ]
        },
    )

    email: Email | None = None
    phone: Phone | None = None
    attributes: Attributes = Field(default_factory=dict)

    @model_validator(mode="after")
    def _reachable(self) -> ContactCreate:
        if self.email is None and self.phone is None:
            raise ValueError("a contact needs an email or a phone")
        return self


class ContactPatch(BaseModel):
    """Changes to a contact: given fields replace (null removes email or phone), attributes merge by key."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"phone": "+14155550199", "attributes": {"city": "Paris", "vip": None}}]
        },
    )

    email: Email | None = None
    phone: Phone | None = None
    attributes: Attributes = Field(
        default_factory=dict, description="Merged into the stored attributes; a null value deletes the key."
    )


class ContactFilter(BaseModel):
    email: str | None = None
    phone: str | None = None
    list_id: int | None = None


class ContactView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str | None
    phone: str | None
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


# --- lists -------------------------------------------------------------------------------------------


class ListCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Newsletter"}]})

    name: Name


class ListPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Weekly newsletter"}]})

    name: Name


class ListView(BaseModel):
    id: int
    name: str
    member_count: int
    created_at: datetime


class MembersAdd(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"contact_ids": [1, 2, 3]}]})

    contact_ids: list[Id] = Field(min_length=1, max_length=MAX_MEMBERS_PER_REQUEST)


class MembersAdded(BaseModel):
    added: int = Field(description="Contacts that became members.")
    already_members: int = Field(description="Contacts that were members already (left as they were).")


# --- segments ----------------------------------------------------------------------------------------

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


# --- suppressions ------------------------------------------------------------------------------------


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class SuppressionReason(StrEnum):
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    MANUAL = "manual"


def normalize_address(channel: Channel, address: str) -> str:
    """An email lower-cased or an E.164 phone, as the channel needs; ValueError otherwise."""
    return normalize_email(address) if channel is Channel.EMAIL else check_phone(address)


class SuppressionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"channel": "email", "address": "ada@example.com", "reason": "unsubscribed"},
                {"channel": "sms", "address": "+14155550123", "reason": "manual"},
            ]
        },
    )

    channel: Channel
    address: str = Field(max_length=320, description="An email for `email`, an E.164 number for `sms`.")
    reason: SuppressionReason = SuppressionReason.MANUAL

    @model_validator(mode="after")
    def _address_fits_channel(self) -> SuppressionCreate:
        self.address = normalize_address(self.channel, self.address)
        return self


class SuppressionView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: Channel
    address: str
    reason: SuppressionReason
    created_at: datetime


# --- import ------------------------------------------------------------------------------------------


class ImportRow(BaseModel):
    """One contact of a bulk import (an NDJSON line, or a CSV row once its columns are sorted out)."""

    model_config = ConfigDict(extra="forbid")

    email: Email | None = None
    phone: Phone | None = None
    attributes: Attributes = Field(default_factory=dict)
    list_ids: list[Id] = Field(default_factory=list, max_length=MAX_LIST_IDS_PER_ROW)

    @model_validator(mode="after")
    def _reachable(self) -> ImportRow:
        if self.email is None and self.phone is None:
            raise ValueError("a contact needs an email or a phone")
        return self


class ImportResult(BaseModel):
    created: int = Field(description="New contacts.")
    updated: int = Field(description="Existing contacts a row matched (by email, else by phone).")
    rows: int = Field(description="Data rows read.")
    dry_run: bool = Field(default=False, description="True when nothing was written (`?dry_run=true`).")
