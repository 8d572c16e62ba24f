"""The fuzz stage: Schemathesis over Herald's own OpenAPI document (every operation of every dialect,
a bounded number of examples, all checks) against a real ``herald serve``. Never a 5xx, every answer
declared with its content type and schema, 405 with the right Allow, auth really checked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from herald.db.engine import connect
from herald.settings import Settings
from tests.conftest import make_tenant
from tests.e2e.server import Server

ST = str(Path(sys.executable).with_name("st"))
MAX_EXAMPLES = int(os.environ.get("HERALD_FUZZ_EXAMPLES", "20"))
MAX_SECONDS = int(os.environ.get("HERALD_FUZZ_SECONDS", "150"))

CONFIG = """
[auth.openapi.HTTPBearer]
bearer = "{key}"
[auth.openapi.APIKeyHeader]
api_key = "{key}"
[auth.openapi.SenderGuideBasic]
username = "fuzz"
password = "{key}"
[auth.openapi.ExpertSenderApiKey]
api_key = "{key}"

# A request that fits the schema may still break a rule the schema cannot say (an unknown list id, a
# cursor of another listing, a host that does not resolve): those answers are 400/404/409/422 problems.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "404", "409", "413", "422"]
# Too many rows is a 413 (Content Too Large), Herald's documented answer to an over-long ingest.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422"]
"""


@pytest.mark.e2e
def test_every_operation_survives_schemathesis_with_all_checks(tmp_path: Path, sqlite_template: Path) -> None:
    path = tmp_path / "fuzz.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    database = connect(Settings(database_url=url))
    tenant = make_tenant(database, "fuzz")
    database.dispose()
    server = Server(url, tmp_path, extra_env={"HERALD_WEBHOOK_ALLOW_PRIVATE": "false"})
    server.start()
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(key=tenant.key))
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz.schemathesis_hooks", "PYTHONPATH": str(root)}
    try:
        run = subprocess.run(
            [
                ST,
                "--config-file",
                str(config),
                "run",
                f"{server.base_url}/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--max-time",
                str(MAX_SECONDS),
                "--workers",
                "2",
                "--seed",
                "20261208",
            ],
            env=env,
            cwd=tmp_path,  # its cache stays out of the repository
            capture_output=True,
            text=True,
            timeout=MAX_SECONDS + 120,
        )
    finally:
        server.stop()
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    assert "unhandled_error" not in server.output(), server.output()[-4000:]
