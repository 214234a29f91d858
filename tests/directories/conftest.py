"""The web app over the shared `database` fixture with the directories and account pages registered, one person
per role (plus someone with no role), and browsers signed in as any of them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.db import Database
from engine.models import PoliticalGroup
from engine.people import create_user
from engine.service import WorkflowService
from processes.roles import COUNCILLOR, GROUP_SUPPORT_CONTACT, ROLES
from web import account, directories
from web.app import create_app

NOBODY = "no-role"
"""Someone who can sign in but holds no role."""
OTHER_COUNCILLOR = "other-councillor"


@pytest.fixture
def app(database: Database) -> Flask:
    app = create_app({"DATABASE_URL": database.url.render_as_string(hide_password=False), "TESTING": True,
                      "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False})
    for blueprint in (directories.bp, account.bp):
        if blueprint.name not in app.blueprints:
            app.register_blueprint(blueprint)
    return app


@pytest.fixture
def workflow(app: Flask) -> WorkflowService:
    return app.extensions["workflow"]


@pytest.fixture
def people(workflow: WorkflowService) -> dict[str, int]:
    """Role slug (or NOBODY, OTHER_COUNCILLOR) → user id. The councillors' group has a named support contact."""
    with workflow.db.write() as session:
        group = PoliticalGroup(name="Independent Group")
        session.add(group)
        session.add(PoliticalGroup(name="Green Group"))
        session.flush()
        users = {role: create_user(session, email=f"{role}@example.org", name=f"{name} Person", password=None,
                                   roles=[role], known_roles=ROLES,
                                   political_group_id=group.id if role == COUNCILLOR else None)
                 for role, name in ROLES.items()}
        users[NOBODY] = create_user(session, email="nobody@example.org", name="Nobody Person", password=None,
                                    roles=[], known_roles=ROLES)
        users[OTHER_COUNCILLOR] = create_user(session, email="other@example.org", name="Other Councillor",
                                              password=None, roles=[COUNCILLOR], known_roles=ROLES)
        group.support_contact_id = users[GROUP_SUPPORT_CONTACT].id
        session.flush()
        return {who: user.id for who, user in users.items()}


@pytest.fixture
def client_as(app: Flask, people: dict[str, int]) -> Callable[[str | None], FlaskClient]:
    """A browser signed in as the person holding that role (or NOBODY, OTHER_COUNCILLOR; None: signed out)."""

    def make(who: str | None) -> FlaskClient:
        client = app.test_client()
        if who is not None:
            with client.session_transaction() as session:
                session["_user_id"] = str(people[who])
                session["_fresh"] = True
        return client

    return make
