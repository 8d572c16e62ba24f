"""Schemathesis hooks for Herald's fuzz stage: how to send the text bodies of a contact import."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.serializer("text/csv", "application/csv", "application/x-ndjson", "application/ndjson")
def as_text(_ctx: Any, value: Any) -> bytes:
    """Generated strings as bytes; lone surrogates pass through as the bad UTF-8 they would be."""
    text = value if isinstance(value, str) else str(value)
    return text.encode("utf-8", errors="surrogatepass")
