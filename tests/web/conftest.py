"""An app per test over the shared `database` fixture, with one person per role and the test diagrams
deployed; and clients signed in as any of them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine import people
from engine.db import Database
from engine.models import Case, PoliticalGroup, User
from engine.service import Actor, WorkflowService
from processes.roles import COUNCILLOR, GROUP_SUPPORT_CONTACT, ROLES
from web.app import create_app

TEST_DIAGRAMS = Path(__file__).resolve().parent.parent / "diagrams"
PASSWORD = "correct horse battery"


def app_config(database: Database, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return {"DATABASE_URL": database.url.render_as_string(hide_password=False), "TESTING": True,
            "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False, "UPLOAD_FOLDER": str(tmp_path / "uploads"), "REPORT_PROCESS": "simple",
            "MAX_UPLOAD_BYTES": 64 * 1024, **overrides}


@functools.cache
def _password_hash() -> str:
    """Hashed once per run: Argon2 is slow on purpose, and every test seeds ten people."""
    return people.hash_password(PASSWORD)


def seed_people(database: Database) -> dict[str, int]:
    """One person per role (`<role>@example.org`), a second councillor, and a group with its contact."""
    ids: dict[str, int] = {}
    accounts = [(role, f"{role}@example.org", ROLES[role], role) for role in ROLES]
    accounts.append(("other-councillor", "other@example.org", "Other councillor", COUNCILLOR))
    with database.write() as session:
        for key, email, name, role in accounts:
            user = people.create_user(session, email=email, name=name, password=None, roles=[role],
                                      known_roles=ROLES)
            user.password_hash = _password_hash()
            ids[key] = user.id
        group = PoliticalGroup(name="Independent group", support_contact_id=ids[GROUP_SUPPORT_CONTACT])
        session.add(group)
        session.flush()
        session.get(User, ids[COUNCILLOR]).political_group_id = group.id
    return ids


@pytest.fixture
def app(database: Database, tmp_path: Path) -> Flask:
    app = create_app(app_config(database, tmp_path))
    app.extensions["workflow"].deploy_folder(TEST_DIAGRAMS)
    return app


@pytest.fixture
def workflow(app: Flask) -> WorkflowService:
    return app.extensions["workflow"]


@pytest.fixture
def ids(database: Database, app: Flask) -> dict[str, int]:
    return seed_people(database)


@pytest.fixture
def client_as(app: Flask, ids: dict[str, int]) -> Callable[[str | None], FlaskClient]:
    """A client signed in as the person with that key in `ids` (None: nobody signed in)."""

    def make(who: str | None) -> FlaskClient:
        client = app.test_client()
        if who is not None:
            with client.session_transaction() as session:
                session["_user_id"] = str(ids[who])
                session["_fresh"] = True
        return client

    return make


def actor(ids: dict[str, int], who: str, role: str | None = None) -> Actor:
    return Actor(ids[who], frozenset({role or who}))


@pytest.fixture
def open_case(workflow: WorkflowService, ids: dict[str, int]) -> Callable[..., tuple[str, str]]:
    """Open a case for the councillor on the test diagram; returns (reference, triage task id)."""

    def make(councillor: str = COUNCILLOR, **data: Any) -> tuple[str, str]:
        outcome = workflow.open_case({"description": "Threatening messages", **data},
                                     councillor_id=ids[councillor], actor=actor(ids, councillor, COUNCILLOR),
                                     process_id="simple")
        task = outcome.opened[0]
        with workflow.db.read() as session:
            reference = session.scalar(select(Case.reference).where(Case.id == outcome.case_id))
        return reference, task.id

    return make
