"""The Dockerfile and compose.yaml build and start, where a container engine runs (this machine's CI has
only the client: the test says so and is skipped)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _engine() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False).returncode == 0


pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not _engine(), reason="NO CONTAINER ENGINE: docker info fails; Dockerfile untested here"
    ),
]


def test_compose_builds_and_starts_herald_with_postgresql() -> None:
    project = f"herald-test-{int(time.time())}"
    compose = ["docker", "compose", "-p", project, "-f", str(ROOT / "compose.yaml")]
    key = "ZmFrZS1rZXktZm9yLXRlc3RzLW9ubHktMzItYnl0ZXM="  # a valid Fernet key, for this test only
    env = {"HERALD_SECRET_KEY": key, "PATH": "/usr/bin:/bin:/usr/local/bin"}
    try:
        subprocess.run([*compose, "up", "-d", "--build"], check=True, timeout=900, env=env)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get("http://127.0.0.1:8000/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(1)
        else:
            raise AssertionError("herald did not answer /healthz in its container")
        assert httpx.get("http://127.0.0.1:8000/", timeout=5).status_code == 200
    finally:
        subprocess.run([*compose, "down", "-v"], check=False, timeout=300, env=env)
