"""The streaming import parsers: the same rows whatever the chunking, and every problem named by row."""

from __future__ import annotations

import orjson
import pytest

from herald.contacts.imports import parsing as importing
from herald.contacts.imports.parsing import MAX_RECORD_CHARS, CsvParser, NdjsonParser
from herald.errors import InvalidInput

TRICKY_CSV = (
    "\ufeffEmail , PHONE,Prénom,note,lists,\r\n"
    'Ada@Example.com,+14155550123,Ada,"line one\r\nline ""two""",1; 2,\r\n'
    "\r\n"
    ",+447700900123,,,,\n"
    'bob@example.com,,Bøb,"comma, inside",,\n'
    "z@example.com,,,plain,3,"
).encode()


def _rows(parsed: importing.ParsedImport) -> list[tuple[int, dict[str, object]]]:
    return [(number, row.model_dump()) for number, row in parsed.rows]


def test_csv_rows_are_the_same_for_every_chunk_size() -> None:
    whole = importing.parse(TRICKY_CSV, "text/csv", chunk_size=len(TRICKY_CSV))
    assert whole.problem_count == 0, whole.problems
    assert _rows(whole) == [
        (
            1,
            {
                "email": "ada@example.com",
                "phone": "+14155550123",
                "attributes": {"Prénom": "Ada", "note": 'line one\r\nline "two"'},
                "list_ids": [1, 2],
            },
        ),
        (2, {"email": None, "phone": "+447700900123", "attributes": {}, "list_ids": []}),
        (
            3,
            {
                "email": "bob@example.com",
                "phone": None,
                "attributes": {"Prénom": "Bøb", "note": "comma, inside"},
                "list_ids": [],
            },
        ),
        (4, {"email": "z@example.com", "phone": None, "attributes": {"note": "plain"}, "list_ids": [3]}),
    ]
    for size in range(1, 24):
        assert _rows(importing.parse(TRICKY_CSV, "text/csv", chunk_size=size)) == _rows(whole), size


def test_ndjson_rows_are_the_same_for_every_chunk_size() -> None:
    body = (
        b'{"email": "ada@example.com", "attributes": {"city": "K\xc3\xb8benhavn", "age": 36},'
        b' "list_ids": [4]}\r\n'
        b"\n"
        b'{"phone": "+14155550123", "attributes": {"vip": true, "score": 1.5}}'
    )
    expected = [
        (
            1,
            {
                "email": "ada@example.com",
                "phone": None,
                "attributes": {"city": "København", "age": 36},
                "list_ids": [4],
            },
        ),
        (
            2,
            {
                "email": None,
                "phone": "+14155550123",
                "attributes": {"vip": True, "score": 1.5},
                "list_ids": [],
            },
        ),
    ]
    for size in range(1, 12):
        parsed = importing.parse(body, "application/x-ndjson", chunk_size=size)
        assert parsed.problem_count == 0, parsed.problems
        assert _rows(parsed) == expected


def test_csv_problems_name_the_data_row_and_column() -> None:
    body = (
        b"email,phone,Age,lists,\n"
        b"ok@example.com,,1,,\n"
        b"bad-email,,1,,\n"
        b"\n"
        b"ok2@example.com,555,1,x;2,\n"
        b"ok3@example.com,,1,,stray\n"
        b"ok4@example.com,,1\n"
        b",,1,,\n"
    )
    parsed = importing.parse(body, "text/csv")
    assert parsed.rows == []
    assert parsed.row_count == 6
    assert [(p.row, p.field) for p in parsed.problems] == [
        (2, "email"),
        (3, "lists"),
        (3, "phone"),
        (4, "column 5"),
        (5, None),
        (6, None),
    ]
    assert parsed.problem_count == 6


