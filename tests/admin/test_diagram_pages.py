"""The admin's diagram pages: versions and their diffs, checking and deploying from the editor, moving
running instances, and the instance viewer. Only admins may use them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from engine import versions
from engine.models import ProcessModelVersion

DIAGRAMS = Path(__file__).parent / "diagrams"

LANE_WITHOUT_ROLE = (DIAGRAMS / "v2" / "casework.bpmn").read_text().replace('name="Support officer"',
                                                                            'name="Caseworkers"')


def version_count(service) -> int:
    with service.db.read() as session:
        return session.scalar(select(func.count()).select_from(ProcessModelVersion))


def _send(client, url, xml, filename="casework.bpmn"):
    return client.post(url, json={"filename": filename, "xml": xml})


def test_only_admins_see_the_diagram_pages(support_officer, deploy):
    deploy("v1")
    assert support_officer.get("/admin/diagrams/").status_code == 403
    assert _send(support_officer, "/admin/diagrams/deploy", "<x/>").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(app):
    response = app.test_client().get("/admin/diagrams/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_processes_are_listed_with_their_versions(admin, deploy):
    deploy("v1")
    deploy("v2")
    page = admin.get("/admin/diagrams/").get_data(as_text=True)
    assert "Casework" in page and "Version 2" in page and "Version 1" in page


def test_version_page_shows_what_changed_since_the_previous_version(admin, deploy):
    deploy("v1")
    deploy("v2")
    page = admin.get("/admin/diagrams/casework/v2").get_data(as_text=True)
    assert "Agree a safety plan" in page  # added
    assert "Refer to police" in page  # removed
    assert "Review the case and close it" in page and "name" in page  # changed


def test_a_lane_without_a_role_is_reported_on_its_element_and_not_deployed(admin, service, deploy):
    deploy("v1")
    response = _send(admin, "/admin/diagrams/deploy", LANE_WITHOUT_ROLE)
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert {"triage", "safety_plan", "review"} <= {p["element_id"] for p in problems}
    assert all("Caseworkers" in p["message"] for p in problems)
    assert version_count(service) == 1


def test_checking_a_good_diagram_finds_no_problems_and_stores_nothing(admin, service, deploy):
    deploy("v1")
    response = _send(admin, "/admin/diagrams/check", (DIAGRAMS / "v2" / "casework.bpmn").read_text())
    assert response.status_code == 200 and response.get_json()["problems"] == []
    assert version_count(service) == 1


def test_deploying_from_the_editor_makes_a_new_version(admin, service, deploy):
    deploy("v1")
    response = _send(admin, "/admin/diagrams/deploy", (DIAGRAMS / "v2" / "casework.bpmn").read_text())
    assert response.status_code == 200
    assert response.get_json()["deployed"][0] | {"url": None} == {"process_id": "casework", "version": 2,
                                                                  "new": True, "url": None}
    assert version_count(service) == 2


def test_an_uploaded_file_is_checked_like_the_editor(admin, service, deploy):
    deploy("v1")
    upload = (DIAGRAMS / "v2" / "casework.bpmn").open("rb")
    response = admin.post("/admin/diagrams/check", data={"diagram": (upload, "casework.bpmn")},
                          content_type="multipart/form-data")
    assert response.status_code == 200 and response.get_json()["problems"] == []


def test_a_file_name_that_is_not_a_diagram_name_is_refused(admin, service):
    response = _send(admin, "/admin/diagrams/deploy", "<x/>", filename="../../etc/passwd")
    assert response.status_code == 422
    assert response.get_json()["problems"][0]["field"] == "filename"


def test_dry_run_page_lists_who_can_move_and_why_not(admin, deploy, start_at):
    deploy("v1")
    start_at("triage")
    refer = start_at("refer").instance_id
    deploy("v2")
    page = admin.post("/admin/diagrams/casework/migrate", data={"from_version": "1", "action": "dry-run"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "1 can move to version 2" in text
    assert "it is waiting at was removed" in text and f">{refer}<" in text


def test_migrate_page_moves_the_movable_instances(admin, service, deploy, start_at):
    deploy("v1")
    movable = start_at("triage").instance_id
    deploy("v2")
    page = admin.post("/admin/diagrams/casework/migrate", data={"from_version": "1", "action": "migrate"})
    assert page.status_code == 200 and "1 instances moved" in page.get_data(as_text=True)
    assert versions.instance_view(service, movable).version == 2


def test_migrate_page_explains_instance_numbers_it_cannot_read(admin, deploy):
    deploy("v1")
    deploy("v2")
    page = admin.post("/admin/diagrams/casework/migrate", data={"instances": "12; drop", "action": "dry-run"})
    assert page.status_code == 422
    assert "Enter instance numbers separated by commas" in page.get_data(as_text=True)


def test_instance_viewer_marks_where_the_instance_is(admin, deploy, start_at):
    deploy("v1")
    instance_id = start_at("refer").instance_id
    page = admin.get(f"/admin/diagrams/instances/{instance_id}")
    assert page.status_code == 200 and "bpmn-navigated-viewer" in page.get_data(as_text=True)
    data = admin.get(f"/admin/diagrams/instances/{instance_id}.json").get_json()
    assert data["current"] == ["refer"] and "triage" in data["completed"]
    assert data["waiting"][0]["element_id"] == "refer_overdue" and data["waiting"][0]["due_at"]
    assert set(data) == {"xml", "completed", "current", "waiting", "failed"}  # where it is, never its data
