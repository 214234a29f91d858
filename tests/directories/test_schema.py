"""The directory tables the migration makes are the ones the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.directory_models import PoliceForce, ResourceLink
from engine.models import Base

TABLES = {PoliceForce.__tablename__, ResourceLink.__tablename__}


def test_the_migration_builds_the_directory_tables_the_models_describe(database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": lambda _object, name, kind, _reflected, _other: kind != "table" or name in TABLES})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
