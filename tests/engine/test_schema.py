"""The migrations build exactly the tables, columns and indexes the models describe, on SQLite and
PostgreSQL: a model changed without a migration (or the reverse) fails here, not in a council's database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

# Every module that declares tables, so all of them are in the metadata compared.
import engine.directory_models
import engine.records
import engine.retention
import engine.tokens
import processes.register
from engine.models import Base

MODEL_MODULES = (engine.directory_models, engine.records, engine.retention, engine.tokens, processes.register)


def test_the_migrations_build_what_the_models_describe(database):
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == [], differences
