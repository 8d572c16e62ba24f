"""The native JSON API (``/v1``), documented by its OpenAPI at ``/openapi.json`` and ``/docs``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.responses import Response

from herald import __version__
from herald.api.context import AppContext
from herald.api.native import openapi, problems, routers
from herald.api.native.interactions import IngestBatch, InteractionIn
from herald.api.native.webhooks import docs as webhook_docs

DESCRIPTION = """
Herald's own API. Authenticate with `Authorization: Bearer KEY` (or `X-API-Key: KEY`).
Errors are RFC 9457 `application/problem+json`. Lists page with an opaque `cursor`:
pass the `next_cursor` of one page to get the next; a page without `next_cursor` is the last.

The vendor-compatible dialects are served by the same process:
SenderGuide at `/api/3.0/...` and `/api/2.0/...`, ExpertSender at `/v2/Api/...` (see the docs folder).
"""


def create_native_app(context: AppContext, *, other_dialects: tuple[dict[str, Any], ...] = ()) -> FastAPI:
    """The native API; ``other_dialects`` are the OpenAPI documents of the dialects served beside it."""
    app = FastAPI(
        title="Herald",
        version=__version__,
        description=DESCRIPTION,
        swagger_ui_parameters={"persistAuthorization": True},
    )
    app.state.context = context
    problems.install(app)
    for router in routers.ALL:
        app.include_router(router, prefix="/v1")
    webhook_docs.install(app)
    openapi.install(app, extra_models=(IngestBatch, InteractionIn), other_dialects=other_dialects)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        with context.database.read() as session:
            session.connection().exec_driver_sql("SELECT 1")
        return Response(b'{"status":"ok"}', media_type="application/json")

    return app
