"""An app over the shared `database` fixture with the council's real diagrams deployed, one person per role
(and a second councillor), the register, briefing and data protection pages registered, time frozen at a
Monday morning, and clients signed in as anyone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from engine.db import Database
from engine.service import WorkflowService
from processes import DIAGRAMS
from tests.processes.casework import START, People, Runner, create_people
from web import briefings, privacy_data, registers
from web.app import create_app

OTHER_COUNCILLOR = "other-councillor"


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def app(database: Database, tmp_path: Path, clock: time_machine.Coordinates) -> Flask:
    app = create_app({"DATABASE_URL": database.url.render_as_string(hide_password=False), "TESTING": True,
                      "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    for blueprint in (registers.bp, briefings.bp, privacy_data.bp):
        if blueprint.name not in app.blueprints:
            app.register_blueprint(blueprint)
    app.extensions["workflow"].deploy_folder(DIAGRAMS)
    return app


@pytest.fixture
def workflow(app: Flask) -> WorkflowService:
    return app.extensions["workflow"]


@pytest.fixture
def people(workflow: WorkflowService) -> People:
    return create_people(workflow, **{OTHER_COUNCILLOR: ("other@example.org", "Other Councillor")})


@pytest.fixture
def run(workflow: WorkflowService, people: People, clock: time_machine.Coordinates) -> Runner:
    return Runner(workflow, people, clock)


@pytest.fixture
def client_as(app: Flask, people: People) -> Callable[[str | None], FlaskClient]:
    """A client signed in as the person holding that role (or OTHER_COUNCILLOR; None: nobody)."""

    def make(who: str | None) -> FlaskClient:
        client = app.test_client()
        if who is not None:
            with client.session_transaction() as session:
                session["_user_id"] = str(people.by_role[who].id)
                session["_fresh"] = True
        return client

    return make
