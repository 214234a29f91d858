"""Report an incident: question pages, "Call 999 now", evidence checked by content, check your answers and
the case reference; and evidence served only to people who may see the case."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from engine import records

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ANSWERS = [
    ("danger", {"in_danger": "no"}),
    ("when", {"incident_date-day": "3", "incident_date-month": "3", "incident_date-year": "2026"}),
    ("how", {"how": "social_media", "platform": "X", "link_or_handle": "@someone"}),
    ("who", {"perpetrator": "member_of_public", "perpetrator_name": "@someone"}),
    ("what", {"what_happened": "They said they would come to my house."}),
    ("evidence", {}),
    ("wellbeing", {"wellbeing_support": "not_now"}),
    ("consent", {"share_with_group": "yes", "share_with_police": "ask"}),
]


def answer_all(client, **changes):
    for slug, data in ANSWERS:
        response = client.post(f"/report/{slug}", data={**data, **changes.get(slug, {})})
        assert response.status_code == 302, (slug, response.get_data(as_text=True))
    return response


def test_a_councillor_reports_an_incident_and_gets_a_case_reference(client_as, workflow, database, ids):
    councillor = client_as("councillor")
    assert councillor.get("/report").status_code == 200
    assert answer_all(councillor).headers["Location"] == "/report/check"
    check = councillor.get("/report/check").get_data(as_text=True)
    assert "Check your answers" in check and "They said they would come to my house." in check
    assert "3 March 2026" in check and "Social media" in check
    sent = councillor.post("/report/check", follow_redirects=True).get_data(as_text=True)
    case = records.cases_of_councillor(database, ids["councillor"])[0]
    assert "Report sent" in sent and case.reference in sent
    started = next(e for e in workflow.history(case_id=case.id) if e.action == "instance.started")
    assert started.data["how"] == "social_media"
    assert started.data["incident_date"] == "2026-03-03"
    assert "severity" not in started.data
    assert councillor.get("/report/check").status_code == 200  # a fresh, empty draft
    assert "Acknowledge and triage" in client_as("support-officer").get("/inbox?tab=claimable").get_data(
        as_text=True)


def test_saying_you_are_in_danger_shows_call_999_now_and_opens_a_severe_case(client_as, workflow, database, ids):
    councillor = client_as("councillor")
    question = councillor.get("/report/danger").get_data(as_text=True)
    assert "Call 999 now." in question and 'data-danger-warning="in_danger" hidden' in question
    councillor.post("/report/danger", data={"in_danger": "yes"})
    next_page = councillor.get("/report/when").get_data(as_text=True)
    assert "Call 999 now." in next_page and 'class="app-danger"  hidden' not in next_page
    answer_all(councillor, danger={"in_danger": "yes"})
    sent = councillor.post("/report/check", follow_redirects=True).get_data(as_text=True)
    assert "Call 999 now." in sent
    case = records.cases_of_councillor(database, ids["councillor"])[0]
    started = next(e for e in workflow.history(case_id=case.id) if e.action == "instance.started")
    assert started.data["severity"] == "severe"


@pytest.mark.parametrize("slug, data, field, message", [
    ("danger", {}, "in_danger", "Do you feel in immediate danger?"),
    ("when", {"incident_date-day": "31", "incident_date-month": "2", "incident_date-year": "2026"}, "incident_date-day",
     "must be a real date"),
    ("what", {"what_happened": ""}, "what_happened", "What happened?"),
    ("what", {"what_happened": "x" * 5001}, "what_happened", "5000 characters or fewer"),
    ("how", {"how": "carrier pigeon"}, "how", "Choose one of the options"),
    ("consent", {"share_with_group": "maybe", "share_with_police": "yes"}, "share_with_group",
     "Choose one of the options"),
])
def test_bad_answers_name_the_field_and_are_not_saved(client_as, slug, data, field, message):
    councillor = client_as("councillor")
    response = councillor.post(f"/report/{slug}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page and f'href="#{field}"' in page and message in page
    check = councillor.get("/report/check").get_data(as_text=True)
    assert "carrier pigeon" not in check and "x" * 100 not in check


def test_an_unfinished_report_cannot_be_sent(client_as, database, ids):
    councillor = client_as("councillor")
    councillor.post("/report/danger", data={"in_danger": "no"})
    response = councillor.post("/report/check")
    assert response.status_code == 400 and "There is a problem" in response.get_data(as_text=True)
    assert records.cases_of_councillor(database, ids["councillor"]) == []


def test_a_support_officer_reports_on_a_councillors_behalf(client_as, database, ids):
    officer = client_as("support-officer")
    refused = officer.post("/report/councillor", data={"councillor": str(ids["admin"])})
    assert refused.status_code == 400
    assert officer.post("/report/councillor", data={"councillor": str(ids["councillor"])}).status_code == 302
    answer_all(officer)
    assert officer.post("/report/check").status_code == 302
    case = records.cases_of_councillor(database, ids["councillor"])[0]
    assert case.councillor_id == ids["councillor"] and case.reported_by_id == ids["support-officer"]


def test_evidence_is_checked_by_content_and_kept_outside_the_web_root(client_as, app, database, ids):
    councillor = client_as("councillor")
    liar = councillor.post("/report/evidence", data={"evidence": (io.BytesIO(b"#!/bin/sh\nrm -rf /"), "cat.png")})
    assert liar.status_code == 400 and "must be a PDF, PNG or JPEG" in liar.get_data(as_text=True)
    big = councillor.post("/report/evidence", data={"evidence": (io.BytesIO(PNG + b"\x00" * 70_000), "big.png")})
    assert big.status_code == 400 and "smaller than 10MB" in big.get_data(as_text=True)
    assert councillor.post("/report/evidence", data={"evidence": (io.BytesIO(PNG), "screenshot.png")}
                           ).status_code == 302
    answer_all(councillor)
    councillor.post("/report/check")
    case = records.cases_of_councillor(database, ids["councillor"])[0]
    [document] = records.documents(database, case.id)
    assert document.content_type == "image/png" and document.filename == "screenshot.png"
    stored = Path(app.config["UPLOAD_FOLDER"]) / document.storage_key
    assert stored.read_bytes() == PNG
    assert Path(app.static_folder) not in stored.parents
    download = councillor.get(f"/cases/{case.reference}/documents/{document.id}")
    assert download.status_code == 200 and download.data == PNG
    assert "attachment" in download.headers["Content-Disposition"]
    assert client_as("other-councillor").get(f"/cases/{case.reference}/documents/{document.id}").status_code == 404


def test_a_request_larger_than_the_cap_gets_the_file_too_large_page(database, tmp_path, ids):
    from tests.web.conftest import app_config
    from web.app import create_app

    app = create_app(app_config(database, tmp_path, MAX_CONTENT_LENGTH=1024))
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(ids["councillor"])
    response = client.post("/report/evidence", data={"evidence": (io.BytesIO(PNG * 100), "big.png")})
    assert response.status_code == 413 and "The file is too large" in response.get_data(as_text=True)


def test_people_who_may_not_report_are_refused(client_as):
    assert client_as("police-liaison").get("/report/danger").status_code == 403
    assert client_as("admin").post("/report/danger", data={"in_danger": "no"}).status_code == 403
