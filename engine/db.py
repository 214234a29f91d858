"""The database: one place that makes connections, sessions and migrations.

SQLite is the embedded default (WAL, foreign keys, busy timeout, writers take the lock up front);
PostgreSQL is the production path. Both run the same code and the same tests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


class Database:
    """Connections to one database. `write()` and `read()` hand out sessions for one transaction."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.engine = self._create_engine(url, echo)
        self._writer = sessionmaker(self.engine.execution_options(immediate=True), expire_on_commit=False)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        # On SQLite a lookup sends no BEGIN (see `_begin`): the driver is in autocommit, so its one statement is
        # its own transaction. Switching a pooled connection to autocommit and back would undo `_pragmas`.
        self._looker = sessionmaker(self.engine.execution_options(lookup=True) if self.is_sqlite
                                    else self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                                    expire_on_commit=False)
        event.listen(self._looker, "before_flush", _refuse_writes)

    def _create_engine(self, url: str, echo: bool) -> Engine:
        if not self.is_sqlite:
            engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20)
            event.listen(engine, "checkin", _note_idle_since)
            event.listen(engine, "checkout", _ping_if_idle)
            return engine
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Autocommit at the driver level, so SQLAlchemy's BEGIN below is the only one issued.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if self.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            options = conn.get_execution_options()
            if options.get("isolation_level") == "AUTOCOMMIT" or options.get("lookup"):
                return  # a lookup: each statement is its own transaction
            # A writer takes the write lock at BEGIN: two writers never deadlock upgrading a read lock.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("immediate") else "BEGIN")

        return engine

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed when the block ends, rolled back whole if it raises."""
        with self._writer() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """One read transaction: every statement in it sees the same snapshot."""
        with self._reader() as session, session.begin():
            yield session

    @contextmanager
    def lookup(self) -> Iterator[Session]:
        """A session for a read of one statement, in autocommit on PostgreSQL: no BEGIN and COMMIT around it
        (two round trips fewer). Statements in one lookup need not share a snapshot; use `read` when they
        must agree. It refuses to write."""
        with self._looker() as session:
            yield session

    def upgrade(self) -> None:
        """Bring the schema up to the newest migration (Alembic)."""
        from alembic import command

        command.upgrade(alembic_config(str(self.url.render_as_string(hide_password=False))), "head")

    def dispose(self) -> None:
        self.engine.dispose()


def _refuse_writes(_session: Session, _context: Any, _instances: Any) -> None:
    raise RuntimeError("A lookup session only reads: write in Database.write().")


IDLE_BEFORE_PING_S = 1.0
"""A pooled connection idle at least this long is checked with a round trip before use, so one the server
dropped meanwhile (a restart, a failover, an idle timeout) is replaced instead of failing a request. One in
use moments ago is not: pinging it on every checkout would add a round trip to every transaction. Should
the server go away mid-stream, the first error invalidates the whole pool (SQLAlchemy's disconnect handling)."""


def _note_idle_since(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    if time.monotonic() - record.info.get("idle_since", 0.0) < IDLE_BEFORE_PING_S:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any driver error here means the connection is gone
        # The pool discards this connection and checks out (or opens) another.
        raise DisconnectionError(str(error)) from error
    # A ping starts a transaction on a driver that is not in autocommit: end it, so the caller's BEGIN is
    # the first statement of its own.
    dbapi_connection.rollback()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
