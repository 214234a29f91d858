"""Process instances (status, open tasks, waiting timers) and process models through the API."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from engine.models import ProcessModelVersion
from processes.roles import ADMIN, COUNCILLOR, MONITORING_OFFICER, POLICE_LIAISON, SUPPORT_OFFICER

DIAGRAMS = Path(__file__).parent.parent / "diagrams"


def _escalate(client, officer, task_id: str) -> None:
    client.post(f"/api/v1/tasks/{task_id}/claim", headers=officer.headers)
    client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"severity": "high"}}, headers=officer.headers)


def test_an_instance_shows_its_open_tasks_and_when_its_timers_fire(client, person, open_case, conforms):
    officer, police = person(SUPPORT_OFFICER), person(POLICE_LIAISON)
    case = open_case(person(COUNCILLOR))
    _escalate(client, officer, case.task_ids[0])
    response = client.get(f"/api/v1/instances/{case.instance_id}", headers=police.headers)
    assert response.status_code == 200
    body = response.get_json()
    conforms(body, "Instance")
    assert (body["process_id"], body["version"], body["status"], body["case_reference"]) == \
        ("simple", 1, "running", case.reference)
    assert [t["title"] for t in body["open_tasks"]] == ["Refer to police"]
    [timer] = body["waiting_timers"]
    due = datetime.fromisoformat(timer["due_at"]) - datetime.fromisoformat(body["updated_at"])
    assert timedelta(hours=3, minutes=59) < due <= timedelta(hours=4)
    assert body["next_wake_at"] == timer["due_at"]


def test_admins_and_officers_with_a_task_see_an_instance_and_nobody_else(client, person, open_case, problem):
    councillor = person(COUNCILLOR)
    case = open_case(councillor)
    assert client.get(f"/api/v1/instances/{case.instance_id}", headers=person(ADMIN).headers).status_code == 200
    assert client.get(f"/api/v1/instances/{case.instance_id}",
                      headers=person(SUPPORT_OFFICER).headers).status_code == 200
    for someone in (councillor, person(POLICE_LIAISON), person(MONITORING_OFFICER)):
        problem(client.get(f"/api/v1/instances/{case.instance_id}", headers=someone.headers), 404)
    problem(client.get("/api/v1/instances/999999", headers=person(ADMIN).headers), 404)


def test_process_models_list_the_latest_version_of_each(client, person, conforms):
    response = client.get("/api/v1/process-models", headers=person(SUPPORT_OFFICER).headers)
    assert response.status_code == 200
    conforms(response.get_json(), "ProcessModelList")
    assert [(m["process_id"], m["version"]) for m in response.get_json()["process_models"]] == [("simple", 1)]


def _upload(diagram: bytes = b"", name: str = "simple.bpmn", forms: bool = True) -> dict:
    files = {"diagram": (io.BytesIO(diagram or (DIAGRAMS / "simple.bpmn").read_bytes()), name)}
    if forms:
        files["forms"] = [(io.BytesIO(p.read_bytes()), p.name)
                          for p in sorted((DIAGRAMS / "forms").glob("*.json"))]
    return files


def versions(workflow) -> int:
    with workflow.db.read() as session:
        return session.scalar(select(func.count()).select_from(ProcessModelVersion))


def test_an_admin_deploys_a_changed_diagram_as_a_new_version(client, workflow, person, conforms):
    admin = person(ADMIN)
    changed = (DIAGRAMS / "simple.bpmn").read_bytes().replace(b'name="Simple triage"', b'name="Simple triage 2"')
    response = client.post("/api/v1/process-models", data=_upload(changed), headers=admin.headers)
    assert response.status_code == 201, response.get_json()
    conforms(response.get_json(), "Deployed")
    assert response.get_json()["deployed"] == [{"process_id": "simple", "version": 2, "created": True}]
    same = client.post("/api/v1/process-models", data=_upload(changed), headers=admin.headers)
    assert same.get_json()["deployed"] == [{"process_id": "simple", "version": 2, "created": False}]


def test_only_admins_deploy(client, workflow, person, problem):
    for role in (SUPPORT_OFFICER, COUNCILLOR, MONITORING_OFFICER):
        problem(client.post("/api/v1/process-models", data=_upload(), headers=person(role).headers), 403)
    assert versions(workflow) == 1


def test_a_broken_diagram_is_refused_with_every_problem_and_nothing_is_stored(client, workflow, person, problem):
    admin = person(ADMIN)
    broken = (DIAGRAMS / "simple.bpmn").read_bytes().replace(b'name="Police liaison"', b'name="Night watch"')
    body = problem(client.post("/api/v1/process-models", data=_upload(broken), headers=admin.headers), 422)
    assert body["problems"] and all(p["file"] == "simple.bpmn" for p in body["problems"])
    missing_form = client.post("/api/v1/process-models", data=_upload(broken, forms=False), headers=admin.headers)
    problem(missing_form, 422)
    assert versions(workflow) == 1


def test_hostile_diagrams_are_refused_before_parsing(client, workflow, person, problem):
    admin = person(ADMIN)
    xxe = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
           b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</bpmn:definitions>')
    laughs = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8)) + b"]><l>&i;</l>"
    for diagram in (xxe, laughs, b"\xff\xfe not text", b"not xml at all"):
        response = client.post("/api/v1/process-models", data=_upload(diagram, forms=False), headers=admin.headers)
        problem(response, 422)
        assert "root:" not in response.get_data(as_text=True)
    assert versions(workflow) == 1


def test_uploaded_file_names_cannot_reach_outside_their_folder(client, workflow, person, problem):
    admin = person(ADMIN)
    for name in ("../simple.bpmn", "/etc/simple.bpmn", "..\\simple.bpmn", "simple.bpmn.exe", ".bpmn",
                 "sim ple.bpmn", "simple\x00.bpmn"):
        problem(client.post("/api/v1/process-models", data=_upload(name=name), headers=admin.headers), 422,
                field="diagram")
    forms = {"diagram": _upload()["diagram"], "forms": [(io.BytesIO(b"{}"), "../x.json")]}
    problem(client.post("/api/v1/process-models", data=forms, headers=admin.headers), 422, field="forms")
    assert versions(workflow) == 1


def test_a_deployment_must_be_multipart_with_a_diagram(client, person, problem):
    admin = person(ADMIN)
    problem(client.post("/api/v1/process-models", json={"diagram": "x"}, headers=admin.headers), 400)
    problem(client.post("/api/v1/process-models", data={"note": "x"}, content_type="multipart/form-data",
                        headers=admin.headers), 422, field="diagram")
