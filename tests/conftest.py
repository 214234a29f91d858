"""Fixtures every test shares: a fresh database per test on SQLite and, where reachable, PostgreSQL
(required when CI=true), and the workflow service over it."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from engine.db import Database
from engine.service import Actor, WorkflowService
from processes import CATALOGUE

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TEST_DIAGRAMS = Path(__file__).parent / "diagrams"


def _postgres_reason() -> str | None:
    """None if PostgreSQL is reachable; otherwise why not."""
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:  # any driver or network failure means "not here"
        return f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({type(error).__name__})"
    return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test run's own, dropped at the end."""
    reason = _postgres_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI requires PostgreSQL.")
        pytest.skip(f"{reason}; the PostgreSQL tests are skipped on this machine.")
    name = f"cs_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    Database(url).upgrade()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()
    return path


def _truncate(database: Database) -> None:
    names = [n for n in inspect(database.engine).get_table_names() if n != "alembic_version"]
    tables = ", ".join(f'"{n}"' for n in names)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        connection.execute(text("INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 0, :h)"), {"h": "0" * 64})


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty, migrated database: a copied SQLite file, or this run's PostgreSQL database emptied."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        db = Database(f"sqlite:///{path}")
    else:
        db = Database(request.getfixturevalue("postgres_url"))
        _truncate(db)
    yield db
    db.dispose()


@pytest.fixture
def service(database: Database) -> WorkflowService:
    return WorkflowService(database, CATALOGUE)


@pytest.fixture
def system() -> Actor:
    return Actor.system()
