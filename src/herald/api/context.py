"""What every HTTP dialect shares: settings, the database, and the API-key lookup."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from herald.accounts import service as accounts_service
from herald.accounts.schemas import Principal
from herald.db.base import utcnow
from herald.db.engine import Database
from herald.settings import Settings
from herald.webhooks.schemas import EndpointPolicy
from herald.webhooks.secrets import SecretBox, load_secret_box


@dataclass
class AppContext:
    settings: Settings
    database: Database
    # Seals webhook passwords and signing secrets; built from the settings unless given.
    secrets: SecretBox = field(default=None)  # type: ignore[assignment]
    # Told how many ledger events a request recorded (the metrics count them).
    count_recorded: Callable[[int], None] = field(default=lambda _events: None)
    # Keys used since the last flush, and when: written to ``api_keys.last_used_at`` about once a minute
    # (``flush_key_use``), so that no request has to write.
    _keys_used: dict[int, datetime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.secrets is None:
            self.secrets = load_secret_box(self.settings.secret_key, self.settings.secret_key_file)

    @property
    def webhook_policy(self) -> EndpointPolicy:
        return EndpointPolicy(allow_private=self.settings.webhook_allow_private)

    def principal_for_key(self, key: str | None) -> Principal | None:
        """The account behind ``key``; None when it is missing, malformed, unknown or revoked."""
        if not key:
            return None
        with self.database.read() as session:
            principal = accounts_service.authenticate(session, key=key)
        if principal is not None:
            self.note_use(principal)
        return principal

    def note_use(self, principal: Principal) -> None:
        self._keys_used[principal.key_id] = utcnow()

    def flush_key_use(self) -> None:
        """Write when each key was last used; a failure keeps the times for the next flush."""
        used, self._keys_used = self._keys_used, {}
        if not used:
            return
        try:
            with self.database.write() as session:
                accounts_service.mark_keys_used(session, used=used)
        except Exception:
            for key_id, moment in used.items():
                self._keys_used.setdefault(key_id, moment)
            raise


def key_from_authorization(header: str | None) -> str | None:
    """The API key in ``Authorization: Bearer KEY`` or ``Basic base64(anything:KEY)``."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer":
        return value or None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        _, sep, password = decoded.partition(":")
        return password if sep and password else None
    return None
