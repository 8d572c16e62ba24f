"""The machinery the webhook benchmark (``bench/webhooks.py``) stands on: the receiver process and its
control endpoints, a fresh Herald (database, account, key, one native endpoint pointing at the receiver)
with its contacts and a sent message, the events it is fed, ``herald worker`` processes, and the checks
after a run (deliveries recorded in the database, signatures verified with ``standardwebhooks``). It is
its own module so that the measurements (``webhooks_measurements.py``), the profile
(``webhooks_profile.py``) and the script share one setup without the script growing past the project's
module size.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

import common
from common import HOST, RESULTS_DIR, VENV_BIN, log
from herald.api.native.webhooks import payload as native_payload
from herald.db.engine import connect
from herald.migrations import tables  # noqa: F401 (every model, so the ORM resolves foreign keys)
from herald.settings import Settings
from herald.webhooks import records
from herald.webhooks import service as webhooks_service
from herald.webhooks.models import WebhookAttempt, WebhookDelivery
from herald.webhooks.schemas import EndpointPolicy, EndpointSpec
from herald.webhooks.secrets import load_secret_box

EVENT_TYPES = ["sends", "opens", "clicks"]
HOOK_PATH = "/hooks/herald"
FOLDER = RESULTS_DIR / "webhooks"


# --- small helpers ---------------------------------------------------------------------------------------


def quantile(ordered: Sequence[float], q: float) -> float:
    """Nearest rank, as ``common.Timing`` takes its p99."""
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def rfc3339_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process (Linux ``/proc``), None when unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Api:
    """The native API of a running server, one kept-alive connection (setup calls only)."""

    def __init__(self, port: int, key: str) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=120)
        self.auth = {"Authorization": f"Bearer {key}"}

    def call(self, method: str, path: str, body: bytes | None = None, content_type: str = "") -> Any:
        headers = dict(self.auth)
        if content_type:
            headers["Content-Type"] = content_type
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}: {data[:300]!r}")
        return orjson.loads(data) if data else None

    def close(self) -> None:
        self.connection.close()


class Receiver:
    """The receiver process's control endpoints."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://{HOST}:{port}{HOOK_PATH}"
        self.pid = int(self.stats()["pid"])

    def _call(self, method: str, path: str) -> Any:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        return (
            orjson.loads(data)
            if response.headers.get("Content-Type", "").startswith("application/json")
            else None
        )

    def reset(self) -> None:
        self._call("POST", "/_bench/reset")

    def stats(self) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", "/_bench/stats")
        return found

    def dump(self) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", "/_bench/dump")
        return found

    def wait_for(
        self, count: int, timeout_s: float, label: str, on_first: Callable[[], None] | None = None
    ) -> dict[str, Any]:
        """Poll until ``count`` distinct deliveries arrived (or the timeout); logs progress. ``on_first``
        runs once, as soon as the first delivery is seen."""
        deadline = time.monotonic() + timeout_s
        next_log = time.monotonic() + 2.0
        stats = self.stats()
        while stats["distinct"] < count and time.monotonic() < deadline:
            time.sleep(0.05)
            stats = self.stats()
            if on_first is not None and stats["distinct"]:
                on_first()
                on_first = None
            if time.monotonic() >= next_log:
                next_log += 2.0
                log(f"{label}: {stats['distinct']:,} / {count:,} delivered")
        return stats


@contextlib.contextmanager
def receiver_process() -> Iterator[Receiver]:
    port = common.free_port()
    command = [sys.executable, str(common.BENCH_DIR / "webhook_receiver.py"), "--port", str(port)]
    with common.running(
        command,
        port=port,
        health_path="/_bench/stats",
        env={},
        log_path=RESULTS_DIR / "webhooks-receiver.log",
    ):
        yield Receiver(port)


def sample_request(secret: str) -> tuple[bytes, dict[str, str]]:
    """A body the size and shape of a real native delivery (built by Herald's own payload function), and
    the headers the worker sends with it."""
    now = datetime.now(UTC)
    facts = records.EventFacts(
        interaction_id=12_345,
        type="opens",
        message_id=1,
        contact_id=4_321,
        contact_email="contact-000004321@example.com",
        contact_phone=None,
        occurred_at=now,
        recorded_at=now,
        event_id="wh-sample-000012345",
        metadata={"bench_sent_at": time.time()},
        channel="email",
        campaign_name="",
        timezone="UTC",
        send_id=None,
        sent_at=None,
    )
    body = orjson.dumps(native_payload.payload("", facts))
    stamp = now.replace(microsecond=0)
    headers = {
        "User-Agent": "Herald-Webhooks/1",
        "Content-Type": "application/json",
        "webhook-id": "msg_12345",
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id="msg_12345", timestamp=stamp, data=body.decode()),
    }
    return body, headers


# --- a fresh Herald --------------------------------------------------------------------------------------


@dataclass
class Instance:
    """A fresh database with an account, its key and one native endpoint pointing at the receiver."""

    db: str
    url: str
    env: dict[str, str]
    key: str
    account_id: int
    secret: str
    database_name: str | None = None
    message_id: int = 0
    contact_ids: list[int] = field(default_factory=list)


