"""Drafts: an admin saves a diagram that is not ready, reopens it later, and deploying it (or discarding it)
removes it. A draft may have problems, but it is never stored unsafe, and it never runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import drafts
from engine.errors import Conflict, EngineError
from tests.admin.test_diagram_pages import LANE_WITHOUT_ROLE, version_count

DIAGRAMS = Path(__file__).parent / "diagrams"
V2 = (DIAGRAMS / "v2" / "casework.bpmn").read_text()


def save(client, xml, filename="casework.bpmn", **extra):
    return client.post("/admin/diagrams/drafts", json={"filename": filename, "xml": xml, **extra})


def test_a_diagram_with_problems_is_kept_as_a_draft_and_reopens_in_the_editor(admin, service, deploy):
    deploy("v1")
    response = save(admin, LANE_WITHOUT_ROLE)
    assert response.status_code == 200
    saved = response.get_json()["saved"]
    assert saved["name"] == "casework.bpmn" and saved["version"] == 1
    assert version_count(service) == 1  # saved, not deployed
    listed = admin.get("/admin/diagrams/").get_data(as_text=True)
    assert "casework.bpmn" in listed and "admin" in listed
    editor = admin.get(saved["url"])
    assert editor.status_code == 200
    assert admin.get("/admin/diagrams/drafts/casework.bpmn").get_data(as_text=True) == LANE_WITHOUT_ROLE


def test_saving_again_replaces_the_draft_and_a_save_over_an_older_copy_is_refused(admin, service):
    assert save(admin, LANE_WITHOUT_ROLE).get_json()["saved"]["version"] == 1
    assert save(admin, V2, version=1).get_json()["saved"]["version"] == 2
    stale = save(admin, LANE_WITHOUT_ROLE, version=1)
    assert stale.status_code == 409
    assert stale.get_json()["problems"][0]["field"] == "version"
    assert drafts.draft(service, drafts.DIAGRAM, "casework.bpmn").content == V2


def test_deploying_a_draft_removes_it(admin, service, deploy):
    deploy("v1")
    save(admin, V2)
    assert admin.post("/admin/diagrams/deploy", json={"filename": "casework.bpmn", "xml": V2}).status_code == 200
    assert drafts.drafts(service, drafts.DIAGRAM) == []
    assert admin.get("/admin/diagrams/editor?draft=casework.bpmn").status_code == 404


def test_a_refused_deploy_keeps_the_draft(admin, service, deploy):
    deploy("v1")
    save(admin, LANE_WITHOUT_ROLE)
    refused = admin.post("/admin/diagrams/deploy", json={"filename": "casework.bpmn", "xml": LANE_WITHOUT_ROLE})
    assert refused.status_code == 422
    assert [d.name for d in drafts.drafts(service, drafts.DIAGRAM)] == ["casework.bpmn"]


def test_discarding_a_draft_removes_it_and_says_so(admin, service):
    save(admin, V2)
    response = admin.post("/admin/diagrams/drafts/casework.bpmn/discard", follow_redirects=True)
    assert "The draft casework.bpmn was discarded." in response.get_data(as_text=True)
    assert drafts.drafts(service, drafts.DIAGRAM) == []
    again = admin.post("/admin/diagrams/drafts/casework.bpmn/discard")
    assert again.status_code == 404


@pytest.mark.parametrize(("xml", "filename", "field", "message"), [
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "casework.bpmn", "diagram",
     "Document type declarations"),
    ("<definitions><process></definitions>", "casework.bpmn", "diagram", "not well-formed XML"),
    (V2, "../casework.bpmn.exe", "filename", "must end in .bpmn"),
    ("", "casework.bpmn", "diagram", "The diagram is empty."),
])
def test_unsafe_or_unreadable_drafts_are_refused_with_the_reason_and_nothing_stored(admin, service, xml, filename,
                                                                                   field, message):
    response = save(admin, xml, filename=filename)
    assert response.status_code in (413, 422)
    problem = response.get_json()["problems"][0]
    assert problem["field"] == field and message in problem["message"]
    assert drafts.drafts(service, drafts.DIAGRAM) == []


def test_a_draft_version_that_is_not_a_number_is_refused(admin, service):
    response = save(admin, V2, version="one")
    assert response.status_code == 422 and response.get_json()["problems"][0]["field"] == "version"


def test_only_admins_may_save_or_open_drafts(support_officer, service, system):
    drafts.save_draft(service, drafts.DIAGRAM, "casework.bpmn", V2, system)
    assert save(support_officer, V2).status_code == 403
    assert support_officer.get("/admin/diagrams/drafts/casework.bpmn").status_code == 403
    assert support_officer.get("/admin/diagrams/editor?draft=casework.bpmn").status_code == 403


def test_form_drafts_must_be_json_and_are_kept_apart_from_diagram_drafts(service, system):
    with pytest.raises(EngineError, match="not valid JSON"):
        drafts.save_draft(service, drafts.FORM, "note.schema.json", "{", system)
    drafts.save_draft(service, drafts.FORM, "note.schema.json", '{"schema": {}}', system)
    assert drafts.drafts(service, drafts.DIAGRAM) == []
    assert [d.name for d in drafts.drafts(service, drafts.FORM)] == ["note.schema.json"]


def test_saves_and_discards_are_in_the_audit_log(service, system):
    drafts.save_draft(service, drafts.DIAGRAM, "casework.bpmn", V2, system)
    drafts.discard_draft(service, drafts.DIAGRAM, "casework.bpmn", system)
    actions = [event.action for event in service.history()]
    assert actions[-2:] == ["draft_saved", "draft_discarded"]
    assert service.verify_audit().intact
    with pytest.raises(Conflict):
        drafts.save_draft(service, drafts.DIAGRAM, "casework.bpmn", V2, system, expected_version=3)
