"""The app factory uvicorn imports in each server process."""

from __future__ import annotations

from sqlalchemy.orm import Session

from herald import wiring
from herald.api.app import create_app
from herald.api.observe import Observed
from herald.jobs.leases import QueueCount
from herald.logging import configure
from herald.settings import Settings


def build_app() -> Observed:
    settings = Settings()
    configure(settings.log_level, settings.log_format)
    wiring.wire()

    def queue_counts(session: Session) -> list[QueueCount]:
        return [row for lane in wiring.lanes(settings) for row in lane.counts(session)]

    return create_app(settings, queue_counts=queue_counts)
