"""Encryption at rest for webhook passwords and signing secrets (Fernet, from the ``cryptography`` package).

Fernet is authenticated encryption with a versioned token format, maintained by the PyCA team; MultiFernet
lets an operator rotate the key (new key first, old keys after) without a migration. The key comes from
``HERALD_SECRET_KEY`` or, when unset, from a file that the first start creates with mode 0600.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


class SecretBox:
    """Encrypts and decrypts short secrets; the only object in Herald that holds the key."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one secret key is needed")
        self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in keys])

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def open(self, token: str) -> str:
        """The plain text of a sealed token; raises ValueError when the key cannot open it."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as error:
            raise ValueError("the secret key cannot decrypt this value (was the key changed?)") from error

    def __repr__(self) -> str:  # never show key material, even in a debugger or a log line
        return "SecretBox(<hidden>)"


def load_secret_box(secret_key: str | None, key_file: Path) -> SecretBox:
    """The box for ``HERALD_SECRET_KEY`` (comma-separated keys, first one encrypts), else for the key
    file, which is created with a fresh key when missing."""
    if secret_key:
        return SecretBox([k.strip() for k in secret_key.split(",") if k.strip()])
    if not key_file.exists():
        key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(Fernet.generate_key().decode("ascii") + "\n")
    keys = [line.strip() for line in key_file.read_text().splitlines() if line.strip()]
    return SecretBox(keys)


def new_signing_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
