"""Incremental parsers for bulk contact imports: CSV and NDJSON bytes in, validated numbered rows out.

A parser is fed the body chunk by chunk as it arrives (``feed``) and finished with ``close``; it never
holds more than one unfinished record besides the rows it has validated. Rows are numbered from 1 in the
order they appear, blank lines not counted; for CSV the header is row 0. Once a row is bad the import
will be refused, so valid rows are no longer kept, but every later row is still checked and counted.

CSV: a header row, then one contact a row. Columns ``email``, ``phone`` and ``lists`` (names matched
without regard to case) are the contact's email, phone and the ``;``-separated ids of lists to add it to;
every other named column is an attribute with a string value, and an empty cell leaves the attribute as
it is. NDJSON: one JSON object a line, with ``email``, ``phone``, ``attributes`` and ``list_ids``.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from herald.contacts.imports.errors import MAX_REPORTED_ROW_PROBLEMS, ImportRejected, RowProblem
from herald.contacts.imports.schemas import ImportRow
from herald.contacts.rules import check_attribute_key
from herald.errors import InvalidInput

MAX_RECORD_CHARS = 1_000_000


class ImportFormat(StrEnum):
    CSV = "csv"
    NDJSON = "ndjson"


MEDIA_TYPES = {
    "text/csv": ImportFormat.CSV,
    "application/csv": ImportFormat.CSV,
    "application/x-ndjson": ImportFormat.NDJSON,
    "application/ndjson": ImportFormat.NDJSON,
    "application/jsonl": ImportFormat.NDJSON,
}


@dataclass
class ParsedImport:
    """The valid rows (only while no row is bad), the first problems and the totals."""

    rows: list[tuple[int, ImportRow]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0
    row_count: int = 0

    def rejection(self) -> ImportRejected | None:
        if not self.problem_count:
            return None
        return ImportRejected(rows=self.problems, total=self.problem_count)


def _reason(error: Any) -> str:
    message = str(error.get("msg", "invalid"))
    return message.removeprefix("Value error, ")


def _dotted(loc: Sequence[Any]) -> str | None:
    parts = [str(part) for part in loc if part != "[key]"]
    return ".".join(parts) or None


class _Parser:
    def __init__(self) -> None:
        self.result = ParsedImport()
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._received = 0
        self._partial = ""
        self._broken = False

    # Feeding ------------------------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Parse what ``data`` completes; InvalidInput when the body is not UTF-8."""
        self._feed_text(self._decode(data, final=False))
        self._received += len(data)

    def close(self) -> ParsedImport:
        """Parse the rest (a last line may lack its newline) and return the outcome."""
        self._feed_text(self._decode(b"", final=True))
        if self._partial and not self._broken:
            self._lines([self._partial], final=True)
        self._partial = ""
        self._finish()
        return self.result

    def _decode(self, data: bytes, *, final: bool) -> str:
        try:
            return self._decoder.decode(data, final=final)
        except UnicodeDecodeError as exc:
            position = self._received + exc.start
            raise InvalidInput(f"the body is not valid UTF-8 (at byte {position})") from exc

    def _feed_text(self, text: str) -> None:
        if self._broken or not text:
            return
        pieces = (self._partial + text).split("\n")
        self._partial = pieces.pop()
        if len(self._partial) > MAX_RECORD_CHARS:
            self._too_long()
            return
        if pieces:
            self._lines([piece + "\n" for piece in pieces], final=False)

    def _too_long(self) -> None:
        self.problem(
            self.result.row_count + 1,
            None,
            f"a row is longer than {MAX_RECORD_CHARS} characters (an unterminated quote?); reading stopped",
        )
        self._broken = True
        self._partial = ""

    # Rows and problems --------------------------------------------------------------------------------

    def problem(self, row: int, field_name: str | None, reason: str) -> None:
        result = self.result
        result.problem_count += 1
        result.rows.clear()
        if len(result.problems) < MAX_REPORTED_ROW_PROBLEMS:
            result.problems.append(RowProblem(row, field_name, reason))

    def accept(self, number: int, row: ImportRow) -> None:
        if not self.result.problem_count:
            self.result.rows.append((number, row))

    def validation_problems(
        self, number: int, exc: ValidationError, field_of: Callable[[Sequence[Any]], str | None]
    ) -> None:
        for error in exc.errors(include_url=False):
            self.problem(number, field_of(error.get("loc", ())), _reason(error))

    # For subclasses -----------------------------------------------------------------------------------

    def _lines(self, lines: list[str], *, final: bool) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        """Called once after the last line."""


class NdjsonParser(_Parser):
    """One JSON object a line: ``{"email", "phone", "attributes", "list_ids"}``; blank lines are skipped."""

    def _lines(self, lines: list[str], *, final: bool) -> None:
        for line in lines:
            if not line.strip():
                continue
            self.result.row_count += 1
            number = self.result.row_count
            try:
                row = ImportRow.model_validate_json(line)
            except ValidationError as exc:
                self.validation_problems(number, exc, _dotted)
                continue
            self.accept(number, row)


@dataclass(frozen=True)
class _Columns:
    count: int
    email: int | None
    phone: int | None
    lists: int | None
    attributes: list[tuple[int, str]]
    unnamed: list[int]


def _csv_field(loc: Sequence[Any]) -> str | None:
    """A CSV problem names its column: ``attributes.City`` is ``City``, ``list_ids`` is ``lists``."""
    parts = [str(part) for part in loc if part != "[key]"]
    if not parts:
        return None
    if parts[0] == "attributes" and len(parts) > 1:
        return parts[1]
    if parts[0] == "list_ids":
        return "lists"
    return parts[0]


