"""The database module's sessions: lookups read what is committed and never write; on PostgreSQL a pooled
connection the server dropped while it sat idle is replaced before anyone uses it."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text

from engine import db as db_module
from engine.db import Database
from engine.models import Setting


def test_a_lookup_sees_what_was_committed_a_moment_ago(database: Database) -> None:
    with database.write() as session:
        session.add(Setting(name="closure_reminder_working_days", value=3))
    with database.lookup() as session:
        assert session.scalar(select(Setting.value).where(Setting.name == "closure_reminder_working_days")) == 3
    with database.write() as session:
        session.get(Setting, "closure_reminder_working_days").value = 5
    with database.lookup() as session:
        assert session.scalar(select(Setting.value).where(Setting.name == "closure_reminder_working_days")) == 5


def test_a_lookup_never_writes(database: Database) -> None:
    with pytest.raises(RuntimeError, match="only reads"), database.lookup() as session:
        session.add(Setting(name="closure_reminder_working_days", value=3))
        session.flush()
    with database.read() as session:
        assert session.get(Setting, "closure_reminder_working_days") is None


def test_a_lookup_leaves_its_connection_ready_for_a_transaction(database: Database) -> None:
    """The pool hands the same connection to the next session: it must not stay in autocommit."""
    for _ in range(3):
        with database.lookup() as session:
            session.execute(text("SELECT 1"))
        with pytest.raises(RuntimeError), database.write() as session:
            session.add(Setting(name="closure_reminder_working_days", value=7))
            session.flush()
            raise RuntimeError("roll back")
        with database.read() as session:
            assert session.get(Setting, "closure_reminder_working_days") is None
            if database.is_sqlite:  # still the driver setting `_pragmas` made: SQLAlchemy's BEGIN is the only one
                assert session.connection().connection.driver_connection.isolation_level is None


def _backend_pid(database: Database) -> int:
    with database.read() as session:
        return session.scalar(text("SELECT pg_backend_pid()"))


def _terminate(database: Database, pid: int) -> None:
    admin = create_engine(database.url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(database: Database, monkeypatch) -> None:
    if database.is_sqlite:
        pytest.skip("SQLite has no server to drop a connection.")
    own = Database(database.url.render_as_string(hide_password=False))
    try:
        monkeypatch.setattr(db_module, "IDLE_BEFORE_PING_S", 0.0)  # every connection counts as idle
        dropped = _backend_pid(own)
        _terminate(database, dropped)
        assert _backend_pid(own) != dropped  # pinged, found gone, replaced: the read itself never failed
    finally:
        own.dispose()


def test_a_connection_in_use_moments_ago_is_not_pinged_and_a_drop_fails_once(database: Database,
                                                                              monkeypatch) -> None:
    """The trade for one round trip fewer per transaction: a connection dropped within the idle window fails
    the one request that meets it, and the pool is renewed for the next."""
    if database.is_sqlite:
        pytest.skip("SQLite has no server to drop a connection.")
    own = Database(database.url.render_as_string(hide_password=False))
    try:
        monkeypatch.setattr(db_module, "IDLE_BEFORE_PING_S", 3600.0)  # never counts as idle
        dropped = _backend_pid(own)
        _terminate(database, dropped)
        with pytest.raises(Exception, match=r"terminat|closed|connection"):
            _backend_pid(own)
        assert _backend_pid(own) != dropped
    finally:
        own.dispose()
