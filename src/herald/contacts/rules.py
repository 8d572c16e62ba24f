"""What every room of the contacts domain checks the same way: email addresses, phone numbers, attribute
names and values, names and ids. Pydantic types for the schemas, plain functions for everything else.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field, PlainValidator, StringConstraints, WithJsonSchema

from herald.types import MAX_ID, NOT_A_BOOLEAN

MAX_ATTRIBUTES = 200
MAX_ATTRIBUTE_KEY_LENGTH = 100
MAX_ATTRIBUTE_STRING_LENGTH = 4000
# Integers beyond 2**53 are not exact in JavaScript clients nor in a float comparison; keep them as strings.
MAX_SAFE_INTEGER = 2**53 - 1

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


Id = Annotated[int, Field(ge=1, le=MAX_ID), NOT_A_BOOLEAN]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

MAX_IDS_NAMED = 50


def named_ids(ids: Collection[int]) -> str:
    """Ids for an error text: sorted, the first ``MAX_IDS_NAMED`` of them, and how many more."""
    ordered = sorted(ids)
    shown = ", ".join(str(i) for i in ordered[:MAX_IDS_NAMED])
    return shown + (f" and {len(ordered) - MAX_IDS_NAMED} more" if len(ordered) > MAX_IDS_NAMED else "")
