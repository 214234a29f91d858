"""Fixtures for the evidence: an app over the test database with the test diagrams deployed, and people
holding a role with a personal API token."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from engine.db import Database
from engine.service import Outcome, WorkflowService
from tests.api.conftest import Person
from tests.api.conftest import make_person as api_person
from tests.web.conftest import app_config
from web.app import create_app

TEST_DIAGRAMS = Path(__file__).resolve().parent.parent / "diagrams"


def make_person(workflow: WorkflowService, role: str, email: str) -> Person:
    """Someone holding `role`, with a live API token."""
    return api_person(workflow, (role,), email, email.split("@")[0])


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
