"""Personal API tokens: shown once, stored hashed, acting with their owner's roles and nothing more."""

from __future__ import annotations

import hashlib

import time_machine
from sqlalchemy import select

from engine import tokens
from engine.models import User, UserRole
from processes.roles import POLICE_LIAISON, SUPPORT_OFFICER


def test_only_the_tokens_hash_is_stored(workflow, person):
    officer = person(SUPPORT_OFFICER)
    with workflow.db.read() as session:
        stored = session.scalars(select(tokens.ApiToken)).one()
    assert officer.token.startswith(tokens.PREFIX)
    assert stored.token_hash == hashlib.sha256(officer.token.encode()).hexdigest()
    assert officer.token not in (stored.token_hash, stored.name)


def test_a_token_acts_as_its_owner(client, person):
    officer = person(SUPPORT_OFFICER)
    assert client.get("/api/v1/tasks", headers=officer.headers).status_code == 200


def test_requests_without_a_token_are_refused_with_a_challenge(client, problem):
    response = client.get("/api/v1/tasks")
    problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_and_malformed_tokens_are_refused(client, person, problem):
    officer = person(SUPPORT_OFFICER)
    for header in ("Bearer cs_not-a-real-token", "Bearer " + officer.token[:-1], f"Basic {officer.token}",
                   "Bearer", "Bearer  ", officer.token, "Bearer " + "x" * 5000):
        response = client.get("/api/v1/tasks", headers={"Authorization": header})
        problem(response, 401)


def test_a_revoked_token_stops_working_at_once(client, workflow, person, problem):
    officer = person(SUPPORT_OFFICER)
    with workflow.db.write() as session:
        token = session.scalars(select(tokens.ApiToken)).one()
        tokens.revoke(session, token.id, user_id=officer.user_id)
    response = client.get("/api/v1/tasks", headers=officer.headers)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    problem(response, 401)


def test_only_the_owner_can_revoke_a_token(workflow, person):
    officer, other = person(SUPPORT_OFFICER), person(SUPPORT_OFFICER)
    with workflow.db.write() as session:
        token = tokens.tokens_of(session, officer.user_id)[0]
        try:
            tokens.revoke(session, token.id, user_id=other.user_id)
        except tokens.NotFound:
            pass
        else:
            raise AssertionError("someone else revoked the token")
        assert token.revoked_at is None


def test_a_deactivated_persons_tokens_stop_working(client, workflow, person, problem):
    officer = person(SUPPORT_OFFICER)
    with workflow.db.write() as session:
        session.get(User, officer.user_id).active = False
    problem(client.get("/api/v1/tasks", headers=officer.headers), 401)


def test_a_token_follows_its_owners_roles_as_they_change(client, workflow, person, open_case):
    councillor = person("councillor")
    officer = person(SUPPORT_OFFICER)
    open_case(councillor)
    claimable = client.get("/api/v1/tasks?scope=claimable", headers=officer.headers).get_json()
    assert claimable["total"] == 1
    with workflow.db.write() as session:
        user = session.get(User, officer.user_id)
        user.roles = [UserRole(role=POLICE_LIAISON)]
    claimable = client.get("/api/v1/tasks?scope=claimable", headers=officer.headers).get_json()
    assert claimable["total"] == 0


def test_last_use_is_recorded_at_most_once_a_minute(client, workflow, person):
    officer = person(SUPPORT_OFFICER)
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=False):
        client.get("/api/v1/tasks", headers=officer.headers)
    with time_machine.travel("2026-03-02 09:00:30+00:00", tick=False):
        client.get("/api/v1/tasks", headers=officer.headers)
    with workflow.db.read() as session:
        first = session.scalars(select(tokens.ApiToken)).one().last_used_at
    with time_machine.travel("2026-03-02 09:05:00+00:00", tick=False):
        client.get("/api/v1/tasks", headers=officer.headers)
    with workflow.db.read() as session:
        later = session.scalars(select(tokens.ApiToken)).one().last_used_at
    assert first.isoformat() == "2026-03-02T09:00:00+00:00"
    assert later.isoformat() == "2026-03-02T09:05:00+00:00"


def test_a_token_needs_a_name(workflow, person):
    officer = person(SUPPORT_OFFICER)
    with workflow.db.write() as session:
        for name in ("", "   ", "x" * 101):
            try:
                tokens.create_token(session, officer.user_id, name)
            except tokens.EngineError as error:
                assert error.field == "name"
            else:
                raise AssertionError(f"a token was made with the name {name!r}")


def test_a_token_of_someone_holding_no_role_still_names_its_owner(client, person):
    nobody = person()
    page = client.get("/api/v1/tasks", headers=nobody.headers)
    assert page.status_code == 200 and page.get_json()["tasks"] == []
