"""schemathesis drives every operation in /api/v1/openapi.json, in process over WSGI, as a support officer
and as a councillor: no response is a server error, and every response is one the description documents
(status code, content type, headers and body schema).

schemathesis's own pytest loader cannot run under this pytest (it writes a node attribute pytest 9.2
removed), so each operation's cases come from its Hypothesis strategy, under bounded, derandomised settings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engine.models import Case
from processes.roles import COUNCILLOR, SUPPORT_OFFICER
from tests.evidence.conftest import Person, make_person, open_simple_case

BOUNDED = settings(max_examples=20, derandomize=True, deadline=None, database=None, print_blob=False,
                   suppress_health_check=list(HealthCheck))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, ignored_auth]


def _exercise(strategy: Any, call: Callable[[Any], object]) -> str | None:
    """Run `call` on cases drawn from `strategy`; the failure, shrunk, if any."""
    @BOUNDED
    @given(strategy)
    def run(case: Any) -> None:
        call(case)

    try:
        run()
    # A failed check (schemathesis groups them), or any error the call raised: report it, then go on.
    except (Exception, BaseExceptionGroup) as error:
        return f"{type(error).__name__}: {error}"
    return None


@pytest.mark.parametrize("role", [SUPPORT_OFFICER, COUNCILLOR])
def test_no_server_error_and_every_response_is_documented(app_with: Callable[..., Flask], role: str) -> None:
    app = app_with()
    workflow = app.extensions["workflow"]
    councillor = make_person(workflow, COUNCILLOR, "councillor@example.org")
    officer = make_person(workflow, SUPPORT_OFFICER, "officer@example.org")
    opened = [open_simple_case(workflow, councillor) for _ in range(3)]
    workflow.claim(opened[0].opened[0].id, officer.actor)
    person: Person = officer if role == SUPPORT_OFFICER else councillor
    # Real ids too, or nearly every generated request would stop at "not found".
    with workflow.db.read() as session:
        reference = session.get(Case, opened[0].case_id).reference
    real = {"task_id": opened[0].opened[0].id, "instance_id": opened[0].instance_id, "reference": reference,
            "process_id": "simple"}

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: dict[str, str] = {}
    seen: dict[str, set[int]] = {}

    def call(case: Any) -> None:
        response = case.call_and_validate(headers=person.headers, checks=CHECKS)
        seen.setdefault(case.operation.label, set()).add(response.status_code)

    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        runs = [("generated", operation.as_strategy())]
        if names or operation.query or operation.body:
            # Invalid input only where the operation takes any (a bare GET has nothing to get wrong).
            runs.append(("invalid input", operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)))
        if names:
            runs.append(("real ids", operation.as_strategy(path_parameters={n: real[n] for n in names})))
        for label, strategy in runs:
            failure = _exercise(strategy, call)
            if failure is not None:
                failures[f"{operation.label} ({label})"] = failure
    assert not failures, "\n\n".join(f"{name}:\n{failure}" for name, failure in failures.items())
    # Every operation was reached, and with real ids the caller saw what it may know of and nothing else.
    assert set(seen) == {operation.label for operation in operations}
    reads = ["GET /tasks/{task_id}", "GET /cases/{reference}", "GET /instances/{instance_id}"]
    if role == SUPPORT_OFFICER:
        assert all(200 in seen[read] for read in reads), seen
    else:
        assert 200 in seen["GET /cases/{reference}"], seen
        assert 200 not in seen["GET /tasks/{task_id}"] | seen["GET /instances/{instance_id}"], seen
