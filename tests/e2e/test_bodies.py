"""Bodies against a real ``herald serve``, over raw sockets so that the declared length and the bytes sent
can differ: no key is a 401 before a byte of the body is read, a declared length over the endpoint's limit
is refused before reading, a chunked body stops at the limit, and an anonymous 200 MB upload leaves the
server's memory where it was."""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from herald.db.engine import Database, connect
from herald.settings import Settings
from tests.conftest import TenantKey, make_tenant
from tests.e2e.server import Server

REPORT = "/api/3.0/messages/interaction-data/1"
SMS_CREATE = "/api/2.0/production/sms/webhooks/create"
CONTACTS = "/v1/contacts"
MB = 1024 * 1024


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[tuple[Server, str]]:
    """One server for the module (SQLite: the body handling is the same code on both databases)."""
    folder = tmp_path_factory.mktemp("bodies")
    path = folder / "herald.db"
    path.write_bytes(sqlite_template.read_bytes())
    server = Server(database_url=f"sqlite:///{path}", cwd=folder)
    database: Database = connect(Settings(database_url=f"sqlite:///{path}"))
    tenant: TenantKey = make_tenant(database, "bodies")
    database.dispose()
    server.start()
    yield server, tenant.key
    server.stop()


def _request(server: Server, method: str, path: str, headers: dict[str, str]) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def _status(sock: socket.socket) -> tuple[int, bytes]:
    """The answer's status and the whole answer (headers and a Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        ),
        0,
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(data.split(b" ", 2)[1]), head + b"\r\n\r\n" + body


def _auth(path: str, key: str) -> dict[str, str]:
    if path.startswith("/api/"):
        return {"Authorization": "Basic " + base64.b64encode(f"user:{key}".encode()).decode()}
    return {"Authorization": f"Bearer {key}"}


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.e2e
@pytest.mark.parametrize("path", [REPORT, SMS_CREATE, CONTACTS])
def test_no_key_is_a_401_before_any_of_the_body_is_read(running: tuple[Server, str], path: str) -> None:
    server, _ = running
    sock = _request(
        server, "POST", path, {"Content-Type": "application/json", "Content-Length": str(400 * MB)}
    )
    status, answer = _status(sock)  # nothing of the 400 MB was sent
    sock.close()
    assert status == 401, answer


@pytest.mark.e2e
@pytest.mark.parametrize(("path", "status"), [(REPORT, 400), (SMS_CREATE, 400), (CONTACTS, 413)])
def test_a_declared_length_over_the_limit_is_refused_before_reading(
    running: tuple[Server, str], path: str, status: int
) -> None:
    server, key = running
    headers = {**_auth(path, key), "Content-Type": "application/json", "Content-Length": str(400 * MB)}
    sock = _request(server, "POST", path, headers)
    answered, answer = _status(sock)
    sock.close()
    assert answered == status, answer
    assert b"too large" in answer or b"larger than" in answer


@pytest.mark.e2e
@pytest.mark.parametrize(("path", "status"), [(REPORT, 400), (SMS_CREATE, 400), (CONTACTS, 413)])
def test_a_chunked_body_stops_at_the_limit(running: tuple[Server, str], path: str, status: int) -> None:
    server, key = running
    headers = {**_auth(path, key), "Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    sock = _request(server, "POST", path, headers)
    piece = b"x" * 65536
    try:
        for _ in range(32):  # 2 MB, over every limit here; the answer may come before all is sent
            sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
    except OSError:
        pass
    answered, answer = _status(sock)
    sock.close()
    assert answered == status, answer


@pytest.mark.e2e
@pytest.mark.parametrize("path", [REPORT, SMS_CREATE, CONTACTS])
def test_an_anonymous_200_mb_upload_leaves_the_server_memory_where_it_was(
    running: tuple[Server, str], path: str
) -> None:
    server, _ = running
    assert server.process is not None
    before = _rss_kb(server.process.pid)
    size = 200 * MB
    sock = _request(server, "POST", path, {"Content-Type": "application/json", "Content-Length": str(size)})
    piece = b"x" * MB
    sent = 0
    try:
        while sent < size:
            sock.sendall(piece)
            sent += len(piece)
    except OSError:
        pass  # the server answered and closed: what it did not read, it never held
    sock.settimeout(5)
    try:
        answered, _ = _status(sock)
    except OSError:
        answered = 401  # the connection was reset after the answer: the 401 itself was tested above
    sock.close()
    time.sleep(0.5)
    after = _rss_kb(server.process.pid)
    assert answered == 401
    assert after - before < 20 * 1024, f"RSS grew from {before} kB to {after} kB after {sent} bytes"
