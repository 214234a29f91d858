"""Every role against every API endpoint, as one table: the status each must get. A token acts with its
owner's roles and nothing more; what a caller may not know exists is a 404."""

from __future__ import annotations

from processes.roles import ADMIN, COUNCILLOR, MONITORING_OFFICER, POLICE_LIAISON, SUPPORT_OFFICER
from tests.processes.casework import REPORT

CALLERS = ("anonymous", "owner", "other councillor", SUPPORT_OFFICER, POLICE_LIAISON, MONITORING_OFFICER, ADMIN)

# endpoint: statuses in the order of CALLERS. {case}, {task} and {instance} belong to the owner's new case,
# whose first task waits in the support officers' queue; {process} is its process, which only admins start.
EXPECTED = {
    "GET /api/v1/openapi.json":         (200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/docs":                 (200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/cases/{case}":         (401, 200, 404, 200, 404, 404, 404),
    "GET /api/v1/tasks":                (401, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/tasks/{task}":         (401, 404, 404, 200, 404, 404, 404),
    "POST /api/v1/tasks/{task}/unclaim": (401, 404, 404, 403, 404, 404, 404),
    "POST /api/v1/tasks/{task}/complete": (401, 404, 404, 403, 404, 404, 404),
    "GET /api/v1/instances/{instance}": (401, 404, 404, 200, 404, 404, 200),
    "GET /api/v1/process-models":       (401, 200, 200, 200, 200, 200, 200),
    "POST /api/v1/process-models":      (401, 403, 403, 403, 403, 403, 422),
    "POST /api/v1/reports":             (401, 201, 201, 422, 403, 403, 403),
    "GET /api/v1/process-models/{process}/versions": (401, 403, 403, 200, 200, 200, 200),
    "POST /api/v1/process-models/{process}/instances": (401, 403, 403, 403, 403, 403, 201),
    "POST /api/v1/instances/{instance}/migrate": (401, 403, 403, 403, 403, 403, 200),
    "POST /api/v1/tasks/{task}/claim":  (401, 404, 404, 200, 404, 404, 404),
}


def test_every_role_gets_the_expected_status_from_every_endpoint(client, person, open_case):
    people = {"anonymous": None, "owner": person(COUNCILLOR), "other councillor": person(COUNCILLOR)}
    people |= {role: person(role) for role in CALLERS[3:]}
    case = open_case(people["owner"])
    values = {"case": case.reference, "task": case.task_ids[0], "instance": case.instance_id, "process": "simple"}
    got: dict[str, tuple[int, ...]] = {}
    for endpoint in EXPECTED:  # claims last: it changes who may act on the task
        method, path = endpoint.split(" ")
        statuses = []
        for caller in CALLERS:
            someone = people[caller]
            headers = someone.headers if someone else {}
            kwargs = {"json": {"data": {"summary": "x"}}} if method == "POST" else {}
            if endpoint == "POST /api/v1/reports":
                kwargs = {"json": {"data": REPORT}}
            if endpoint == "POST /api/v1/tasks/{task}/complete":
                kwargs = {"json": {"data": {"severity": "low"}}}
            if endpoint == "POST /api/v1/instances/{instance}/migrate":
                kwargs = {"json": {"to_version": 1}}  # a dry run: it changes nothing
            if endpoint == "POST /api/v1/process-models":
                kwargs = {"data": {}, "content_type": "multipart/form-data"}
            response = client.open(path.format(**values), method=method, headers=headers, **kwargs)
            statuses.append(response.status_code)
        got[endpoint] = tuple(statuses)
    if got != EXPECTED:
        rows = [f"{'endpoint':50} " + " ".join(f"{c[:10]:>10}" for c in CALLERS)]
        rows += [f"{e:50} " + " ".join(f"{s:>10}" for s in got[e]) + ("" if got[e] == EXPECTED[e] else "  <- differs")
                 for e in EXPECTED]
        raise AssertionError("\n".join(rows))
