"""Inbox at scale: 1,000,000 task rows (20,000 open) across 100,000 instances, loaded straight into the
real tables; then the inbox page (each tab) and the API list (mine, claimable) timed through the app, on
SQLite and, when reachable, PostgreSQL, with the query plans of the inbox's statements.

    .venv/bin/python -m bench.inbox [--quick] [--json out.json] [--database sqlite|postgresql]
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Table, event, select

from bench import harness
from bench.harness import Figure, Progress, say
from engine import tokens
from engine.db import Database
from engine.models import Case, Instance, ProcessModelVersion, SpecBundle, Task
from engine.people import create_user
from engine.service import Actor, TaskQuery, WorkflowService
from processes import CATALOGUE
from processes.catalogue import DIAGRAMS
from processes.roles import COUNCILLOR, OFFICER_ROLES, ROLES, SUPPORT_OFFICER, WELLBEING_CHAMPION

GOAL_P95_MS = 50.0
TASKS_PER_INSTANCE = 10
OPEN_SHARE = 50  # one task in 50 is open: 20,000 of 1,000,000
OTHER_OFFICERS = 40
BATCH = 20_000
OFFICER_ROLE_LIST = sorted(OFFICER_ROLES)
TITLES = [("triage", "Acknowledge and triage"), ("risk_assessment", "Assess the risk"),
          ("police_referral", "Refer to the police"), ("wellbeing_call", "Call the councillor"),
          ("review", "Review and close")]
TASK_COLUMNS = ["id", "instance_id", "case_id", "process_id", "spec_name", "title", "lane", "role", "form",
                "ui_form", "assignee_id", "status", "due_at", "created_at", "completed_at", "completed_by_id",
                "reminded_at", "escalated_at"]
INSTANCE_COLUMNS = ["id", "process_id", "model_version_id", "spec_bundle_id", "case_id", "status", "state",
                    "lock_version", "next_wake_at", "created_at", "updated_at", "completed_at", "wake_attempts"]
CASE_COLUMNS = ["id", "reference", "councillor_id", "reported_by_id", "status", "created_at", "closed_at"]


@dataclass(frozen=True)
class Size:
    instances: int
    requests: int

    @property
    def tasks(self) -> int:
        return self.instances * TASKS_PER_INSTANCE


FULL = Size(instances=100_000, requests=200)
QUICK = Size(instances=1_000, requests=10)


@dataclass(frozen=True)
class People:
    officer: int
    others: list[int]
    councillor: int
    token: str


# --- synthetic data ----------------------------------------------------------------------------------


def make_people(db: Database) -> People:
    with db.write() as session:
        def person(email: str, roles: list[str]) -> int:
            return create_user(session, email=email, name=email.split("@")[0], password=None, roles=roles,
                               known_roles=ROLES).id

        # A lead support officer who is also a wellbeing champion: three tabs, two roles in each role query.
        officer = person("lead@example.org", [SUPPORT_OFFICER, WELLBEING_CHAMPION])
        others = [person(f"officer{n}@example.org", [OFFICER_ROLE_LIST[n % len(OFFICER_ROLE_LIST)]])
                  for n in range(OTHER_OFFICERS)]
        councillor = person("councillor@example.org", [COUNCILLOR])
        token = tokens.create_token(session, officer, "benchmark")
    return People(officer, others, councillor, token)


def _rows(size: Size, people: People, version_id: int, bundle_id: int) -> dict[str, Iterator[tuple[Any, ...]]]:
    """Row generators for cases, instances and tasks; deterministic, spread over six years of history."""
    now = datetime.now(UTC).replace(tzinfo=None)
    start = now - timedelta(days=6 * 365)
    step = timedelta(days=6 * 365) / size.instances
    open_instances = size.tasks // OPEN_SHARE
    mine_roles = {SUPPORT_OFFICER, WELLBEING_CHAMPION}
    rng = random.Random(20240601)

    def created(i: int) -> datetime:
        # The newest instances are the ones still open, as in a real council's data.
        return start + step * (size.instances - 1 - i)

    def cases() -> Iterator[tuple[Any, ...]]:
        for i in range(size.instances):
            at = created(i)
            yield (i + 1, f"CS-{at.year}-{i + 1:06d}", people.councillor, people.councillor,
                   "open" if i < open_instances else "closed", at, None if i < open_instances else at)

    def instances() -> Iterator[tuple[Any, ...]]:
        for i in range(size.instances):
            at, is_open = created(i), i < open_instances
            yield (i + 1, "support", version_id, bundle_id, i + 1, "running" if is_open else "completed", "{}", 1,
                   None, at, at, None if is_open else at + timedelta(days=20), 0)

    def tasks() -> Iterator[tuple[Any, ...]]:
        for i in range(size.instances):
            base = created(i)
            for n in range(TASKS_PER_INSTANCE):
                spec, title = TITLES[n % len(TITLES)]
                role = OFFICER_ROLE_LIST[(i + n) % len(OFFICER_ROLE_LIST)]
                at = base + timedelta(days=2 * n)
                if n == TASKS_PER_INSTANCE - 1 and i < open_instances:
                    # Open: a fifth mine when the role is one of mine, two fifths unclaimed, the rest others'.
                    share = (i // len(OFFICER_ROLE_LIST)) % 5
                    assignee = (people.officer if share == 0 and role in mine_roles
                                else None if share in (1, 2) else rng.choice(people.others))
                    due = None if i % 5 == 4 else now + timedelta(days=i % 30 - 10)
                    yield (str(uuid.UUID(int=rng.getrandbits(128), version=4)), i + 1, i + 1, "support", spec,
                           title, ROLES[role], role, f"{spec}.schema.json", f"{spec}.uischema.json", assignee,
                           "open", due, at, None, None, None, None)
                    continue
                done_by = people.officer if (i + n) % 20 == 0 else rng.choice(people.others)
                yield (str(uuid.UUID(int=rng.getrandbits(128), version=4)), i + 1, i + 1, "support", spec, title,
                       ROLES[role], role, f"{spec}.schema.json", f"{spec}.uischema.json", done_by,
                       "completed" if n % 17 else "cancelled", at + timedelta(days=5), at, at + timedelta(days=1),
                       done_by, None, None)

    return {"cases": cases(), "instances": instances(), "tasks": tasks()}


def _sqlite_value(value: Any) -> Any:
    # SQLAlchemy stores SQLite datetimes as text in this exact form; rows must compare with its own.
    return value.isoformat(sep=" ", timespec="microseconds") if isinstance(value, datetime) else value


def _columns(table: Table, columns: list[str]) -> str:
    """The column list, checked against the model so a renamed column fails here, not as odd figures."""
    unknown = set(columns) - set(table.columns.keys())
    if unknown:
        raise SystemExit(f"{table.name} has no column(s) {sorted(unknown)}: update bench/inbox.py")
    return ", ".join(columns)


def _load_sqlite(db: Database, table: Table, columns: list[str], rows: Iterator[tuple[Any, ...]],
                 progress: Progress) -> None:
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        statement = f"INSERT INTO {table.name} ({_columns(table, columns)}) VALUES ({', '.join('?' * len(columns))})"
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(tuple(_sqlite_value(v) for v in row))
            if len(batch) == BATCH:
                _sqlite_batch(cursor, statement, batch, progress)
                batch = []
        if batch:
            _sqlite_batch(cursor, statement, batch, progress)
    finally:
        raw.close()


def _sqlite_batch(cursor: Any, statement: str, batch: list[tuple[Any, ...]], progress: Progress) -> None:
    cursor.execute("BEGIN")
    cursor.executemany(statement, batch)
    cursor.execute("COMMIT")
    progress.add(len(batch))


def _load_postgres(db: Database, table: Table, columns: list[str], rows: Iterator[tuple[Any, ...]],
                   progress: Progress) -> None:
    raw = db.engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cursor, \
                cursor.copy(f"COPY {table.name} ({_columns(table, columns)}) FROM STDIN") as copy:
            pending = 0
            for row in rows:
                copy.write_row(row)
                pending += 1
                if pending == BATCH:
                    progress.add(pending)
                    pending = 0
            progress.add(pending)
        raw.commit()
    finally:
        raw.close()


def load(db: Database, size: Size) -> People:
    """Deploy the real diagrams, make the people, then bulk-load cases, instances and tasks."""
    service = WorkflowService(db, CATALOGUE)
    service.deploy_folder(DIAGRAMS)
    people = make_people(db)
    with db.write() as session:
        version_id = session.scalar(select(ProcessModelVersion.id).where(ProcessModelVersion.process_id == "support"))
        bundle_id = session.scalar(select(SpecBundle.id).limit(1))
        if bundle_id is None:
            # Every instance shares one tiny bundle: the inbox never reads it.
            bundle = SpecBundle(content_hash="bench", specs={}, forms={})
            session.add(bundle)
            session.flush()
            bundle_id = bundle.id
    loader = _load_sqlite if db.is_sqlite else _load_postgres
    generators = _rows(size, people, version_id, bundle_id)
    started = time.perf_counter()
    for table, columns, total in ((Case.__table__, CASE_COLUMNS, size.instances),
                                  (Instance.__table__, INSTANCE_COLUMNS, size.instances),
                                  (Task.__table__, TASK_COLUMNS, size.tasks)):
        loader(db, table, columns, generators[table.name], Progress(table.name, total, every=max(BATCH, total // 10)))
    # Fresh statistics, and on PostgreSQL a visibility map, as autovacuum (which vacuums a table after many
    # inserts) or `PRAGMA optimize` (SQLite) would keep them.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE" if db.is_sqlite else "VACUUM ANALYZE")
    say(f"  loaded in {time.perf_counter() - started:.1f} s")
    return people


# --- measuring ---------------------------------------------------------------------------------------


def build_app(db: Database) -> Flask:
    from web.api import blueprint
    from web.app import create_app

    app = create_app({"DATABASE_URL": db.url.render_as_string(hide_password=False), "TESTING": True,
                      "SECRET_KEY": "bench", "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False})
    if "api" not in app.blueprints:  # until the app factory registers the API itself
        app.register_blueprint(blueprint)
    return app


def signed_in(app: Flask, user_id: int) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def measure(app: Flask, people: People, size: Size, label: str) -> list[Figure]:
    client = signed_in(app, people.officer)
    bearer = {"Authorization": f"Bearer {people.token}"}
    targets = [(f"inbox page, tab={tab}", f"/inbox?tab={tab}", {}) for tab in ("mine", "claimable", "all")]
    targets += [(f"API list, scope={scope}", f"/api/v1/tasks?scope={scope}", bearer) for scope in ("mine", "claimable")]
    figures = []
    for name, url, headers in targets:
        def get(url: str = url, headers: dict[str, str] = headers) -> None:
            response = client.get(url, headers=headers)
            if response.status_code != 200:
                body = response.get_data(as_text=True)[:300]
                raise RuntimeError(f"GET {url} answered {response.status_code}: {body}")

        samples = harness.timed(get, size.requests)
        p50, p95 = harness.percentile(samples, 0.5), harness.percentile(samples, 0.95)
        say(f"  {label} {name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        figures.append(Figure(f"{label}: {name} p50", p50, "ms"))
        figures.append(harness.at_most(f"{label}: {name} p95", p95, "ms", GOAL_P95_MS))
    return figures


def query_plans(db: Database, people: People, label: str) -> tuple[list[str], list[Figure]]:
    """The plans of every statement service.tasks issues for each tab, and whether each reads an index."""
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    service = WorkflowService(db, CATALOGUE)
    actor = Actor(people.officer, frozenset({SUPPORT_OFFICER, WELLBEING_CHAMPION}))
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for scope in ("mine", "claimable", "all"):
            service.tasks(TaskQuery(scope=scope, per_page=20), actor)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    notes, all_indexed = [], True
    prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
    with db.engine.connect() as connection:
        for statement, parameters in statements:
            rows = connection.exec_driver_sql(prefix + statement, parameters).all()
            plan = "\n".join(str(r[-1]) for r in rows)
            # A full pass over the tasks table is the one thing these plans must never show.
            full_scan = ("Seq Scan on tasks" in plan) or any(
                line.strip().endswith("SCAN tasks") or line.strip() == "SCAN tasks" for line in plan.splitlines())
            all_indexed &= not full_scan
            notes.append(f"{label}: {' '.join(statement.split())}\n{plan}")
        connection.rollback()
    return notes, [Figure(f"{label}: inbox queries read indexes only (no full scan of tasks)", float(all_indexed),
                          "yes=1", "= 1", all_indexed)]


def run_one(label: str, opener: Any, size: Size) -> tuple[list[Figure], list[str]]:
    say(f"\n{label}: loading {size.tasks:,} tasks across {size.instances:,} instances")
    with opener() as db:
        people = load(db, size)
        notes, figures = query_plans(db, people, label)
        for note in notes:
            say("  " + note.replace("\n", "\n    "))
        app = build_app(db)
        try:
            figures += measure(app, people, size, label)
        finally:
            app.extensions["database"].dispose()
    return figures, notes


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0], lambda parser: parser.add_argument(
        "--database", choices=["sqlite", "postgresql"], help="only this database"))
    size = QUICK if args.quick else FULL
    figures: list[Figure] = []
    notes: list[str] = []
    for label, opener in harness.databases(args.database):
        found, plans = run_one(label, opener, size)
        figures += found
        notes += plans
    harness.report(f"Inbox at scale ({size.tasks:,} tasks, {size.tasks // OPEN_SHARE:,} open, "
                   f"{size.instances:,} instances)", figures, notes, args.json)
    return harness.exit_code(figures)


if __name__ == "__main__":
    raise SystemExit(main())
