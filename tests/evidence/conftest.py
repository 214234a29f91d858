"""Fixtures for the evidence: an app over the test database with the test diagrams deployed, and people
holding a role with a personal API token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from engine import tokens
from engine.db import Database
from engine.people import create_user
from engine.service import Actor, Outcome, WorkflowService
from processes.roles import ROLES
from tests.web.conftest import app_config
from web.app import create_app

TEST_DIAGRAMS = Path(__file__).resolve().parent.parent / "diagrams"


@dataclass(frozen=True)
class Person:
    user_id: int
    email: str
    token: str
    actor: Actor

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_person(workflow: WorkflowService, role: str, email: str) -> Person:
    """Someone holding `role`, with a live API token."""
    with workflow.db.write() as session:
        user = create_user(session, email=email, name=email.split("@")[0], password=None, roles=[role],
                           known_roles=ROLES)
        secret = tokens.create_token(session, user.id, "evidence")
        return Person(user.id, user.email, secret, Actor.of(user))


def open_simple_case(workflow: WorkflowService, councillor: Person) -> Outcome:
    """A case on the test diagram, as the councillor would report it: its first task is triage."""
    return workflow.open_case({"summary": "Abusive messages"}, councillor_id=councillor.user_id,
                              actor=councillor.actor, process_id="simple")


@pytest.fixture
def app_with(database: Database, tmp_path: Path) -> Callable[..., Flask]:
    """An app over the test database, with the test diagrams deployed and any configuration overridden;
    settings named in `without` are left to the app's own defaults."""
    def make(*, without: tuple[str, ...] = (), **overrides: Any) -> Flask:
        config = app_config(database, tmp_path, **overrides)
        app = create_app({name: value for name, value in config.items() if name not in without})
        app.extensions["workflow"].deploy_folder(TEST_DIAGRAMS)
        return app
    return make
