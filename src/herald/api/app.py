"""The ASGI application: one process serves the native API and both vendor dialects.

Requests are dispatched by path before any framework routing, because the ExpertSender dialect must
match its paths case-insensitively (as the original ASP.NET service does) and each dialect renders every
error, the framework's own 404 and 405 included, in its own envelope.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from herald.api.context import AppContext
from herald.api.expertsender import openapi as expertsender_openapi
from herald.api.expertsender.app import create_expertsender_app
from herald.api.native.app import create_native_app
from herald.api.native.guard import CredentialsFirst
from herald.api.observe import Observed, QueueCounter
from herald.api.senderguide import openapi as senderguide_openapi
from herald.api.senderguide.app import create_senderguide_app
from herald.db.engine import Database, connect
from herald.settings import Settings

_SENDERGUIDE = re.compile(r"^/api/\d+\.\d+(/|$)", re.IGNORECASE)
_EXPERTSENDER = re.compile(r"^/(v2/)?api(/|$)", re.IGNORECASE)


class DialectRouter:
    """Sends each request to the sub-app of its dialect; lifespan events go to the native app."""

    def __init__(self, *, native: ASGIApp, senderguide: ASGIApp, expertsender: ASGIApp) -> None:
        self.native = native
        self.senderguide = senderguide
        self.expertsender = expertsender

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            if _SENDERGUIDE.match(path):
                await self.senderguide(scope, receive, send)
                return
            if _EXPERTSENDER.match(path):
                await self.expertsender(scope, receive, send)
                return
        await self.native(scope, receive, send)


def create_app(
    settings: Settings | None = None,
    database: Database | None = None,
    *,
    queue_counts: QueueCounter | None = None,
) -> Observed:
    """The whole HTTP application: every dialect behind the path dispatcher, observed (access lines,
    metrics). ``queue_counts`` (from the composition root) lets the metrics show every lane's queue."""
    settings = settings or Settings()
    database = database or connect(settings)
    context = AppContext(settings=settings, database=database)
    router = DialectRouter(
        native=CredentialsFirst(
            create_native_app(
                context, other_dialects=(senderguide_openapi.DOCUMENT, expertsender_openapi.DOCUMENT)
            ),
            context,
        ),
        senderguide=create_senderguide_app(context),
        expertsender=create_expertsender_app(context),
    )
    observed = Observed(
        router, metrics_token=settings.metrics_token, database=database, queue_counts=queue_counts
    )
    context.count_recorded = observed.count_recorded
    return observed
