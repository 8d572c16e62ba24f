"""Running the worker as a process: ``herald worker`` in the foreground, or the embedded worker that
``herald serve`` starts beside the HTTP server."""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import structlog

from herald.db.engine import Database
from herald.jobs.lanes import Lane
from herald.jobs.worker import Worker
from herald.settings import Settings

log = structlog.get_logger()
_PR_SET_PDEATHSIG = 1


def run_forever(
    settings: Settings,
    database: Database,
    lanes: Sequence[Lane[Any, Any]],
    *,
    owns_queue: bool,
    name: str | None = None,
) -> None:
    """Run a worker over ``lanes`` until SIGTERM or SIGINT, then let it finish and record what it has in
    flight. The database is disposed of at the end."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        worker = Worker(settings, database, lanes=lanes, owns_queue=owns_queue, name=name)
        await worker.run(stop)

    try:
        asyncio.run(main())
    finally:
        database.dispose()


def die_with_parent(parent_pid: int) -> None:
    """Make this process end when ``parent_pid`` does, even by ``kill -9``: the embedded worker must not
    outlive the server that owns its queue (Linux asks the kernel; elsewhere a watcher thread polls)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:  # the parent died before the line above ran
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="herald-parent-watch").start()


class EmbeddedWorker:
    """The worker process beside ``herald serve``, started again if it ever exits on its own (a crash must
    not leave webhooks undelivered while the server keeps accepting events)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._supervisor = threading.Thread(
            target=self._supervise, name="herald-worker-supervisor", daemon=True
        )

    def start(self) -> None:
        self.process = self._spawn()
        self._supervisor.start()

    @staticmethod
    def _spawn() -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "herald.cli.main", "worker", "--embedded-in", str(os.getpid())]
        return subprocess.Popen(command, stdin=subprocess.DEVNULL)  # noqa: S603 (our own interpreter and module)

    def _supervise(self) -> None:
        pause = 1.0
        while not self._stopping.wait(1.0):
            process = self.process
            if process is None or process.poll() is None:
                pause = 1.0
                continue
            log.error("worker.exited", code=process.returncode, restart_in_s=pause)
            if self._stopping.wait(pause):
                return
            pause = min(pause * 2, 30.0)
            self.process = self._spawn()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
