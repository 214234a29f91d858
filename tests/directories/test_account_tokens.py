"""A person's own API tokens: listed only to them, the secret shown once, working with the API as them until
revoked, and every creation and revocation audited."""

from __future__ import annotations

import re

from sqlalchemy import select

from engine import directory, tokens
from engine.models import AuditEvent
from processes.roles import COUNCILLOR, SUPPORT_OFFICER
from tests.directories.conftest import OTHER_COUNCILLOR


def create(client, name: str) -> str:
    response = client.post("/account/tokens", data={"name": name})
    assert response.status_code == 200
    (secret,) = set(re.findall(rf"{tokens.PREFIX}[A-Za-z0-9_-]{{20,}}", response.get_data(as_text=True)))
    return secret


def test_the_tokens_page_lists_only_my_tokens(client_as, workflow, people):
    mine, theirs = client_as(COUNCILLOR), client_as(OTHER_COUNCILLOR)
    create(mine, "Council website form")
    create(theirs, "Someone else's laptop")
    page = mine.get("/account/tokens").get_data(as_text=True)
    assert "Council website form" in page and "Never" in page and "Active" in page
    assert "Someone else&#39;s laptop" not in page and "Someone else's laptop" not in page


def test_a_new_token_is_shown_once_with_a_warning_and_never_again(client_as):
    officer = client_as(SUPPORT_OFFICER)
    response = officer.post("/account/tokens", data={"name": "Microsoft 365"})
    page = response.get_data(as_text=True)
    assert "You will not be able to see it again" in page
    assert response.headers["Cache-Control"] == "no-store"
    secret = create(officer, "Police portal")
    assert secret not in officer.get("/account/tokens").get_data(as_text=True)


def test_a_created_token_works_with_the_api_until_it_is_revoked(client_as, workflow, people):
    officer = client_as(SUPPORT_OFFICER)
    secret = create(officer, "Council website form")
    api = client_as(None)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/tasks", headers=bearer).status_code == 200
    assert "Never" not in officer.get("/account/tokens").get_data(as_text=True)

    (token,) = directory.personal_tokens(workflow.db, people[SUPPORT_OFFICER])
    response = officer.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 302
    assert api.get("/api/v1/tasks", headers=bearer).status_code == 401
    assert "Revoked" in officer.get("/account/tokens").get_data(as_text=True)


def test_nobody_can_revoke_someone_elses_token(client_as, workflow, people):
    secret = create(client_as(COUNCILLOR), "Home laptop")
    (token,) = directory.personal_tokens(workflow.db, people[COUNCILLOR])
    assert client_as(OTHER_COUNCILLOR).post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert client_as(None).get("/api/v1/tasks", headers={"Authorization": f"Bearer {secret}"}).status_code != 401
    assert directory.personal_tokens(workflow.db, people[COUNCILLOR])[0].active


def test_revoking_needs_the_forms_csrf_token(app, client_as, workflow, people):
    create(client_as(COUNCILLOR), "Home laptop")
    (token,) = directory.personal_tokens(workflow.db, people[COUNCILLOR])
    app.config["WTF_CSRF_ENABLED"] = True
    response = client_as(COUNCILLOR).post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 400
    assert directory.personal_tokens(workflow.db, people[COUNCILLOR])[0].active


def test_a_token_needs_a_name(client_as, workflow, people):
    response = client_as(COUNCILLOR).post("/account/tokens", data={"name": "   "})
    assert response.status_code == 400
    assert '<a href="#name">Enter a name for the token' in response.get_data(as_text=True)
    assert directory.personal_tokens(workflow.db, people[COUNCILLOR]) == []


def test_creating_and_revoking_tokens_is_audited_without_the_secret(client_as, workflow, people):
    client = client_as(COUNCILLOR)
    secret = create(client, "Home laptop")
    (token,) = directory.personal_tokens(workflow.db, people[COUNCILLOR])
    client.post(f"/account/tokens/{token.id}/revoke")
    with workflow.db.read() as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action.like("api_token.%"))
                                      .order_by(AuditEvent.id)))
    assert [(e.action, e.actor_id, e.detail["token_id"]) for e in events] == [
        ("api_token.created", people[COUNCILLOR], token.id), ("api_token.revoked", people[COUNCILLOR], token.id)]
    assert secret not in str([e.detail for e in events])
