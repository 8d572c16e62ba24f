"""A short-lived cache of rendered report pages.

Clients poll the same pages (dashboards, page-by-page exports retried on timeouts); a page answered
lately is answered again from memory, but only to a caller whose key was just verified, and only while
the message's report version (its newest ledger id, read in the same transaction as the key) is the one
the page was rendered at. Any process's write changes the version, so every API process answers as one:
a read that starts after a write was answered sees it. ``HERALD_REPORT_CACHE_SECONDS`` (default 1; 0
turns the cache off) bounds how long an entry is kept.

Entries are keyed by the account, its time zone, the message id and the request body, so an entry is
only ever served to a request that would have produced exactly the same answer.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass

MAX_ENTRIES = 2048


@dataclass(frozen=True)
class CachedAnswer:
    status: int
    body: bytes
    version: int
    expires: float


class ReportCache:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: OrderedDict[bytes, CachedAnswer] = OrderedDict()

    @staticmethod
    def key(account_id: int, timezone: str, message_id: int | None, body: bytes) -> bytes:
        digest = hashlib.blake2b(digest_size=20)
        for part in (str(account_id).encode(), timezone.encode(), str(message_id).encode(), body):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        return digest.digest()

    def get(self, key: bytes, version: int) -> CachedAnswer | None:
        if self.seconds <= 0:
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.version != version or entry.expires < time.monotonic():
            self._entries.pop(key, None)
            return None
        return entry

    def put(self, key: bytes, *, status: int, body: bytes, version: int) -> None:
        if self.seconds <= 0 or status != 200:
            return
        self._entries[key] = CachedAnswer(status, body, version, time.monotonic() + self.seconds)
        self._entries.move_to_end(key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)
