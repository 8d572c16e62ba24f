"""Fixtures shared by every test: a migrated database on SQLite and on PostgreSQL, an app, accounts.

Every storage-dependent test takes ``database`` (directly or through ``client``) and so runs twice, once on
each backend. The PostgreSQL half uses a throwaway database on the server at ``HERALD_TEST_POSTGRES_URL``
(default: the local server); it is skipped loudly where none is reachable, and fails under ``CI=true``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from herald import wiring
from herald.accounts import service as accounts_service
from herald.api.app import create_app
from herald.db import migrate as db_migrate
from herald.db.engine import Database, connect
from herald.settings import Settings

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# One Fernet key for the whole run: tests never touch a key file in the working tree.
TEST_SECRET_KEY = Fernet.generate_key().decode("ascii")
TRUNCATE_ORDER = None  # computed from the metadata


def postgres_admin_url() -> str:
    return os.environ.get("HERALD_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@dataclass
class Backend:
    name: str
    url: str


@pytest.fixture(scope="session", autouse=True)
def wired() -> None:
    """What every entry point does first: fill the extension points (``herald.wiring``)."""
    wiring.wire()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated once; each test copies it (faster than migrating per test)."""
    path = tmp_path_factory.mktemp("template") / "herald.db"
    database = connect(Settings(database_url=f"sqlite:///{path}"))
    db_migrate.upgrade(database.writer)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for the whole run, migrated once and dropped at the end."""
    admin_url = postgres_admin_url()
    admin = sa.create_engine(_psycopg_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL is not reachable at {admin_url}: {exc.orig}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: the PostgreSQL half must run)")
        pytest.skip(f"SKIPPING THE POSTGRESQL HALF OF THE SUITE: {reason}")
    admin.dispose()
    with empty_postgres_database() as url:
        database = connect(Settings(database_url=url))
        db_migrate.upgrade(database.writer)
        database.dispose()
        yield url


@contextmanager
def empty_postgres_database(prefix: str = "herald_test") -> Iterator[str]:
    """A new, empty database on the test server (its URL), dropped when the block ends."""
    admin = sa.create_engine(_psycopg_url(postgres_admin_url()), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(_psycopg_url(postgres_admin_url())).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _truncate_all(database: Database) -> None:
    from herald.migrations.tables import Base

    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with database.writer.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "herald.db"
        shutil.copyfile(template, path)
        return Backend("sqlite", f"sqlite:///{path}")
    url: str = request.getfixturevalue("postgres_database")
    return Backend("postgresql", url)


@pytest.fixture
def settings(backend: Backend) -> Settings:
    return Settings(
        database_url=backend.url,
        database_pool_size=4,
        secret_key=TEST_SECRET_KEY,
        webhook_allow_private=True,
    )


@pytest.fixture
def database(settings: Settings, backend: Backend) -> Iterator[Database]:
    database = connect(settings)
    if backend.name == "postgresql":
        _truncate_all(database)
    yield database
    database.dispose()


@pytest.fixture
def client(settings: Settings, database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, database), raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass
class TenantKey:
    account_id: int
    name: str
    key: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def make_tenant(database: Database, name: str, timezone: str = "UTC") -> TenantKey:
    with database.write() as session:
        account = accounts_service.create_account(session, name=name, timezone=timezone)
        issued = accounts_service.issue_key(session, account_id=account.id)
    return TenantKey(account_id=account.id, name=name, key=issued.key)


@pytest.fixture
def tenant(database: Database) -> TenantKey:
    return make_tenant(database, "acme")


@pytest.fixture
def other_tenant(database: Database) -> TenantKey:
    return make_tenant(database, "globex")
