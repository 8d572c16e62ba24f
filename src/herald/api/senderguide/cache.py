"""A short-lived cache of rendered report pages.

Clients poll the same pages (dashboards, page-by-page exports retried on timeouts); a page answered in the
last second is answered again from memory. An entry is dropped when

* this process records interactions (``AppContext.ledger_changed`` is bumped after the commit), or
* it is older than ``HERALD_REPORT_CACHE_SECONDS`` (default 1; 0 turns the cache off). This bounds how
  long a write made by another process (another worker, a CLI command revoking a key) can go unseen.

Entries are keyed by the credentials' hash, the message id and the request body, so an entry is only ever
served to a request that would have produced exactly the same answer.
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
    generation: int
    expires: float


class ReportCache:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: OrderedDict[bytes, CachedAnswer] = OrderedDict()

    @staticmethod
    def key(authorization: str | None, message_id: str, body: bytes) -> bytes:
        digest = hashlib.blake2b(digest_size=20)
        for part in ((authorization or "").encode(), message_id.encode(), body):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        return digest.digest()

    def get(self, key: bytes, generation: int) -> CachedAnswer | None:
        if self.seconds <= 0:
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.generation != generation or entry.expires < time.monotonic():
            self._entries.pop(key, None)
            return None
        return entry

    def put(self, key: bytes, *, status: int, body: bytes, generation: int) -> None:
        if self.seconds <= 0 or status != 200:
            return
        self._entries[key] = CachedAnswer(status, body, generation, time.monotonic() + self.seconds)
        self._entries.move_to_end(key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)
