"""The composition root: the one place that says what plugs into what.

Lower layers offer extension points and never import the layers above them; this module, above them all,
fills those points: which lanes the worker runs, which job kinds have handlers, who hears about events the
ledger records, which webhook payload shapes exist, and who may object to a list or segment being deleted.
Every entry point (``herald serve`` and its app factory, ``herald worker``, the CLI, tests) calls ``wire()``
once before it serves; an extension point used before that raises ``NotWired`` instead of silently doing
nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from herald.api.native.webhooks import payload as native_webhook_payload
from herald.api.senderguide import codes as senderguide_codes
from herald.api.senderguide import webhook_payload as senderguide_webhook_payload
from herald.contacts import usage
from herald.contacts.segments import service as segments_service
from herald.extension import all_points
from herald.interactions import handoff
from herald.jobs.job_lane import JobHandler, JobLane
from herald.jobs.lanes import Lane
from herald.messages import service as messages_service
from herald.settings import Settings
from herald.webhooks import outbox, shapes
from herald.webhooks.delivery import RetryPolicy
from herald.webhooks.lane import WebhookLane
from herald.webhooks.secrets import load_secret_box

_wired = threading.Lock()


def wire() -> None:
    """Fill every extension point, once per process (later calls do nothing), then seal them all."""
    with _wired:
        if handoff.subscribers.sealed:
            return
        # Who hears about what the ledger records, in this order, in the recording transaction.
        handoff.subscribers.add("webhooks", outbox.on_recorded)
        # The payload each dialect's webhook endpoints receive.
        shapes.shapes.add(native_webhook_payload.DIALECT, native_webhook_payload.SHAPE)
        shapes.shapes.add(senderguide_codes.DIALECT, senderguide_webhook_payload.SHAPE)
        # Who may refuse that a list or segment be deleted, asked in this order.
        usage.referrers.add("segments", segments_service.refuse_if_list_used)
        usage.referrers.add("messages", messages_service.refuse_if_targeted)
        for point in all_points():
            point.seal()


# Job kinds and the coroutine that runs each (mark handlers with ``herald.jobs.job_lane.handles``).
JOB_HANDLERS: Mapping[str, JobHandler] = {}


def lanes(
    settings: Settings, *, job_handlers: Mapping[str, JobHandler] | None = None
) -> list[Lane[Any, Any]]:
    """Every lane a worker runs, in the order each turn claims them; each lane's concurrency is its own
    setting (``HERALD_WEBHOOK_CONCURRENCY``, ``HERALD_JOB_CONCURRENCY``)."""
    retention = (
        timedelta(days=settings.webhook_retention_days) if settings.webhook_retention_days > 0 else None
    )
    return [
        WebhookLane(
            concurrency=settings.webhook_concurrency,
            open_box=lambda: load_secret_box(settings.secret_key, settings.secret_key_file),
            policy=RetryPolicy.from_setting(settings.webhook_retry_schedule),
            timeout_s=settings.webhook_timeout_seconds,
            allow_private=settings.webhook_allow_private,
            retention=retention,
        ),
        JobLane(
            handlers=JOB_HANDLERS if job_handlers is None else job_handlers,
            concurrency=settings.job_concurrency,
        ),
    ]
