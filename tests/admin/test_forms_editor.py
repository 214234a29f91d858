"""The form editor's pages: an admin lists the task forms and the processes using each, changes a form's
JSON Schema and UI schema with a preview drawn as the task page draws it, keeps a draft, and publishes,
which makes new process versions. Every problem is named in the error summary with its line; only admins
get in."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from engine import drafts, form_versions
from engine.models import ProcessModelVersion
from tests.admin.conftest import FORMS

EDIT = "/admin/diagrams/forms/triage.schema.json"
PREVIEW = "/admin/diagrams/forms/preview"
TRIAGE = FORMS["triage.schema.json"]
ASKED = {  # a question with a label, a hint and radios, as the UI schema words them
    "type": "object",
    "properties": {"severity": {"title": "How severe is it?", "description": "Think about the threat to safety.",
                                "type": "string", "enum": ["low", "high"]}},
}
ASKED_UI = {"severity": {"ui:widget": "radios", "ui:enumNames": ["Not very", "Very"]}}


def text(value: object) -> str:
    return json.dumps(value, indent=2)


def send(client, url, schema, ui="", action="preview", **extra):
    return client.post(url, data={"form-schema": schema, "form-uischema": ui, "action": action, **extra})


def versions(service) -> dict[str, int]:
    with service.db.read() as session:
        return dict(session.execute(select(ProcessModelVersion.process_id, func.max(ProcessModelVersion.version))
                                    .group_by(ProcessModelVersion.process_id)).all())


@pytest.mark.parametrize(("method", "url"), [
    ("get", "/admin/diagrams/forms/"), ("get", EDIT), ("post", EDIT), ("get", "/admin/diagrams/forms/new"),
    ("post", "/admin/diagrams/forms/new"), ("post", PREVIEW),
])
def test_only_admins_may_use_the_form_editor(support_officer, deploy, method, url):
    deploy("v1")
    assert getattr(support_officer, method)(url, data={"form-schema": text(TRIAGE), "action": "publish"}) \
        .status_code == 403


def test_the_forms_are_listed_with_the_processes_that_use_them(admin, deploy):
    deploy("v1")
    page = admin.get("/admin/diagrams/forms/").get_data(as_text=True)
    assert "Acknowledge and triage" in page and "triage.schema.json" in page
    assert "Casework, version 1: Refer to police, Review and close" in page
    assert 'href="/admin/diagrams/forms/"' in admin.get("/admin/diagrams/").get_data(as_text=True)


def test_the_edit_page_says_which_processes_get_a_new_version(admin, deploy):
    deploy("v1")
    page = admin.get(EDIT).get_data(as_text=True)
    assert "Casework: version 2 (now version 1), for the tasks Acknowledge and triage" in page
    assert "How severe is it?" in page  # the preview, drawn as soon as the page opens


def test_the_preview_draws_the_question_as_the_task_page_does(admin, deploy):
    deploy("v1")
    response = admin.post(PREVIEW, data={"form-name": "triage.schema.json", "form-schema": text(ASKED),
                                         "form-uischema": text(ASKED_UI)})
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert 'class="govuk-fieldset__legend govuk-fieldset__legend--s"' in fragment
    assert "How severe is it?" in fragment and "Think about the threat to safety." in fragment
    assert fragment.count('class="govuk-radios__input"') == 2
    assert "Not very" in fragment and 'value="high"' in fragment


def test_without_javascript_preview_redraws_the_page(admin, deploy):
    deploy("v1")
    response = send(admin, EDIT, text(ASKED), text(ASKED_UI))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="form-preview"' in page and "Not very" in page and "Think about the threat to safety." in page


def test_invalid_json_is_reported_with_its_line_in_the_error_summary(admin, deploy):
    deploy("v1")
    response = send(admin, EDIT, '{\n  "type": "object",\n  "properties": {\n    "a": {"type": "string"},\n  }\n}')
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="govuk-error-summary"' in page
    assert '<a href="#form-schema">The JSON Schema, line 5: This is not valid JSON' in page


def test_a_metaschema_error_is_reported_with_its_question_and_line(admin, deploy):
    deploy("v1")
    page = send(admin, EDIT, '{\n  "type": "object",\n  "properties": {\n    "severity": {"type": "strin"}\n  }\n}') \
        .get_data(as_text=True)
    assert "The JSON Schema, line 4, question “severity”: &#34;strin&#34; is not a type." in page


def test_an_unsupported_construct_in_the_ui_schema_points_at_that_box(admin, deploy):
    deploy("v1")
    page = send(admin, EDIT, text(ASKED), '{\n  "severity": {"ui:widget": "slider"}\n}').get_data(as_text=True)
    assert '<a href="#form-uischema">The UI schema, line 2, question “severity”: There is no widget called ' \
           "&#34;slider&#34;" in page


def test_publishing_makes_new_versions_of_the_processes_using_the_form(admin, service, deploy):
    deploy("v1")
    digest = form_versions.read_form(service, "triage.schema.json").digest
    response = send(admin, EDIT, text({**TRIAGE, "title": "Triage the report"}), action="publish", digest=digest)
    assert response.status_code == 302 and response.headers["Location"] == EDIT
    page = admin.get(EDIT).get_data(as_text=True)
    assert "New process versions: Casework version 2" in page
    assert versions(service) == {"casework": 2}
    assert form_versions.read_form(service, "triage.schema.json").schema["title"] == "Triage the report"


def test_a_change_that_breaks_a_diagram_is_refused_and_nothing_is_stored(admin, service, deploy):
    deploy("v1")
    digest = form_versions.read_form(service, "triage.schema.json").digest
    broken = {**TRIAGE, "properties": {"advice_given": TRIAGE["properties"]["advice_given"]}, "required": []}
    response = send(admin, EDIT, text(broken), action="publish", digest=digest)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "casework.bpmn would break: casework.bpmn gw: The condition expression reads severity" in page
    assert versions(service) == {"casework": 1}
    assert form_versions.read_form(service, "triage.schema.json").schema == TRIAGE


def test_publishing_over_a_newer_version_is_refused(admin, service, deploy):
    deploy("v1")
    response = send(admin, EDIT, text(TRIAGE), action="publish", digest="an older copy")
    assert response.status_code == 409
    assert "Someone else published this form after you opened it" in response.get_data(as_text=True)


@pytest.mark.parametrize(("schema", "says"), [
    ('{"description": "' + "x" * (300 * 1024) + '"}', "a form may be at most 256 KB"),
    ('{"a": ' * 30 + "1" + "}" * 30, "nested too deeply: at most 20"),
    ("[1, 2, 3]", "must be a JSON object"),
])
def test_oversized_deep_and_non_object_json_is_refused_clearly(admin, deploy, schema, says):
    deploy("v1")
    response = send(admin, EDIT, schema, action="publish")
    assert response.status_code == 422 and says in response.get_data(as_text=True)


def test_a_body_too_large_to_read_is_refused_with_a_message(admin, deploy):
    deploy("v1")
    response = send(admin, EDIT, "x" * (700 * 1024), action="publish")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "may each be at most 256 KB" in page and "Traceback" not in page


def test_a_new_form_is_published_for_diagrams_to_use(admin, service, deploy):
    deploy("v1")
    assert admin.get("/admin/diagrams/forms/new").status_code == 200
    response = send(admin, "/admin/diagrams/forms/new", text(ASKED), text(ASKED_UI), action="publish",
                    **{"form-name": "risk_check.schema.json"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/diagrams/forms/risk_check.schema.json"
    listed = admin.get("/admin/diagrams/forms/").get_data(as_text=True)
    assert "risk_check.schema.json" in listed and "No diagram uses it yet" in listed
    assert form_versions.read_form(service, "risk_check.schema.json").ui_schema == ASKED_UI
    assert versions(service) == {"casework": 1}


@pytest.mark.parametrize(("name", "status", "says"), [
    ("Risk Check.json", 422, "ending in .schema.json"),
    ("triage.schema.json", 409, "A form called &#39;triage.schema.json&#39; already exists"),
])
def test_a_new_form_needs_a_new_safe_name(admin, deploy, name, status, says):
    deploy("v1")
    response = send(admin, "/admin/diagrams/forms/new", text(ASKED), action="publish", **{"form-name": name})
    page = response.get_data(as_text=True)
    assert response.status_code == status and says in page and 'href="#form-name"' in page


def test_a_draft_reopens_in_the_editor_and_publishing_discards_it(admin, service, deploy):
    deploy("v1")
    unfinished = '{\n  "type": "object",\n  "properties": {'
    response = send(admin, EDIT, unfinished, action="save-draft", draft_version="0")
    assert response.status_code == 302 and response.headers["Location"] == EDIT
    page = admin.get(EDIT).get_data(as_text=True)
    assert "You are editing a draft saved on" in page and "by admin" in page
    assert "&#34;properties&#34;: {</textarea>" in page  # kept as typed, problems and all
    assert versions(service) == {"casework": 1}
    assert "Draft saved" in admin.get("/admin/diagrams/forms/").get_data(as_text=True)

    digest = form_versions.read_form(service, "triage.schema.json").digest
    send(admin, EDIT, text({**TRIAGE, "title": "Triage"}), action="publish", digest=digest)
    assert drafts.draft(service, drafts.FORM, "triage.schema.json") is None
    assert "You are editing a draft" not in admin.get(EDIT).get_data(as_text=True)


def test_a_draft_saved_over_a_newer_one_is_refused(admin, service, deploy):
    deploy("v1")
    send(admin, EDIT, text(TRIAGE), action="save-draft", draft_version="0")
    response = send(admin, EDIT, "{}", action="save-draft", draft_version="0")
    assert response.status_code == 409 and "Someone else saved this draft" in response.get_data(as_text=True)


def test_a_new_forms_draft_is_listed_and_can_be_discarded(admin, service, deploy):
    deploy("v1")
    send(admin, "/admin/diagrams/forms/new", text(ASKED), action="save-draft", draft_version="0",
         **{"form-name": "risk_check.schema.json"})
    assert "Drafts of new forms" in admin.get("/admin/diagrams/forms/").get_data(as_text=True)
    response = send(admin, "/admin/diagrams/forms/risk_check.schema.json", "", action="discard-draft")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/diagrams/forms/"
    assert admin.get("/admin/diagrams/forms/risk_check.schema.json").status_code == 404


def test_a_whole_number_scale_is_previewed_as_radios(admin, deploy):
    deploy("v1")
    score = {"type": "object", "properties": {"score": {"title": "How are you doing?", "type": "integer",
                                                        "minimum": 1, "maximum": 5}}}
    fragment = admin.post(PREVIEW, data={"form-schema": text(score), "form-uischema": text(
        {"score": {"ui:widget": "radios"}})}).get_data(as_text=True)
    assert fragment.count('class="govuk-radios__input"') == 5 and 'value="5"' in fragment


def test_an_email_question_is_an_email_box_and_an_empty_long_answer_is_empty(admin, deploy):
    deploy("v1")
    schema = {"type": "object", "properties": {
        "contact": {"title": "Councillor's email", "type": "string", "format": "email"},
        "details": {"title": "What happened?", "type": "string"}}}
    fragment = admin.post(PREVIEW, data={"form-schema": text(schema), "form-uischema": text(
        {"details": {"ui:widget": "textarea"}})}).get_data(as_text=True)
    assert 'type="email"' in fragment and 'autocomplete="email"' in fragment and 'spellcheck="false"' in fragment
    textarea = fragment[fragment.index("<textarea"):fragment.index("</textarea>")]
    assert "None" not in textarea