def herald_cli(env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(
        [str(VENV_BIN / "herald"), *args],
        env={**os.environ, **env},
        cwd=common.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"herald {' '.join(args)} failed: {completed.stderr[-2000:]}")
    return completed.stdout.strip()


@contextlib.contextmanager
def fresh_instance(db: str, label: str, receiver: Receiver, args: argparse.Namespace) -> Iterator[Instance]:
    database_name = None
    if db == "sqlite":
        FOLDER.mkdir(parents=True, exist_ok=True)
        path = FOLDER / f"{label}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        database_name = common.create_postgres_database()
        url = common.postgres_url_for(database_name)
    env = {
        "HERALD_DATABASE_URL": url,
        "HERALD_SECRET_KEY": Fernet.generate_key().decode("ascii"),
        "HERALD_WEBHOOK_ALLOW_PRIVATE": "true",
        "HERALD_WEBHOOK_CONCURRENCY": str(args.concurrency),
    }
    try:
        herald_cli(env, "migrate")
        account_id = int(herald_cli(env, "accounts", "create", "bench").splitlines()[-1])
        key = herald_cli(env, "keys", "create", "--account", "bench").splitlines()[-1]
        settings = Settings(database_url=url, secret_key=env["HERALD_SECRET_KEY"])
        database = connect(settings)
        try:
            with database.write() as session:
                created = webhooks_service.create_endpoint(
                    session,
                    account_id=account_id,
                    spec=EndpointSpec(
                        dialect=native_payload.DIALECT, url=receiver.url, event_types=EVENT_TYPES
                    ),
                    box=load_secret_box(settings.secret_key, settings.secret_key_file),
                    policy=EndpointPolicy(allow_private=True),
                )
        finally:
            database.dispose()
        yield Instance(db, url, env, key, account_id, created.secret, database_name)
    finally:
        if database_name is not None:
            common.drop_postgres_database(database_name)


def populate(instance: Instance, port: int, contacts: int) -> None:
    """One sent email message and ``contacts`` contacts, through the native API."""
    api = Api(port, instance.key)
    try:
        message = api.call(
            "POST",
            "/v1/messages",
            orjson.dumps(
                {
                    "channel": "email",
                    "type": "Newsletter",
                    "sender": "news@example.com",
                    "subject": "Webhook benchmark",
                    "status": "Sent",
                }
            ),
            "application/json",
        )
        instance.message_id = int(message["id"])
        ndjson = b"\n".join(orjson.dumps({"email": f"contact-{n:09d}@example.com"}) for n in range(contacts))
        api.call("POST", "/v1/contacts/import", ndjson, "application/x-ndjson")
        ids: list[int] = []
        cursor = ""
        while True:
            page = api.call("GET", f"/v1/contacts?limit=1000{'&cursor=' + cursor if cursor else ''}")
            ids.extend(int(c["id"]) for c in page["data"])
            cursor = page.get("next_cursor") or ""
            if not cursor:
                break
        instance.contact_ids = ids
    finally:
        api.close()


def make_events(instance: Instance, first: int, count: int, *, stamp: bool) -> list[dict[str, Any]]:
    """Events ``first`` .. ``first + count - 1``: a send to each contact in turn, then opens and clicks
    (7:3) of those sends, each with its own ``event_id``; ``stamp`` puts ``time.time()`` in the metadata."""
    contacts = instance.contact_ids
    occurred_at = rfc3339_now()
    sent_at = time.time()
    rows = []
    for n in range(first, first + count):
        kind = "sends" if n < len(contacts) else "clicks" if n % 10 >= 7 else "opens"
        metadata: dict[str, Any] = {}
        if kind == "clicks":
            metadata["url"] = "https://example.com/offer?utm_source=herald"
        if stamp:
            metadata["bench_sent_at"] = sent_at
        rows.append(
            {
                "message_id": instance.message_id,
                "contact_id": contacts[n % len(contacts)],
                "type": kind,
                "occurred_at": occurred_at,
                "event_id": f"wh-{n:09d}",
                "metadata": metadata,
            }
        )
    return rows


def start_worker(instance: Instance, name: str) -> subprocess.Popen[bytes]:
    """``herald worker`` as an operator starts it, in its own process group (stopped by ``common.stop``)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    with (RESULTS_DIR / f"webhooks-{name}.log").open("wb") as worker_log:
        return subprocess.Popen(
            [str(VENV_BIN / "herald"), "worker", "--name", name],
            env={**os.environ, **instance.env},
            stdout=worker_log,
            stderr=subprocess.STDOUT,
            cwd=common.ROOT,
            start_new_session=True,
        )


def delivery_counts(instance: Instance) -> dict[str, int]:
    database = connect(Settings(database_url=instance.url, secret_key=instance.env["HERALD_SECRET_KEY"]))
    try:
        with database.read() as session:
            states = dict(
                session.execute(
                    select(WebhookDelivery.state, func.count()).group_by(WebhookDelivery.state)
                ).all()
            )
            attempts = session.scalar(select(func.count()).select_from(WebhookAttempt)) or 0
    finally:
        database.dispose()
    return {**{str(k): int(v) for k, v in states.items()}, "attempts": int(attempts)}


def verify_samples(samples: list[dict[str, Any]], secret: str) -> tuple[int, int]:
    """(verified, sampled): each kept request's signature checked by the ``standardwebhooks`` package,
    and its body a native payload of one of the events this run posted."""
    signer = Webhook(secret)
    verified = 0
    for sample in samples:
        try:
            signer.verify(sample["body"], sample["headers"])
        except WebhookVerificationError:
            continue
        body = orjson.loads(sample["body"])
        if str(body["data"]["event_id"]).startswith("wh-") and sample["headers"]["webhook-id"].startswith(
            "msg_"
        ):
            verified += 1
    return verified, len(samples)
