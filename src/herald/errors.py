"""Errors that carry their meaning: a stable ``code``, an HTTP status, and a human sentence.

Domain code raises these; each API dialect renders them in its own envelope.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one input field (``field`` is a dotted path, e.g. ``interactions.3.type``)."""

    field: str
    reason: str


class HeraldError(Exception):
    code = "error"
    status = 500

    def __init__(self, detail: str, *, problems: Sequence[FieldProblem] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = list(problems)


class NotFound(HeraldError):
    code = "not_found"
    status = 404


class InvalidInput(HeraldError):
    code = "invalid_input"
    status = 400


class Conflict(HeraldError):
    code = "conflict"
    status = 409


class Unauthenticated(HeraldError):
    code = "unauthenticated"
    status = 401
