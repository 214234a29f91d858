"""Working tasks through the API: listing, reading with the form's schema, claiming, completing."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.models import AuditEvent
from processes.roles import COUNCILLOR, POLICE_LIAISON, SUPPORT_OFFICER


def test_a_new_case_waits_in_the_support_officers_claimable_queue(client, person, open_case, conforms):
    councillor, officer, police = person(COUNCILLOR), person(SUPPORT_OFFICER), person(POLICE_LIAISON)
    case = open_case(councillor)
    page = client.get("/api/v1/tasks?scope=claimable", headers=officer.headers).get_json()
    conforms(page, "TaskPage")
    assert [(t["id"], t["case_reference"]) for t in page["tasks"]] == [(case.task_ids[0], case.reference)]
    assert client.get("/api/v1/tasks?scope=claimable", headers=police.headers).get_json()["total"] == 0
    assert client.get("/api/v1/tasks?scope=claimable", headers=councillor.headers).get_json()["total"] == 0
    assert client.get("/api/v1/tasks", headers=officer.headers).get_json()["total"] == 0


def test_a_task_comes_with_its_forms_json_schema(client, person, open_case, conforms):
    officer = person(SUPPORT_OFFICER)
    task_id = open_case(person(COUNCILLOR)).task_ids[0]
    response = client.get(f"/api/v1/tasks/{task_id}", headers=officer.headers)
    assert response.status_code == 200
    conforms(response.get_json(), "TaskDetail")
    form = response.get_json()["form"]
    assert form["name"] == "triage.schema.json"
    assert form["schema"]["required"] == ["severity"]


def test_tasks_of_another_role_do_not_exist_for_the_caller(client, person, open_case, problem):
    police = person(POLICE_LIAISON)
    task_id = open_case(person(COUNCILLOR)).task_ids[0]
    problem(client.get(f"/api/v1/tasks/{task_id}", headers=police.headers), 404)
    for action in ("claim", "unclaim", "complete"):
        problem(client.post(f"/api/v1/tasks/{task_id}/{action}", json={"data": {}}, headers=police.headers), 404)
    problem(client.get("/api/v1/tasks/no-such-task", headers=police.headers), 404)


def test_claim_then_complete_moves_the_case_on(client, workflow, person, open_case, conforms):
    officer = person(SUPPORT_OFFICER)
    task_id = open_case(person(COUNCILLOR)).task_ids[0]
    claimed = client.post(f"/api/v1/tasks/{task_id}/claim", headers=officer.headers)
    assert claimed.status_code == 200
    conforms(claimed.get_json(), "Task")
    assert claimed.get_json()["assigned_to_me"] is True
    assert [t["id"] for t in client.get("/api/v1/tasks?scope=mine", headers=officer.headers).get_json()["tasks"]] \
        == [task_id]
    done = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"severity": "low"}},
                       headers=officer.headers)
    assert done.status_code == 200
    conforms(done.get_json(), "Completion")
    [review] = done.get_json()["next_tasks"]
    assert review["title"] == "Review and close" and review["role"] == SUPPORT_OFFICER and review["id"]
    with workflow.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "task.completed")) == 1


def test_next_tasks_in_another_role_are_announced_without_their_id(client, person, open_case):
    officer = person(SUPPORT_OFFICER)
    task_id = open_case(person(COUNCILLOR)).task_ids[0]
    client.post(f"/api/v1/tasks/{task_id}/claim", headers=officer.headers)
    done = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"severity": "severe"}},
                       headers=officer.headers).get_json()
    assert done["next_tasks"] == [{"id": None, "title": "Refer to police", "role": POLICE_LIAISON,
                                   "due_at": None, "assigned_to_me": False}]


def test_invalid_form_data_names_every_failing_field_and_changes_nothing(client, workflow, person, open_case,
                                                                         problem):
    officer = person(SUPPORT_OFFICER)
    task_id = open_case(person(COUNCILLOR)).task_ids[0]
    client.post(f"/api/v1/tasks/{task_id}/claim", headers=officer.headers)
    body = problem(client.post(f"/api/v1/tasks/{task_id}/complete",
                               json={"data": {"severity": "apocalyptic", "mood": "bad"}}, headers=officer.headers),
                   422)
    assert "must be one of" in body["errors"]["severity"] or body["errors"]["severity"]
    assert len(body["errors"]) == 2, body["errors"]
    problem(client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}}, headers=officer.headers), 422,
            field="severity")
    problem(client.post(f"/api/v1/tasks/{task_id}/complete", json={}, headers=officer.headers), 422, field="data")
    assert client.get(f"/api/v1/tasks/{task_id}", headers=officer.headers).get_json()["status"] == "open"


def test_only_the_assignee_completes_a_task(client, person, open_case, problem):
    officer, colleague = person(SUPPORT_OFFICER), person(SUPPORT_OFFICER)
    task_id = open_case(person(COUNCILLOR)).task_ids[0]
    problem(client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"severity": "low"}},
                        headers=officer.headers), 403)
    client.post(f"/api/v1/tasks/{task_id}/claim", headers=officer.headers)
    problem(client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"severity": "low"}},
                        headers=colleague.headers), 403)


def test_a_task_claimed_by_someone_else_cannot_be_claimed_or_given_back(client, person, open_case, problem):
    officer, colleague = person(SUPPORT_OFFICER), person(SUPPORT_OFFICER)
    task_id = open_case(person(COUNCILLOR)).task_ids[0]
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=officer.headers).status_code == 200
    problem(client.post(f"/api/v1/tasks/{task_id}/claim", headers=colleague.headers), 409)
    problem(client.post(f"/api/v1/tasks/{task_id}/unclaim", headers=colleague.headers), 403)
    unclaimed = client.post(f"/api/v1/tasks/{task_id}/unclaim", headers=officer.headers)
    assert unclaimed.status_code == 200 and unclaimed.get_json()["assignee_id"] is None
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=colleague.headers).status_code == 200


def test_a_completed_task_cannot_be_completed_again(client, person, open_case, problem):
    officer = person(SUPPORT_OFFICER)
    task_id = open_case(person(COUNCILLOR)).task_ids[0]
    client.post(f"/api/v1/tasks/{task_id}/claim", headers=officer.headers)
    client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"severity": "low"}}, headers=officer.headers)
    problem(client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"severity": "low"}},
                        headers=officer.headers), 409)


def test_task_list_parameters_are_checked(client, person, problem):
    officer = person(SUPPORT_OFFICER)
    problem(client.get("/api/v1/tasks?scope=everyone", headers=officer.headers), 400, field="scope")
    for bad in ("page=0", "page=-1", "page=x", "per_page=101", "per_page=0", "page=1e3"):
        problem(client.get(f"/api/v1/tasks?{bad}", headers=officer.headers), 400, field=bad.split("=")[0])


def test_task_lists_page(client, person, open_case):
    councillor, officer = person(COUNCILLOR), person(SUPPORT_OFFICER)
    for _ in range(3):
        open_case(councillor)
    page = client.get("/api/v1/tasks?scope=claimable&per_page=2&page=2", headers=officer.headers).get_json()
    assert (page["total"], page["pages"], page["page"], len(page["tasks"])) == (3, 2, 2, 1)


def test_a_task_the_caller_may_not_see_is_not_found_whatever_the_body(client, person, open_case, problem):
    """Need-to-know is checked inside the write, after the body; a bad body must still not reveal the task."""
    police = person(POLICE_LIAISON)
    task_id = open_case(person(COUNCILLOR)).task_ids[0]
    for body in ({"unexpected": True}, {"data": "not an object"}, []):
        problem(client.post(f"/api/v1/tasks/{task_id}/complete", json=body, headers=police.headers), 404)
    problem(client.post(f"/api/v1/tasks/{task_id}/complete", data="not json", headers=police.headers), 404)
    problem(client.post("/api/v1/tasks/no-such-task/complete", json={"data": {}}, headers=police.headers), 404)


def test_a_bad_body_on_a_visible_task_names_the_field(client, person, open_case, problem):
    officer = person(SUPPORT_OFFICER)
    task_id = open_case(person(COUNCILLOR)).task_ids[0]
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=officer.headers).status_code == 200
    problem(client.post(f"/api/v1/tasks/{task_id}/complete", json={"unexpected": True}, headers=officer.headers),
            422, field="data")
