"""How an import that cannot be applied is refused: every bad row, with its reason."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from herald.errors import FieldProblem, HeraldError

MAX_REPORTED_ROW_PROBLEMS = 1000


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with one row of an import: ``row`` counts data rows from 1 (0 is the CSV header)."""

    row: int
    field: str | None
    reason: str


class ImportRejected(HeraldError):
    """An import with at least one bad row: nothing was written. Holds the first problems and their total."""

    code = "import_rejected"
    status = 422

    def __init__(self, *, rows: Sequence[RowProblem], total: int) -> None:
        shown = list(rows[:MAX_REPORTED_ROW_PROBLEMS])
        listed = "" if total <= len(shown) else f"; the first {len(shown)} are listed"
        super().__init__(
            f"nothing was imported: {total} problem{'s' if total != 1 else ''} found{listed}",
            problems=[FieldProblem(f"rows.{p.row}.{p.field or ''}".rstrip("."), p.reason) for p in shown],
        )
        self.rows = shown
        self.total = total
