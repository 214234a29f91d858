"""Fixtures for the API tests: the app over the test database with the test diagrams deployed, and people
with personal API tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import tokens
from engine.db import Database
from engine.models import Case
from engine.people import create_user
from engine.service import Actor, WorkflowService
from processes.roles import ROLES
from web.app import create_app

TEST_DIAGRAMS = Path(__file__).parent.parent / "diagrams"


@dataclass(frozen=True)
class Person:
    user_id: int
    email: str
    token: str
    actor: Actor

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def build_app(database: Database) -> Flask:
    return create_app({"DATABASE_URL": database.url.render_as_string(hide_password=False), "TESTING": True,
                       "SECRET_KEY": "test", "REPORT_PROCESS": "simple", "RATELIMIT_ENABLED": False})


def make_person(workflow: WorkflowService, roles: tuple[str, ...], email: str, name: str) -> Person:
    """Someone holding `roles`, with a live API token."""
    with workflow.db.write() as session:
        user = create_user(session, email=email, name=name, password=None, roles=roles, known_roles=ROLES)
        secret = tokens.create_token(session, user.id, "tests")
        return Person(user.id, user.email, secret, Actor.of(user))


@pytest.fixture
def app(database: Database) -> Iterator[Flask]:
    app = build_app(database)
    app.extensions["workflow"].deploy_folder(TEST_DIAGRAMS)
    yield app
    app.extensions["workflow"].db.dispose()


@pytest.fixture
def workflow(app: Flask) -> WorkflowService:
    return app.extensions["workflow"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def person(workflow: WorkflowService) -> Callable[..., Person]:
    """Make someone holding the given roles, with a live API token."""
    made = 0

    def make(*roles: str, email: str | None = None) -> Person:
        nonlocal made
        made += 1
        return make_person(workflow, roles, email or f"person{made}@example.org", f"Person {made}")

    return make


@dataclass(frozen=True)
class OpenedCase:
    reference: str
    instance_id: int
    task_ids: list[str]


@pytest.fixture
def open_case(workflow: WorkflowService) -> Callable[..., OpenedCase]:
    """Open a "simple" case for a councillor, as if they had reported it."""
    def start(councillor: Person, data: dict[str, Any] | None = None) -> OpenedCase:
        outcome = workflow.open_case(data or {"summary": "Abusive messages"}, councillor_id=councillor.user_id,
                                     actor=councillor.actor, process_id="simple")
        with workflow.db.read() as session:
            reference = session.get(Case, outcome.case_id).reference
        return OpenedCase(reference, outcome.instance_id, [t.id for t in outcome.opened])
    return start


def assert_problem(response: Any, status: int, *, field: str | None = None) -> dict[str, Any]:
    """Assert an RFC 9457 problem with this status (and failing field); return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["type"].startswith("/api/v1/docs#problem-")
    assert body["title"] and body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
    if field is not None:
        assert body["field"] == field, body
        assert field in body["errors"]
    return body


def assert_conforms(document: Any, schema_name: str) -> None:
    """Assert a response body matches its schema in the OpenAPI description."""
    from jsonschema import Draft202012Validator

    from web.api.openapi import description

    root = {**description(), "$ref": f"#/components/schemas/{schema_name}"}
    Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(document)


@pytest.fixture
def problem() -> Callable[..., dict[str, Any]]:
    return assert_problem


@pytest.fixture
def conforms() -> Callable[[Any, str], None]:
    return assert_conforms
