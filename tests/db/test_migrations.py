"""The schema Alembic builds is exactly the one the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from herald.db.engine import Database
from herald.migrations.tables import Base


def test_migrations_build_exactly_the_models_schema(database: Database) -> None:
    with database.writer.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
