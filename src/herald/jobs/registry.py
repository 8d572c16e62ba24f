"""Which coroutine runs each job kind. Features register their handlers at import; every worker (embedded
or ``herald worker``) runs the kinds registered here.

A handler takes the claimed job (id, kind, payload, attempt), reloads what it needs by id, and must be
idempotent: a job whose worker died mid-run is run again. Raising records the error and retries the job
with backoff until its ``max_attempts`` are spent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from herald.jobs.service import ClaimedJob

JobHandler = Callable[[ClaimedJob], Awaitable[None]]

_HANDLERS: dict[str, JobHandler] = {}


def register(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Decorator: ``@register("messages.send")`` makes every worker run jobs of that kind."""

    def add(handler: JobHandler) -> JobHandler:
        if kind in _HANDLERS and _HANDLERS[kind] is not handler:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        _HANDLERS[kind] = handler
        return handler

    return add


def handlers() -> dict[str, JobHandler]:
    return dict(_HANDLERS)
