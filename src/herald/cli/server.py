"""The app factory uvicorn imports in each server process."""

from __future__ import annotations

from herald import wiring
from herald.api.app import DialectRouter, create_app
from herald.logging import configure
from herald.settings import Settings


def build_app() -> DialectRouter:
    settings = Settings()
    configure(settings.log_level)
    wiring.wire()
    return create_app(settings)
