"""A short-lived cache of rendered report pages, exact across processes.

Clients poll the same pages (dashboards, page-by-page exports retried on timeouts); a page answered
lately is answered again from memory, but never to a caller the database would refuse now, and never
once the page may have changed. Two facts decide, both read from the database so that every API process
answers as one (a read that starts after a write was answered sees it):

* the message's *report version* (its newest ledger id, ``interactions.report.report_version``): a page
  rendered at the version the request reads now is the page it would render;
* on SQLite, the file's *change stamp* (``Database.change_stamp``: it moves on any commit by any
  process): while it has not moved since a key was verified or a page rendered, nothing either depended
  on has changed, so neither needs a query at all. PostgreSQL has no such stamp: there every request
  verifies its key and reads the version (two indexed probes in one read transaction).

``HERALD_REPORT_CACHE_SECONDS`` (default 1; 0 turns the cache off) bounds how long an entry is kept.
Pages are keyed by the account, its time zone, the message id and the request body, so an entry is only
ever served to a request that would have produced exactly the same answer; verified callers by a hash
of their ``Authorization`` header, never the key itself.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass

from herald.accounts.schemas import Principal

MAX_ENTRIES = 2048


@dataclass
class CachedAnswer:
    status: int
    body: bytes
    version: int
    stamp: int | None
    expires: float


@dataclass(frozen=True)
class VerifiedCaller:
    principal: Principal
    stamp: int


def _digest(*parts: bytes) -> bytes:
    digest = hashlib.blake2b(digest_size=20)
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


class ReportCache:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: OrderedDict[bytes, CachedAnswer] = OrderedDict()
        self._callers: OrderedDict[bytes, VerifiedCaller] = OrderedDict()

    @staticmethod
    def key(account_id: int, timezone: str, message_id: int | None, body: bytes) -> bytes:
        return _digest(str(account_id).encode(), timezone.encode(), str(message_id).encode(), body)

    def known_caller(self, authorization: str | None, stamp: int | None) -> Principal | None:
        """The principal this exact ``Authorization`` was verified as, if nothing was committed since."""
        if self.seconds <= 0 or stamp is None or not authorization:
            return None
        caller = self._callers.get(_digest(authorization.encode()))
        return caller.principal if caller is not None and caller.stamp == stamp else None

    def remember_caller(self, authorization: str | None, principal: Principal, stamp: int | None) -> None:
        """``stamp`` must have been read *before* the key was verified."""
        if self.seconds <= 0 or stamp is None or not authorization:
            return
        self._callers[_digest(authorization.encode())] = VerifiedCaller(principal, stamp)
        while len(self._callers) > MAX_ENTRIES:
            self._callers.popitem(last=False)

    def entry(self, key: bytes) -> CachedAnswer | None:
        if self.seconds <= 0:
            return None
        entry = self._entries.get(key)
        if entry is not None and entry.expires < time.monotonic():
            self._entries.pop(key, None)
            return None
        return entry

    def put(self, key: bytes, *, status: int, body: bytes, version: int, stamp: int | None) -> None:
        """``version`` and ``stamp`` must have been read *before* the page was."""
        if self.seconds <= 0 or status != 200:
            return
        self._entries[key] = CachedAnswer(status, body, version, stamp, time.monotonic() + self.seconds)
        self._entries.move_to_end(key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)
