"""The SenderGuide (Everlytic) JSON dialect: the 3.0 interaction-data report (``report.py``) and the 2.0 SMS
webhooks (``sms_webhooks.py``).

A plain Starlette app, not FastAPI: the dialect has its own error envelope for everything (the framework's
404 and 405 included) and its hot path should not pay for dependency injection or response models.
"""

from __future__ import annotations

import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from herald.api.context import AppContext
from herald.api.methods import allowed_methods
from herald.api.senderguide import report, sms_webhooks
from herald.api.senderguide.cache import ReportCache
from herald.api.senderguide.errors import error_response
from herald.api.senderguide.sms_webhooks import SMS_WEBHOOKS
from herald.errors import HeraldError

log = structlog.get_logger()


async def not_found(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException) and exc.status_code == 405:
        answer = error_response(request, 405, f"method {request.method} is not allowed here")
        # Starlette names the first matching route's methods only; every route of the path counts.
        if request.url.path == f"{SMS_WEBHOOKS}/create":  # not a webhook id: only its own route counts
            answer.headers["Allow"] = "POST"
        else:
            methods = allowed_methods(request.app.router.routes, request.scope, options=False)
            answer.headers["Allow"] = ", ".join(methods)
        return answer
    return error_response(request, 404, "not found")


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HeraldError)
    return error_response(request, exc.status, exc.detail)


async def unexpected(request: Request, exc: Exception) -> Response:
    log.exception("senderguide.unhandled_error", path=request.url.path)
    return error_response(request, 500, "an unexpected error occurred; it has been logged")


ROUTES = [
    Route("/api/3.0/messages/interaction-data/{message_id}", report.interaction_data, methods=["POST"]),
    Route(SMS_WEBHOOKS, sms_webhooks.list_webhooks, methods=["GET"]),
    Route(f"{SMS_WEBHOOKS}/create", sms_webhooks.create_webhook, methods=["POST"]),
    Route(f"{SMS_WEBHOOKS}/{{webhook_id}}", sms_webhooks.get_webhook, methods=["GET"]),
    Route(f"{SMS_WEBHOOKS}/{{webhook_id}}", sms_webhooks.update_webhook, methods=["PUT"]),
    Route(f"{SMS_WEBHOOKS}/{{webhook_id}}", sms_webhooks.delete_webhook, methods=["DELETE"]),
    Route(f"{SMS_WEBHOOKS}/{{webhook_id}}/update", sms_webhooks.update_webhook, methods=["POST"]),
    Route(f"{SMS_WEBHOOKS}/{{webhook_id}}/delete", sms_webhooks.delete_webhook, methods=["POST"]),
]


def create_senderguide_app(context: AppContext) -> Starlette:
    app = Starlette(
        routes=ROUTES,
        exception_handlers={404: not_found, 405: not_found, HeraldError: domain_error, Exception: unexpected},
    )
    # A path with a trailing slash is another path: answered in the envelope, never with a bare redirect.
    app.router.redirect_slashes = False
    app.state.context = context
    app.state.report_cache = ReportCache(context.settings.report_cache_seconds)
    return app
