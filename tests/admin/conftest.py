"""Fixtures for the admin tests: a small casework diagram in several versions, deployed on demand, and
instances started on it and moved to the task a test needs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import people
from engine.db import Database
from engine.deployment import Diagram
from engine.service import Actor, Outcome, WorkflowService
from processes import CATALOGUE
from processes.roles import ADMIN, POLICE_LIAISON, SUPPORT_OFFICER

DIAGRAMS = Path(__file__).parent / "diagrams"
FORMS = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (DIAGRAMS / "forms").glob("*.json")}


def casework(version: str) -> Diagram:
    return Diagram("casework.bpmn", (DIAGRAMS / version / "casework.bpmn").read_bytes(), {})


@pytest.fixture
def deploy(service: WorkflowService, system: Actor) -> Callable[[str], None]:
    """Deploy the casework diagram as it is in one of the folders under diagrams/ (v1, v1b, v2)."""

    def _deploy(version: str) -> None:
        service.deploy([casework(version)], FORMS, system)

    return _deploy


@pytest.fixture
def officer(service: WorkflowService) -> Actor:
    """A support officer who is also the police liaison, so one person can walk a case anywhere."""
    with service.db.write() as session:
        user = people.create_user(session, email="officer@example.org", name="Sam Officer", password=None,
                                  roles=[SUPPORT_OFFICER, POLICE_LIAISON], known_roles=CATALOGUE.roles)
        return Actor.of(user)


@pytest.fixture
def complete(service: WorkflowService, officer: Actor) -> Callable[[Outcome, dict], Outcome]:
    """Claim and complete an instance's one open task as the officer."""

    def _complete(outcome: Outcome, data: dict) -> Outcome:
        (task,) = outcome.opened
        service.claim(task.id, officer)
        return service.complete_task(task.id, data, officer)

    return _complete


@pytest.fixture
def start_at(service: WorkflowService, system: Actor,
             complete: Callable[[Outcome, dict], Outcome]) -> Callable[[str], Outcome]:
    """Start a casework instance and walk it to `triage`, `refer` (high severity) or `review` (low)."""

    def _start_at(task: str) -> Outcome:
        outcome = service.start("casework", {}, system)
        if task == "triage":
            return outcome
        severity = "high" if task == "refer" else "low"
        return complete(outcome, {"severity": severity})

    return _start_at



@pytest.fixture
def app(database: Database) -> Iterator[Flask]:
    """The whole web app over the test database, with the diagram pages registered."""
    from web.app import create_app
    from web.diagrams import bp

    app = create_app({"DATABASE_URL": database.url.render_as_string(hide_password=False), "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "SECRET_KEY": "test", "SESSION_COOKIE_SECURE": False,
                      "RATELIMIT_ENABLED": False})
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
    yield app
    app.extensions["database"].dispose()


def _signed_in(app: Flask, service: WorkflowService, email: str, roles: list[str]) -> FlaskClient:
    with service.db.write() as session:
        user = people.create_user(session, email=email, name=email.split("@")[0], password=None, roles=roles,
                                  known_roles=CATALOGUE.roles)
    client = app.test_client()
    with client.session_transaction() as browser_session:
        browser_session["_user_id"] = str(user.id)
        browser_session["_fresh"] = True
    return client


@pytest.fixture
def admin(app: Flask, service: WorkflowService) -> FlaskClient:
    """A browser signed in as an admin."""
    return _signed_in(app, service, "admin@example.org", [ADMIN])


@pytest.fixture
def support_officer(app: Flask, service: WorkflowService) -> FlaskClient:
    """A browser signed in as a support officer, who is not an admin."""
    return _signed_in(app, service, "support@example.org", [SUPPORT_OFFICER])

