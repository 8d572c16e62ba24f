"""Which methods a path answers, asked of a router itself: a 405 and an ``OPTIONS`` answer must name
every one of them in ``Allow``, and a framework router names only the first matching route's."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import Scope

CANDIDATES = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(routes: Sequence[BaseRoute], scope: Scope, *, options: bool = True) -> list[str]:
    """The methods some route answers at this request's path, then OPTIONS where the caller answers it."""
    allowed = [
        method
        for method in CANDIDATES
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)
    ]
    return [*allowed, "OPTIONS"] if options else allowed
