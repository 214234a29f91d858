"""Need-to-know, enforced on the server: every role against every page, as DOMAIN.md's role table says."""

from __future__ import annotations

import io

import pytest

from engine import records
from tests.web.conftest import actor

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# who → (inbox, my cases, the case, its triage task, report, admin users, the case's evidence)
MATRIX = {
    "councillor":            (403, 200, 200, 404, 200, 403, 200),
    "other-councillor":      (403, 200, 404, 404, 200, 403, 404),
    "support-officer":       (200, 403, 200, 200, 200, 403, 200),
    "police-liaison":        (200, 403, 404, 404, 403, 403, 404),
    "wellbeing-champion":    (200, 403, 404, 404, 403, 403, 404),
    "group-support-contact": (200, 403, 404, 404, 403, 403, 404),
    "monitoring-officer":    (200, 403, 404, 404, 403, 403, 404),
    "admin":                 (403, 403, 404, 404, 403, 200, 404),
    None:                    (302, 302, 302, 302, 302, 302, 302),
}


@pytest.fixture
def case_with_evidence(client_as, open_case):
    reference, task_id = open_case()
    response = client_as("councillor").post(f"/cases/{reference}/documents",
                                            data={"evidence": (io.BytesIO(PNG), "screenshot.png")})
    assert response.status_code == 302
    return reference, task_id


@pytest.mark.parametrize("who", list(MATRIX))
def test_each_role_sees_only_what_it_needs_to(who, client_as, case_with_evidence, database):
    reference, task_id = case_with_evidence
    case_id = records.case_facts(database, reference).case.id
    document_id = records.documents(database, case_id)[0].id
    pages = ["/inbox", "/cases", f"/cases/{reference}", f"/tasks/{task_id}", "/report", "/admin/users",
             f"/cases/{reference}/documents/{document_id}"]
    client = client_as(who)
    got = tuple(client.get(page).status_code for page in pages)
    assert got == MATRIX[who], dict(zip(pages, got, strict=True))


def test_police_liaison_sees_the_case_once_it_is_referred(client_as, open_case, workflow, ids):
    reference, task_id = open_case()
    officer = actor(ids, "support-officer")
    workflow.claim(task_id, officer)
    workflow.complete_task(task_id, {"severity": "severe"}, officer)
    assert client_as("police-liaison").get(f"/cases/{reference}").status_code == 200
    assert client_as("monitoring-officer").get(f"/cases/{reference}").status_code == 404


def test_the_councillor_never_sees_officers_notes(client_as, open_case):
    reference, _task = open_case()
    officer = client_as("support-officer")
    assert officer.post(f"/cases/{reference}/notes", data={"body": "Caller sounded frightened"}).status_code == 302
    assert "Caller sounded frightened" in officer.get(f"/cases/{reference}").get_data(as_text=True)
    councillor_page = client_as("councillor").get(f"/cases/{reference}").get_data(as_text=True)
    assert "Caller sounded frightened" not in councillor_page and "Note by" not in councillor_page


def test_a_councillor_cannot_add_notes(client_as, open_case):
    reference, _task = open_case()
    assert client_as("councillor").post(f"/cases/{reference}/notes", data={"body": "x"}).status_code == 403


def test_an_empty_note_names_the_field_and_saves_nothing(client_as, open_case):
    reference, _task = open_case()
    officer = client_as("support-officer")
    response = officer.post(f"/cases/{reference}/notes", data={"body": "   "})
    assert response.status_code == 400 and 'href="#body"' in response.get_data(as_text=True)
    assert "Note by" not in officer.get(f"/cases/{reference}").get_data(as_text=True)


def test_admin_pages_manage_people_and_group_contacts(client_as, ids):
    admin = client_as("admin")
    response = admin.post("/admin/users/new", data={"name": "New Officer", "email": "new@example.org",
                                                    "password": "long enough pw", "roles": ["police-liaison"]})
    assert response.status_code == 302
    assert "new@example.org" in admin.get("/admin/users").get_data(as_text=True)
    duplicate = admin.post("/admin/users/new", data={"name": "Again", "email": "new@example.org",
                                                     "roles": ["police-liaison"]})
    assert duplicate.status_code == 400 and "There is already an account" in duplicate.get_data(as_text=True)
    refused = admin.post("/admin/groups/1/contact", data={"support_contact_id": str(ids["councillor"])})
    assert refused.status_code == 400
    assert "Choose someone who holds the group support contact role" in refused.get_data(as_text=True)
    assert admin.post("/admin/groups", data={"name": "Green group"}).status_code == 302
    assert "Green group" in admin.get("/admin/groups").get_data(as_text=True)