def test_csv_header_problems_are_row_zero() -> None:
    cases = {
        "name,city\n": "the header needs an email or a phone column",
        "email,EMAIL\n": "the column 'email' appears twice",
        "email,a,a\n": "the column 'a' appears twice",
        'email,"a\\b"\n': "an attribute name may not contain quotes, backslashes or control characters",
        "": "the body is empty; a CSV import starts with a header row",
    }
    for body, reason in cases.items():
        parsed = importing.parse(body.encode(), "text/csv")
        assert [(p.row, p.reason) for p in parsed.problems] == [(0, reason)], body


def test_csv_quote_never_closed_is_a_problem_of_its_row() -> None:
    parsed = importing.parse(b'email,note\na@example.com,"open\nb@example.com,x\n', "text/csv")
    assert [(p.row, p.field) for p in parsed.problems] == [(1, None)]
    assert "not valid CSV" in parsed.problems[0].reason


def test_csv_stray_quote_inside_an_unquoted_cell_is_a_character() -> None:
    parsed = importing.parse(b'email,note\na@example.com,5" screen\nb@example.com,x\n', "text/csv")
    assert parsed.problem_count == 0
    assert [row.attributes for _, row in parsed.rows] == [{"note": '5" screen'}, {"note": "x"}]


def test_csv_quote_open_for_too_long_stops_reading() -> None:
    body = b'email,note\na@example.com,"' + (b"x" * 999 + b"\n") * (MAX_RECORD_CHARS // 1000 + 5)
    parsed = importing.parse(body + b"b@example.com,y\n", "text/csv")
    assert parsed.problem_count == 1
    assert parsed.problems[0].row == 1
    assert "longer than" in parsed.problems[0].reason


def test_csv_cell_too_large_for_the_csv_module_is_a_problem_of_its_row() -> None:
    body = b"email,note\na@example.com," + b"x" * 200_000 + b"\nb@example.com,y\n"
    parsed = importing.parse(body, "text/csv")
    assert [(p.row, p.field) for p in parsed.problems] == [(1, None)]


def test_ndjson_problems_name_the_line_and_json_field() -> None:
    lines = [
        orjson.dumps({"email": "a@example.com"}),
        b"{broken",
        b"[1, 2]",
        orjson.dumps({"email": "b@example.com", "attributes": {"x": [1]}}),
        orjson.dumps({"email": "c@example.com", "list_ids": ["one"]}),
        orjson.dumps({"attributes": {}}),
        orjson.dumps({"email": "d@example.com", "id": 3}),
    ]
    parsed = importing.parse(b"\n".join(lines), "application/x-ndjson")
    assert [(p.row, p.field) for p in parsed.problems] == [
        (2, None),
        (3, None),
        (4, "attributes.x"),
        (5, "list_ids.0"),
        (6, None),
        (7, "id"),
    ]
    assert parsed.row_count == 7


def test_problems_beyond_a_thousand_are_counted_not_listed() -> None:
    parsed = importing.parse(b"email\n" + b"nope\n" * 1200, "text/csv")
    assert (parsed.problem_count, len(parsed.problems), parsed.row_count) == (1200, 1000, 1200)
    rejection = parsed.rejection()
    assert rejection is not None
    assert rejection.total == 1200
    assert "the first 1000 are listed" in rejection.detail


def test_multibyte_character_split_across_chunks_is_decoded() -> None:
    body = "email,city\na@example.com,Zürich\n".encode()
    for size in range(1, 5):
        parsed = importing.parse(body, "text/csv", chunk_size=size)
        assert parsed.rows[0][1].attributes == {"city": "Zürich"}


def test_body_that_is_not_utf8_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="not valid UTF-8"):
        importing.parse(b"email\n\xffa@example.com\n", "text/csv")
    with pytest.raises(InvalidInput):
        importing.parse(b"email\na@example.com\n\xc3", "text/csv")


def test_parser_is_chosen_by_media_type() -> None:
    assert isinstance(importing.parser_for("text/csv; charset=utf-8"), CsvParser)
    assert isinstance(importing.parser_for("Application/X-NDJSON"), NdjsonParser)
    assert isinstance(importing.parser_for("application/jsonl"), NdjsonParser)
    assert importing.parser_for("application/json") is None
    assert importing.parser_for("") is None
