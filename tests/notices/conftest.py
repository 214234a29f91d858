"""Fixtures for notice and check-in emails: the real bpmn/ diagrams, one person per role, links signed with
a known key, and a web app over the same database with the check-in pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.db import Database
from engine.models import OutboxMessage, Task
from engine.people import create_user
from engine.service import WorkflowService
from processes import DIAGRAMS
from processes.roles import COUNCILLOR
from tests.processes.casework import People, Runner
from tests.processes.conftest import clock, people  # noqa: F401 (fixtures shared with the process tests)
from tests.web.conftest import app_config
from web import check_in
from web.app import create_app

SECRET = "a-check-in-test-secret"
PUBLIC_URL = "https://support.council.example"
FIRST_CONTACT = {"support_offered": ["mental_health_champion"], "support_accepted": ["mental_health_champion"],
                 "check_ins_wanted": "yes"}


@pytest.fixture(autouse=True)
def links(monkeypatch: pytest.MonkeyPatch) -> None:
    """Links in emails point at the council's address and are signed with a key the app shares."""
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("PUBLIC_URL", PUBLIC_URL)


@pytest.fixture
def deployed(service: WorkflowService, clock: time_machine.Coordinates) -> WorkflowService:  # noqa: F811
    service.deploy_folder(DIAGRAMS)
    return service


@pytest.fixture
def run(deployed: WorkflowService, people: People, clock: time_machine.Coordinates) -> Runner:  # noqa: F811
    return Runner(deployed, people, clock)


@pytest.fixture
def other_councillor(deployed: WorkflowService, people: People) -> int:  # noqa: F811
    with deployed.db.write() as session:
        return create_user(session, email="other-councillor@example.org", name="Other Councillor", password=None,
                           roles=[COUNCILLOR], known_roles=[COUNCILLOR]).id


def outbox(service: WorkflowService, kind: str | None = None) -> list[OutboxMessage]:
    with service.db.read() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        return list(session.scalars(query))


def open_check_in(run: Runner) -> Task:
    """A councillor's first wellbeing check-in, opened seven days after first contact."""
    case = run.report()
    instance = run.start("wellbeing", case.case_id).instance_id
    run.do("First contact", FIRST_CONTACT, instance_id=instance)
    run.wake_next(instance)
    return run.task("How are you doing?", instance_id=instance)


@pytest.fixture
def app(deployed: WorkflowService, database: Database, tmp_path: Path) -> Flask:
    app = create_app(app_config(database, tmp_path, SECRET_KEY=SECRET))
    if "check_in" not in app.blueprints:
        app.register_blueprint(check_in.bp)
    return app


@pytest.fixture
def client_as(app: Flask) -> Callable[[int | None], FlaskClient]:
    """A client signed in as that user id (None: nobody signed in)."""

    def make(user_id: int | None) -> FlaskClient:
        client = app.test_client()
        if user_id is not None:
            with client.session_transaction() as session:
                session["_user_id"] = str(user_id)
                session["_fresh"] = True
        return client

    return make
