"""Request bodies read only after the caller is known, and never beyond the endpoint's limit.

Every dialect answers in this order: no valid key → 401; then a declared ``Content-Length`` over the
endpoint's limit → refused before a byte of the body is read; then the body, read as it arrives and
given up the moment it passes the limit (a chunked upload that declares nothing included). An anonymous
caller can therefore never make the server hold its body, whatever its size.
"""

from __future__ import annotations

from starlette.types import Message, Receive, Scope

from herald.types import parse_integer


class BodyTooLarge(Exception):
    """The body (declared or received so far) is over ``limit`` bytes; nothing more of it was read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is larger than {limit} bytes")
        self.limit = limit


class ClientGone(Exception):
    """The client disconnected before its body was complete."""


def declared_length(scope: Scope) -> int | None:
    """The ``Content-Length`` the client declared (ASCII digits only), None when absent or unreadable."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return parse_integer(value.decode("latin-1").strip())
    return None


def refuse_declared(scope: Scope, limit: int) -> None:
    """Raise ``BodyTooLarge`` when the declared length is over ``limit``: before reading anything."""
    declared = declared_length(scope)
    if declared is not None and declared > limit:
        raise BodyTooLarge(limit)


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body, at most ``limit`` bytes; ``BodyTooLarge`` as soon as it is declared or found to be
    longer (the rest is never read), ``ClientGone`` when the client leaves first."""
    refuse_declared(scope, limit)
    chunks: list[bytes] = []
    received = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > limit:
            raise BodyTooLarge(limit)
        if chunk:
            chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` once, then waits on the real one (for the disconnect)."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again
