"""Running the Alembic migrations from code (``herald migrate``, every start, tests), one process at a time.

``herald serve`` and every ``herald worker`` migrate when they start; several started together against one
database must not race. The migration runs under a lock that every migrating process takes first: a
PostgreSQL advisory lock held by the migrating transaction, or an exclusive lock on a file beside the
SQLite database. The first process applies what is missing; the others wait, then find nothing to do.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

log = structlog.get_logger()
# One number for every Herald database: the advisory lock only ever guards the migrations.
ADVISORY_LOCK_KEY = 0x4845_5241_4C44  # "HERALD"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "herald:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{Path(database)}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
        yield


@contextmanager
def _migrating(engine: Engine, config: Config) -> Iterator[Connection]:
    """One transaction holding the migration lock, handed to Alembic through ``config``."""
    with _file_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        config.attributes["connection"] = connection
        yield connection


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> list[str]:
    """Bring the database to the newest schema under the migration lock; returns the revisions this call
    applied, oldest first (empty when the database was already up to date)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with _migrating(engine, config) as connection:
        before = _current(connection)
        command.upgrade(config, "head")
        after = _current(connection)
    applied = _between(config, before, after)
    if applied:
        log.info("migrate.applied", revisions=applied)
    else:
        log.info("migrate.up_to_date", revision=after)
    return applied


def downgrade(engine: Engine, revision: str) -> str | None:
    """Take the schema back to ``revision`` (every migration has a downgrade), under the migration lock;
    returns the revision the database was at. For rolling back a release."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with _migrating(engine, config) as connection:
        before = _current(connection)
        command.downgrade(config, revision)
    log.info("migrate.downgraded", revision=revision, was=before)
    return before


def _between(config: Config, before: str | None, after: str | None) -> list[str]:
    if after is None or after == before:
        return []
    script = ScriptDirectory.from_config(config)
    revisions = script.iterate_revisions(after, before or "base")
    return [revision.revision for revision in reversed(list(revisions))]
