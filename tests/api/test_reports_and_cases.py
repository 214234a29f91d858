"""Reporting through the API, and reading cases only on a need-to-know basis."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select

from engine.models import Case
from processes.roles import ADMIN, COUNCILLOR, MONITORING_OFFICER, POLICE_LIAISON, SUPPORT_OFFICER
from tests.processes import casework

REPORT = {"data": casework.REPORT}


def cases_stored(workflow) -> int:
    with workflow.db.read() as session:
        return session.scalar(select(func.count()).select_from(Case))


def test_a_councillor_reports_an_incident_and_gets_the_case_reference(client, person, conforms):
    councillor = person(COUNCILLOR)
    response = client.post("/api/v1/reports", json=REPORT, headers=councillor.headers)
    assert response.status_code == 201
    conforms(response.get_json(), "ReportCreated")
    reference = response.get_json()["reference"]
    assert re.fullmatch(rf"CS-{datetime.now().year}-\d{{4}}", reference)
    assert response.headers["Location"] == f"/api/v1/cases/{reference}"
    case = client.get(response.headers["Location"], headers=councillor.headers)
    assert case.status_code == 200
    conforms(case.get_json(), "Case")
    assert case.get_json()["councillor"]["id"] == councillor.user_id


def test_a_support_officer_reports_for_a_councillor_named_by_email(client, person):
    councillor = person(COUNCILLOR, email="cllr.patel@example.org")
    officer = person(SUPPORT_OFFICER)
    response = client.post("/api/v1/reports", json={**REPORT, "councillor_email": "Cllr.Patel@example.org"},
                           headers=officer.headers)
    assert response.status_code == 201
    case = client.get(response.headers["Location"], headers=councillor.headers).get_json()
    assert case["councillor"]["id"] == councillor.user_id


def test_a_support_officer_must_name_a_councillor_who_exists(client, workflow, person, problem):
    officer = person(SUPPORT_OFFICER)
    not_a_councillor = person(POLICE_LIAISON)
    problem(client.post("/api/v1/reports", json=REPORT, headers=officer.headers), 422, field="councillor_email")
    for email in ("nobody@example.org", not_a_councillor.email):
        response = client.post("/api/v1/reports", json={**REPORT, "councillor_email": email},
                               headers=officer.headers)
        problem(response, 422, field="councillor_email")
    assert cases_stored(workflow) == 0


def test_a_councillor_cannot_report_in_another_councillors_name(client, workflow, person, problem):
    councillor, other = person(COUNCILLOR), person(COUNCILLOR)
    response = client.post("/api/v1/reports", json={**REPORT, "councillor_email": other.email},
                           headers=councillor.headers)
    problem(response, 403)
    assert cases_stored(workflow) == 0


def test_only_councillors_and_support_officers_report(client, workflow, person, problem):
    for role in (POLICE_LIAISON, MONITORING_OFFICER, ADMIN):
        problem(client.post("/api/v1/reports", json=REPORT, headers=person(role).headers), 403)
    assert cases_stored(workflow) == 0


def test_a_report_without_its_data_names_the_missing_field(client, workflow, person, problem):
    councillor = person(COUNCILLOR)
    problem(client.post("/api/v1/reports", json={}, headers=councillor.headers), 422, field="data")
    problem(client.post("/api/v1/reports", json={"data": "help"}, headers=councillor.headers), 422, field="data")
    problem(client.post("/api/v1/reports", json={**REPORT, "urgent": True}, headers=councillor.headers), 422,
            field="urgent")
    assert cases_stored(workflow) == 0


def test_officers_read_cases_with_a_task_in_their_role(client, person, open_case, conforms):
    councillor, officer = person(COUNCILLOR), person(SUPPORT_OFFICER)
    case = open_case(councillor)
    response = client.get(f"/api/v1/cases/{case.reference}", headers=officer.headers)
    assert response.status_code == 200
    conforms(response.get_json(), "Case")
    assert [t["title"] for t in response.get_json()["tasks"]] == ["Acknowledge and triage"]


def test_people_without_a_part_in_a_case_are_told_it_does_not_exist(client, person, open_case, problem):
    councillor = person(COUNCILLOR)
    reference = open_case(councillor).reference
    for role in (POLICE_LIAISON, MONITORING_OFFICER, ADMIN, COUNCILLOR):
        hidden = problem(client.get(f"/api/v1/cases/{reference}", headers=person(role).headers), 404)
        missing = problem(client.get("/api/v1/cases/CS-1999-9999", headers=person(role).headers), 404)
        assert hidden == missing


def test_a_councillor_never_reads_another_councillors_case_by_guessing_references(
        client, person, open_case, problem):
    victim, guesser = person(COUNCILLOR), person(COUNCILLOR)
    for _ in range(5):
        open_case(victim)
    open_case(guesser)
    year = datetime.now().year
    seen = []
    for number in range(0, 12):
        response = client.get(f"/api/v1/cases/CS-{year}-{number:04d}", headers=guesser.headers)
        if response.status_code == 200:
            seen.append(response.get_json()["reference"])
        else:
            problem(response, 404)
    assert seen == [f"CS-{year}-0006"]



def test_report_that_breaks_the_report_form_is_refused_naming_the_field(client, person, problem):
    councillor = person(COUNCILLOR)
    incomplete = {key: value for key, value in casework.REPORT.items() if key != "what_happened"}
    problem(client.post("/api/v1/reports", json={"data": incomplete}, headers=councillor.headers), 422,
            field="what_happened")
    assert cases_stored(client.application.extensions["workflow"]) == 0
