"""Running the real worker inside a test, and making endpoints the way the service does."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from herald import wiring
from herald.db.engine import Database
from herald.jobs.job_lane import JobHandler
from herald.jobs.worker import Worker
from herald.settings import Settings
from herald.webhooks import service as webhooks_service
from herald.webhooks.schemas import Created, EndpointPolicy, EndpointSpec
from herald.webhooks.secrets import load_secret_box


@contextmanager
def running_worker(
    settings: Settings,
    database: Database,
    *,
    handlers: dict[str, JobHandler] | None = None,
    owns_queue: bool = False,
    name: str | None = None,
) -> Iterator[Worker]:
    """The worker's loop on its own thread; stopped (in-flight work finished and recorded) on exit."""
    worker = Worker(
        settings,
        database,
        lanes=wiring.lanes(settings, job_handlers=handlers or {}),
        owns_queue=owns_queue,
        poll_seconds=0.02,
        name=name,
    )
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(worker.run(stop))
        except BaseException as error:  # surfaced to the test below
            failure.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield worker
    except AssertionError:
        if failure:  # the worker's own crash explains a test that waited in vain
            raise failure[0] from None
        raise
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()
    if failure:
        raise failure[0]


def make_endpoint(
    settings: Settings, database: Database, account_id: int, url: str, event_types: list[str], **fields: Any
) -> Created:
    box = load_secret_box(settings.secret_key, settings.secret_key_file)
    spec = EndpointSpec(dialect=fields.pop("dialect", "native"), url=url, event_types=event_types, **fields)
    with database.write() as session:
        return webhooks_service.create_endpoint(
            session, account_id=account_id, spec=spec, box=box, policy=EndpointPolicy(allow_private=True)
        )


def eventually(check: Callable[[], Any], timeout: float = 20.0, message: str = "condition not met") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.02)
