"""Address and attribute validation shared by the API and the importer."""

from __future__ import annotations

from typing import Any

import pytest
from email_validator import EmailNotValidError, validate_email

from herald.contacts.rules import (
    MAX_ATTRIBUTES,
    check_attribute_key,
    check_attribute_value,
    check_phone,
    merge_attributes,
    normalize_email,
)

ADDRESSES = [
    "ada@example.com",
    "Ada.Lovelace+tag@Example.CO.UK",
    "a_b-c!#$%&'*+/=?^`{|}~@example.org",
    "x@xn--80ak6aa92e.com",
    "x@пример.рф",
    "ünïcode@example.com",
    "postmaster@EXAMPLE.com",
    "a..b@example.com",
    ".a@example.com",
    "a.@example.com",
    "a@example",
    "a@localhost",
    "a@example.local",
    "a@-example.com",
    "a@example-.com",
    "a@ex_ample.com",
    "a@123.com",
    "a@example.123",
    "a@ab--cd.com",
    "a@[127.0.0.1]",
    '"quoted"@example.com',
    "Ada <ada@example.com>",
    "a b@example.com",
    "a@b@example.com",
    "@example.com",
    "a@",
    "",
    "a@" + "x" * 64 + ".com",
    "a" * 65 + "@example.com",
    "a" * 60 + "@" + ("b" * 60 + ".") * 3 + "com",
]


def _reference(address: str) -> str | None:
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@pytest.mark.parametrize("address", ADDRESSES)
def test_email_normalisation_agrees_with_email_validator(address: str) -> None:
    try:
        ours: str | None = normalize_email(address)
    except ValueError:
        ours = None
    assert ours == _reference(address)


def test_email_is_trimmed_and_lower_cased() -> None:
    assert normalize_email("  Ada@Example.COM \n") == "ada@example.com"


@pytest.mark.parametrize("phone", ["+14155550123", "+12", "+123456789012345", " +447700900123 "])
def test_e164_phone_is_accepted(phone: str) -> None:
    assert check_phone(phone) == phone.strip()


@pytest.mark.parametrize(
    "phone",
    ["14155550123", "+0123", "+1", "+1234567890123456", "+1 415 555", "+1415555012\u0663", "+1415\n5", ""],
)
def test_phone_that_is_not_e164_is_refused(phone: str) -> None:
    with pytest.raises(ValueError, match=r"E\.164"):
        check_phone(phone)


@pytest.mark.parametrize("value", ["x", "", 0, -(2**53 - 1), 2.5, True, False, None])
def test_scalar_attribute_values_are_kept(value: Any) -> None:
    assert check_attribute_value(value) == value


@pytest.mark.parametrize("value", [[1], {"a": 1}, 2**53, float("inf"), float("nan"), "x" * 4001, b"x"])
def test_other_attribute_values_are_refused(value: Any) -> None:
    with pytest.raises(ValueError, match=r"attribute value|integers|finite|strings"):
        check_attribute_value(value)


@pytest.mark.parametrize("key", ["", "x" * 101, 'a"b', "a\\b", "a\nb", "a\x00"])
def test_attribute_names_that_sql_paths_cannot_hold_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match="an attribute name"):
        check_attribute_key(key)


def test_attribute_names_may_hold_spaces_dots_and_any_letters() -> None:
    for key in ("First Name", "a.b", "ключ", "$[0]"):
        assert check_attribute_key(key) == key


def test_merge_sets_keys_deletes_nulls_and_keeps_the_rest() -> None:
    current = {"a": 1, "b": "x", "c": True}
    assert merge_attributes(current, {"a": 2, "b": None, "d": "new"}) == {"a": 2, "c": True, "d": "new"}
    assert current == {"a": 1, "b": "x", "c": True}


def test_merge_refuses_more_than_the_attribute_limit() -> None:
    full = {f"k{i}": i for i in range(MAX_ATTRIBUTES)}
    assert merge_attributes(full, {"k0": None, "new": 1})["new"] == 1
    with pytest.raises(ValueError, match="at most"):
        merge_attributes(full, {"new": 1})
