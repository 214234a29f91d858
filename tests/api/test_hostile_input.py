"""Hostile and careless input gets a clear 4xx problem, never a stack trace, and nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.models import AuditEvent, Case
from processes.roles import COUNCILLOR


def stored(workflow) -> tuple[int, int]:
    with workflow.db.read() as session:
        return (session.scalar(select(func.count()).select_from(Case)),
                session.scalar(select(func.count()).select_from(AuditEvent)))


@pytest.mark.parametrize(("body", "content_type"), [
    (b'{"data": {"summary": "x"}}', "text/plain"),
    (b'{"data": {"summary": "x"}}', "application/x-www-form-urlencoded"),
    (b"data=x", "multipart/form-data; boundary=x"),
    (b'{"data": {"summary": "x"}', "application/json"),
    (b"", "application/json"),
    (b"\xff\xfe\x00garbage", "application/json"),
    (b'{"data": {"n": NaN}}', "application/json"),
    (b'{"data": {"n": Infinity}}', "application/json"),
    (b'{"data": {"summary": "null \\u0000 byte"}}', "application/json"),
    (b'{"data": {"\\u0000": "x"}}', "application/json"),
    (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    (b'[{"data": {}}]', "application/json"),
    (b'"data"', "application/json"),
    (b'{"data": {"n": 1' + b"0" * 5000 + b"}}", "application/json"),
])
def test_bodies_that_are_not_json_objects_are_refused(client, workflow, person, problem, body, content_type):
    councillor = person(COUNCILLOR)
    before = stored(workflow)
    problem(client.post("/api/v1/reports", data=body, content_type=content_type, headers=councillor.headers), 400)
    assert stored(workflow) == before


def test_an_oversize_body_is_refused_before_it_is_read(client, workflow, person, problem):
    councillor = person(COUNCILLOR)
    before = stored(workflow)
    huge = b'{"data": {"summary": "' + b"x" * (2 * 1024 * 1024) + b'"}}'
    problem(client.post("/api/v1/reports", data=huge, content_type="application/json",
                        headers=councillor.headers), 413)
    assert stored(workflow) == before


@pytest.mark.parametrize("path", [
    "/api/v1/cases/..%2F..%2Fetc%2Fpasswd",
    "/api/v1/cases/../../etc/passwd",
    "/api/v1/cases/%00",
    "/api/v1/cases/CS-2026-0001%27%20OR%201=1",
    "/api/v1/tasks/..%2Ftasks",
    "/api/v1/tasks/%2e%2e",
    "/api/v1/instances/1e3",
    "/api/v1/instances/-1",
    "/api/v1/instances/99999999999999999999",
    "/api/v1/instances/1/../../tasks",
    "/api/v1/nothing-here",
])
def test_path_tricks_find_nothing(client, person, problem, path):
    councillor = person(COUNCILLOR)
    response = client.get(path, headers=councillor.headers)
    assert response.status_code in (404, 405), response.get_data(as_text=True)
    problem(response, response.status_code)


def test_methods_an_address_does_not_accept_are_named(client, person, problem):
    councillor = person(COUNCILLOR)
    response = client.delete("/api/v1/tasks", headers=councillor.headers)
    problem(response, 405)
    assert response.headers["Allow"] == "GET"
    response = client.get("/api/v1/reports", headers=councillor.headers)
    problem(response, 405)
    assert response.headers["Allow"] == "POST"
    assert client.put("/api/v1/process-models", headers=councillor.headers).headers["Allow"] == "GET, POST"
