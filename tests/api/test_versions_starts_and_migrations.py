"""Deployed versions of a process, starting a process by hand, and moving an instance to another version,
through the API."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.models import Instance
from processes.catalogue import DIAGRAMS
from processes.roles import (
    ADMIN,
    COUNCILLOR,
    DEMOCRATIC_SERVICES,
    MONITORING_OFFICER,
    POLICE_LIAISON,
    ROLES,
    STARTERS,
    SUPPORT_OFFICER,
)

TEST_DIAGRAMS = Path(__file__).parent.parent / "diagrams"


@pytest.fixture
def deploy_version_2(workflow, tmp_path):
    """Deploy a second version of "simple" that only renames it, so every instance can move to it."""
    def deploy() -> None:
        folder = tmp_path / "v2"
        shutil.copytree(TEST_DIAGRAMS, folder)
        diagram = folder / "simple.bpmn"
        diagram.write_text(diagram.read_text().replace('name="Simple triage"', 'name="Simple triage 2"'))
        [deployed] = workflow.deploy_folder(folder)
        assert (deployed.version, deployed.created) == (2, True)
    return deploy


def instances(workflow) -> int:
    with workflow.db.read() as session:
        return session.scalar(select(func.count()).select_from(Instance))


# --- versions --------------------------------------------------------------------------------------


def test_officers_and_admins_see_every_version_with_the_instances_running_on_it(
        client, person, open_case, deploy_version_2, conforms):
    councillor = person(COUNCILLOR)
    open_case(councillor)
    deploy_version_2()
    open_case(councillor)
    open_case(councillor)
    for someone in (person(SUPPORT_OFFICER), person(MONITORING_OFFICER), person(ADMIN)):
        response = client.get("/api/v1/process-models/simple/versions", headers=someone.headers)
        assert response.status_code == 200
        body = response.get_json()
        conforms(body, "ProcessVersions")
        assert (body["process_id"], body["name"]) == ("simple", "Simple triage 2")
        assert [(v["version"], v["running_instances"]) for v in body["versions"]] == [(2, 2), (1, 1)]
        assert all(v["filename"] == "simple.bpmn" and v["deployed_at"] for v in body["versions"])


def test_councillors_may_not_see_process_versions(client, person, problem):
    problem(client.get("/api/v1/process-models/simple/versions", headers=person(COUNCILLOR).headers), 403)


def test_versions_of_an_unknown_process_are_not_found(client, person, problem):
    admin = person(ADMIN)
    for process_id in ("no_such_process", "simple%00", "..%2Fsimple", "x" * 200):
        problem(client.get(f"/api/v1/process-models/{process_id}/versions", headers=admin.headers), 404)


# --- starting ----------------------------------------------------------------------------------------


def test_democratic_services_start_an_online_meeting_safety_check(client, workflow, person, conforms):
    workflow.deploy_folder(DIAGRAMS)
    clerk = person(DEMOCRATIC_SERVICES)
    response = client.post("/api/v1/process-models/online_meeting_safety/instances", json={"data": {}},
                           headers=clerk.headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    conforms(body, "Started")
    assert (body["process_id"], body["completed"]) == ("online_meeting_safety", False)
    [task] = body["open_tasks"]
    assert (task["title"], task["role"]) == ("Describe the meeting", DEMOCRATIC_SERVICES)
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=clerk.headers).status_code == 200
    instance = client.get(response.headers["Location"], headers=clerk.headers)
    assert instance.status_code == 200 and instance.get_json()["id"] == body["instance_id"]


def test_admins_start_any_process_and_see_only_the_ids_of_tasks_they_may_open(client, workflow, person, conforms):
    response = client.post("/api/v1/process-models/simple/instances", json={"data": {"summary": "Threats"}},
                           headers=person(ADMIN).headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    conforms(body, "Started")
    # The first task waits in the support officers' queue, which is not the admin's to work.
    assert [(t["title"], t["id"]) for t in body["open_tasks"]] == [("Acknowledge and triage", None)]
    assert workflow.instance_data(body["instance_id"])["summary"] == "Threats"


def test_only_roles_that_start_a_process_by_hand_may_start_it(client, workflow, person, problem):
    for role in (COUNCILLOR, SUPPORT_OFFICER, POLICE_LIAISON, DEMOCRATIC_SERVICES):
        problem(client.post("/api/v1/process-models/simple/instances", json={"data": {}},
                            headers=person(role).headers), 403)
    assert instances(workflow) == 0


def test_starting_an_unknown_process_is_not_found(client, workflow, person, problem):
    admin = person(ADMIN)
    for process_id in ("no_such_process", "sim ple", "x" * 200):
        problem(client.post(f"/api/v1/process-models/{process_id}/instances", json={"data": {}},
                            headers=admin.headers), 404)
    assert instances(workflow) == 0


@pytest.mark.parametrize("body", [{"data": [1, 2]}, {"data": "x"}, {"data": None}, {}])
def test_start_data_must_be_an_object(client, workflow, person, problem, body):
    response = client.post("/api/v1/process-models/simple/instances", json=body, headers=person(ADMIN).headers)
    problem(response, 422, field="data")
    assert instances(workflow) == 0


def test_a_start_body_must_be_json(client, workflow, person, problem):
    problem(client.post("/api/v1/process-models/simple/instances", data="data=1", headers=person(ADMIN).headers,
                        content_type="application/x-www-form-urlencoded"), 400)
    assert instances(workflow) == 0


def test_starters_name_real_processes_and_roles():
    assert all((DIAGRAMS / f"{process_id}.bpmn").is_file() for process_id in STARTERS)
    assert all(roles and roles <= set(ROLES) - {ADMIN} for roles in STARTERS.values())


# --- migrating ----------------------------------------------------------------------------------------


def _version(client, admin, instance_id: int) -> int:
    return client.get(f"/api/v1/instances/{instance_id}", headers=admin.headers).get_json()["version"]


def test_a_dry_run_says_an_instance_can_move_and_moves_nothing(client, person, open_case, deploy_version_2,
                                                               conforms):
    admin = person(ADMIN)
    case = open_case(person(COUNCILLOR))
    deploy_version_2()
    response = client.post(f"/api/v1/instances/{case.instance_id}/migrate", json={"to_version": 2},
                           headers=admin.headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    conforms(body, "Migration")
    assert body == {"instance_id": case.instance_id, "process_id": "simple", "from_version": 1, "to_version": 2,
                    "dry_run": True, "can_move": True, "moved": False, "waiting_at": ["Acknowledge and triage"],
                    "reasons": []}
    assert _version(client, admin, case.instance_id) == 1


def test_an_admin_moves_an_instance_to_a_new_version_keeping_its_open_task(client, person, open_case,
                                                                          deploy_version_2, conforms):
    admin, officer = person(ADMIN), person(SUPPORT_OFFICER)
    case = open_case(person(COUNCILLOR))
    deploy_version_2()
    response = client.post(f"/api/v1/instances/{case.instance_id}/migrate", json={"to_version": 2, "dry_run": False},
                           headers=admin.headers)
    assert response.status_code == 200, response.get_json()
    conforms(response.get_json(), "Migration")
    assert {k: response.get_json()[k] for k in ("dry_run", "can_move", "moved")} == \
        {"dry_run": False, "can_move": True, "moved": True}
    assert _version(client, admin, case.instance_id) == 2
    assert client.post(f"/api/v1/tasks/{case.task_ids[0]}/claim", headers=officer.headers).status_code == 200


def test_an_instance_that_cannot_move_is_refused_with_the_reason_and_left_as_it_was(client, person, open_case):
    admin = person(ADMIN)
    case = open_case(person(COUNCILLOR))
    for dry_run in (True, False):
        response = client.post(f"/api/v1/instances/{case.instance_id}/migrate",
                               json={"to_version": 1, "dry_run": dry_run}, headers=admin.headers)
        assert response.status_code == 200
        body = response.get_json()
        assert (body["can_move"], body["moved"]) == (False, False)
        assert body["reasons"] == ["It is already on version 1."]
    assert _version(client, admin, case.instance_id) == 1


def test_only_admins_move_instances(client, person, open_case, deploy_version_2, problem):
    case = open_case(person(COUNCILLOR))
    deploy_version_2()
    officer = person(SUPPORT_OFFICER)  # may see the instance, but not move it
    for someone in (officer, person(COUNCILLOR), person(MONITORING_OFFICER)):
        problem(client.post(f"/api/v1/instances/{case.instance_id}/migrate",
                            json={"to_version": 2, "dry_run": False}, headers=someone.headers), 403)
    assert client.get(f"/api/v1/instances/{case.instance_id}", headers=officer.headers).get_json()["version"] == 1


def test_moving_an_unknown_instance_is_not_found(client, person, problem):
    admin = person(ADMIN)
    for instance_id in (999999, 2**31, 10**30):
        problem(client.post(f"/api/v1/instances/{instance_id}/migrate", json={"to_version": 1},
                            headers=admin.headers), 404)


@pytest.mark.parametrize(("body", "field"), [
    ({}, "to_version"), ({"to_version": "2"}, "to_version"), ({"to_version": 2.5}, "to_version"),
    ({"to_version": True}, "to_version"), ({"to_version": 0}, "to_version"), ({"to_version": 3}, "to_version"),
    ({"to_version": 2**40}, "to_version"), ({"to_version": 2, "dry_run": "no"}, "dry_run"),
    ({"to_version": 2, "now": True}, "now"),
])
def test_a_bad_migration_request_names_the_field_and_moves_nothing(client, person, open_case, deploy_version_2,
                                                                   problem, body, field):
    admin = person(ADMIN)
    case = open_case(person(COUNCILLOR))
    deploy_version_2()
    problem(client.post(f"/api/v1/instances/{case.instance_id}/migrate", json=body, headers=admin.headers), 422,
            field=field)
    assert _version(client, admin, case.instance_id) == 1