class CsvParser(_Parser):
    """RFC 4180 CSV with a header row; quoted cells may span lines."""

    def __init__(self) -> None:
        super().__init__()
        self._record: list[str] = []
        self._record_chars = 0
        self._odd_quotes = False
        self._columns: _Columns | None = None
        self._header_bad = False

    def _lines(self, lines: list[str], *, final: bool) -> None:
        # A line break ends a record unless it lies inside quotes, i.e. unless the record so far holds an
        # odd number of quote characters (an escaped quote is two of them, so parity is enough).
        complete: list[str] = []
        for line in lines:
            self._record.append(line)
            self._record_chars += len(line)
            if line.count('"') % 2:
                self._odd_quotes = not self._odd_quotes
            if not self._odd_quotes:
                complete.extend(self._record)
                self._record, self._record_chars = [], 0
            elif self._record_chars > MAX_RECORD_CHARS:
                self._parse(complete)
                self._too_long()
                self._record, self._record_chars = [], 0
                return
        self._parse(complete)

    def _finish(self) -> None:
        if self._record and not self._broken:
            # An odd number of quotes at the end: either a quote never closed, which the csv module
            # reports, or a stray quote inside an unquoted cell, which it reads as a character.
            self._parse(self._record)
            self._record = []
        if self._columns is None and not self._header_bad and not self._broken:
            self.problem(0, None, "the body is empty; a CSV import starts with a header row")

    def _parse(self, lines: list[str]) -> None:
        while lines:
            reader = csv.reader(lines, strict=True)
            try:
                for cells in reader:
                    self._cells(cells)
                return
            except csv.Error as exc:
                if self._columns is None and not self._header_bad:
                    self._header_bad = True
                    self.problem(0, None, f"the header is not valid CSV: {exc}")
                else:
                    self.result.row_count += 1
                    self.problem(self.result.row_count, None, f"not valid CSV: {exc}")
                lines = lines[max(reader.line_num, 1) :]

    def _cells(self, cells: list[str]) -> None:
        if not any(cell.strip() for cell in cells):
            return
        if self._columns is None and not self._header_bad:
            self._header(cells)
            return
        self.result.row_count += 1
        if self._columns is not None:
            self._row(self.result.row_count, cells, self._columns)

    def _header(self, cells: list[str]) -> None:
        names = [cell.strip() for cell in cells]
        special: dict[str, int] = {}
        attributes: list[tuple[int, str]] = []
        unnamed: list[int] = []
        seen: set[str] = set()
        problems: list[tuple[str | None, str]] = []
        for index, name in enumerate(names):
            lowered = name.lower()
            if not name:
                unnamed.append(index)
            elif lowered in ("email", "phone", "lists"):
                if lowered in special:
                    problems.append((name, f"the column {lowered!r} appears twice"))
                special[lowered] = index
            elif name in seen:
                problems.append((name, f"the column {name!r} appears twice"))
            else:
                try:
                    check_attribute_key(name)
                except ValueError as exc:
                    problems.append((name, str(exc)))
                attributes.append((index, name))
            seen.add(name)
        if "email" not in special and "phone" not in special:
            problems.append((None, "the header needs an email or a phone column"))
        if problems:
            self._header_bad = True
            for field_name, reason in problems:
                self.problem(0, field_name, reason)
            return
        self._columns = _Columns(
            count=len(names),
            email=special.get("email"),
            phone=special.get("phone"),
            lists=special.get("lists"),
            attributes=attributes,
            unnamed=unnamed,
        )

    def _row(self, number: int, cells: list[str], columns: _Columns) -> None:
        if len(cells) != columns.count:
            self.problem(number, None, f"the row has {len(cells)} cells, the header {columns.count}")
            return
        bad = False
        for index in columns.unnamed:
            if cells[index].strip():
                self.problem(number, f"column {index + 1}", "a value in a column without a name")
                bad = True
        list_ids: list[int] = []
        if columns.lists is not None:
            for part in cells[columns.lists].split(";"):
                part = part.strip()
                if not part:
                    continue
                if part.isascii() and part.isdigit():
                    list_ids.append(int(part))
                else:
                    self.problem(number, "lists", f"{part!r} is not a list id")
                    bad = True
        data = {
            "email": (cells[columns.email].strip() or None) if columns.email is not None else None,
            "phone": (cells[columns.phone].strip() or None) if columns.phone is not None else None,
            "attributes": {name: cells[index] for index, name in columns.attributes if cells[index] != ""},
            "list_ids": list_ids,
        }
        try:
            row = ImportRow.model_validate(data)
        except ValidationError as exc:
            self.validation_problems(number, exc, _csv_field)
            return
        if not bad:
            self.accept(number, row)


def parser_for(media_type: str) -> CsvParser | NdjsonParser | None:
    """A fresh parser for a Content-Type (parameters ignored), or None when it is not supported."""
    kind = MEDIA_TYPES.get(media_type.split(";", 1)[0].strip().lower())
    if kind is ImportFormat.CSV:
        return CsvParser()
    if kind is ImportFormat.NDJSON:
        return NdjsonParser()
    return None


def parse(data: bytes, media_type: str, *, chunk_size: int = 65536) -> ParsedImport:
    """Parse a whole body at once, chunk by chunk as a stream would arrive (tests, the CLI)."""
    parser = parser_for(media_type)
    if parser is None:
        raise InvalidInput(f"unsupported import format: {media_type}")
    for start in range(0, len(data), chunk_size):
        parser.feed(data[start : start + chunk_size])
    return parser.close()
