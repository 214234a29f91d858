"""Task forms as an admin changes them: which processes use each form, checking a proposed form (its JSON,
the JSON Schema metaschema, and what the task page can show), and publishing it as new process versions
through the deploy validator, with running cases left on the form they started with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import drafts, form_versions
from engine.deployment import Diagram
from engine.errors import Conflict, DiagramInvalid, EngineError
from engine.form_versions import MAX_FORM_BYTES, MAX_FORM_DEPTH, check_form, publish_form
from engine.forms import rendering_problems
from engine.models import AuditEvent, Instance, ProcessModelVersion, UnusedForm
from tests.admin.conftest import DIAGRAMS, FORMS

BUNDLED_FORMS = Path(__file__).resolve().parents[2] / "bpmn" / "forms"
TRIAGE = FORMS["triage.schema.json"]
NOTE = FORMS["note.schema.json"]


def text(value: object) -> str:
    return json.dumps(value, indent=2)


def without_severity() -> dict:
    changed = json.loads(json.dumps(TRIAGE))
    del changed["properties"]["severity"]
    changed["required"] = []
    return changed


@pytest.fixture
def deployed(service, system):
    """Casework (triage and note forms) and Drawn (note form only), each at version 1."""
    casework = Diagram("casework.bpmn", (DIAGRAMS / "v1" / "casework.bpmn").read_bytes(), {})
    drawn = Diagram("drawn.bpmn", (DIAGRAMS / "drawn" / "drawn.bpmn").read_bytes(), {})
    service.deploy([casework, drawn], FORMS, system)
    return service


def latest(service) -> dict[str, int]:
    with service.db.read() as session:
        return dict(session.execute(select(ProcessModelVersion.process_id, func.max(ProcessModelVersion.version))
                                    .group_by(ProcessModelVersion.process_id)).all())


def problems_of(schema_text: str, ui_text: str = "") -> list[tuple[str, int | None, str, str]]:
    checked = check_form("triage.schema.json", schema_text, ui_text)
    return [(p.file, p.line, p.element_name, p.message) for p in checked.problems]


# --- what uses which form ------------------------------------------------------------------------

def test_each_form_is_listed_with_the_processes_and_tasks_that_use_it(deployed):
    listed = {f.name: f for f in form_versions.forms_in_use(deployed)}
    assert set(listed) == {"note.schema.json", "triage.schema.json"}
    assert listed["triage.schema.json"].title == "Acknowledge and triage"
    assert [(p.process_id, p.version, p.tasks) for p in listed["triage.schema.json"].processes] == [
        ("casework", 1, ("Acknowledge and triage",))]
    assert [(p.process_id, p.tasks) for p in listed["note.schema.json"].processes] == [
        ("casework", ("Refer to police", "Review and close")), ("drawn", ("Review and close",))]


def test_a_form_that_does_not_exist_is_not_found(deployed):
    with pytest.raises(EngineError) as missing:
        form_versions.read_form(deployed, "nothing.schema.json")
    assert missing.value.status == 404


# --- checking ------------------------------------------------------------------------------------

def test_invalid_json_is_reported_with_its_line():
    ((file, line, _question, message),) = problems_of('{\n  "type": "object",\n  "properties": {,}\n}')
    assert (file, line) == ("triage.schema.json", 3)
    assert message.startswith("This is not valid JSON: Expecting property name")


def test_a_metaschema_error_names_the_question_and_its_line():
    schema = '{\n  "type": "object",\n  "properties": {\n    "severity": {"type": "strin"}\n  }\n}'
    assert problems_of(schema) == [("triage.schema.json", 4, "severity", '"strin" is not a type. Use one of: '
                                    "string, integer, number, boolean, array, object.")]


@pytest.mark.parametrize(("schema", "ui", "question", "says"), [
    ({"properties": {"address": {"type": "object", "properties": {"street": {"type": "string"}}}}}, {},
     "address", 'cannot be of type "object"'),
    ({"properties": {"who": {"$ref": "#/$defs/person"}}}, {}, "who", "cannot show “$ref”"),
    ({"properties": {"when": {"type": "string"}}}, {"when": {"ui:widget": "calendar"}}, "when",
     'There is no widget called "calendar"'),
    ({"properties": {"level": {"type": "string"}}}, {"level": {"ui:widget": "radios"}}, "level", "needs choices"),
    ({"properties": {"tags": {"type": "array", "items": {"type": "string"}}}}, {}, "tags", "list the choices"),
    ({"properties": {"secret": {"type": "string"}}, "required": ["secret"]}, {"secret": {"ui:widget": "hidden"}},
     "", "required but hidden"),
    ({"properties": {"note": {"type": "string"}}}, {"note": {"ui:placeholder": "Type here"}}, "note",
     "does not use “ui:placeholder”"),
    ({"properties": {"two words": {"type": "string"}}}, {}, "two words", "cannot be used"),
    ({"properties": {"note": {"type": "string"}}}, {"ui:order": ["note", "extra"]}, "", "names “extra”"),
])
def test_what_the_task_page_cannot_show_is_reported(schema, ui, question, says):
    ((_file, _line, named, message),) = problems_of(text({"type": "object", **schema}), text(ui))
    assert named == question and says in message


def test_a_whole_number_scale_is_a_set_of_choices():
    schema = {"type": "object", "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5}}}
    assert rendering_problems(schema, {"score": {"ui:widget": "radios"}}) == []


def test_the_task_page_can_show_every_bundled_form():
    found = {}
    for path in sorted(BUNDLED_FORMS.glob("*.schema.json")):
        ui_path = path.with_name(form_versions.ui_name_for(path.name))
        ui_text = ui_path.read_text() if ui_path.exists() else ""
        checked = check_form(path.name, path.read_text(), ui_text)
        if checked.problems:
            found[path.name] = [p.message for p in checked.problems]
    assert found == {}


def test_an_email_question_must_be_text():
    schema = {"type": "object", "properties": {"contact": {"type": "integer"}}}
    assert [i.message for i in rendering_problems(schema, {"contact": {"ui:widget": "email"}})] == [
        "An email address is text: make “contact” \"type\": \"string\"."]


@pytest.mark.parametrize(("schema_text", "says"), [
    ('{"description": "' + "x" * MAX_FORM_BYTES + '"}', "a form may be at most 256 KB"),
    ("[" * 10_000 + "]" * 10_000, "nested too deeply"),
    ('{"a": ' * (MAX_FORM_DEPTH + 1) + "1" + "}" * (MAX_FORM_DEPTH + 1), "nested too deeply"),
    ('["a list", "not an object"]', "must be a JSON object"),
    ('{"type": "object", "maximum": NaN}', "NaN is not a JSON number"),
    ('{"type": "object",\n "type": "object"}', "“type” is given twice"),
    ("  ", "Enter the form's JSON Schema"),
    ('{"title": "a\\u0000b"}', "cannot contain \\u0000"),
])
def test_oversized_deep_and_odd_json_is_refused_with_a_clear_message(schema_text, says):
    checked = check_form("triage.schema.json", schema_text, "")
    assert checked.schema is None and not checked.previewable
    assert says in checked.problems[0].message


# --- publishing ----------------------------------------------------------------------------------

def test_publishing_makes_a_new_version_of_exactly_the_processes_using_the_form(deployed, system):
    running = deployed.start("casework", {}, system)
    changed = {**TRIAGE, "title": "Triage the report"}
    changed["properties"] = {**TRIAGE["properties"], "advice_given": {"title": "What did you advise?",
                                                                      "type": "string", "maxLength": 2000}}

    published = publish_form(deployed, "triage.schema.json", text(changed), "", system)

    assert [(d.process_id, d.version, d.created) for d in published.deployed] == [("casework", 2, True)]
    assert latest(deployed) == {"casework": 2, "drawn": 1}
    # The running case keeps its version and the form it started with; a new case gets the new one.
    _row, old_form, _ui = deployed.task(running.opened[0].id, system)
    assert old_form["properties"]["advice_given"]["title"] == "Advice given"
    with deployed.db.read() as session:
        assert session.get(Instance, running.instance_id).model_version_id == 1
    started = deployed.start("casework", {}, system)
    assert deployed.task(started.opened[0].id, system)[1]["properties"]["advice_given"]["title"] == \
        "What did you advise?"
    with deployed.db.read() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "form.published"))
    assert event.detail == {"name": "triage.schema.json", "versions": [{"process_id": "casework", "version": 2}]}


def test_a_form_two_processes_use_gives_both_a_new_version(deployed, system):
    publish_form(deployed, "note.schema.json", text({**NOTE, "title": "A note"}), "", system)
    assert latest(deployed) == {"casework": 2, "drawn": 2}


def test_a_form_change_that_breaks_a_diagram_is_refused_and_nothing_is_stored(deployed, system):
    with deployed.db.read() as session:
        events = session.scalar(select(func.count()).select_from(AuditEvent))

    with pytest.raises(DiagramInvalid) as refused:
        publish_form(deployed, "triage.schema.json", text(without_severity()), "", system)

    (problem,) = refused.value.problems
    assert (problem.file, problem.element_id) == ("casework.bpmn", "gw")
    assert "reads severity, which no form" in problem.message
    assert latest(deployed) == {"casework": 1, "drawn": 1}
    with deployed.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_a_form_with_problems_is_refused_before_anything_is_deployed(deployed, system):
    with pytest.raises(DiagramInvalid) as refused:
        publish_form(deployed, "triage.schema.json", '{"type": "object", "properties": {"a": {"type": "strin"}}}',
                     "", system)
    assert refused.value.problems[0].element_name == "a"
    assert latest(deployed) == {"casework": 1, "drawn": 1}


def test_a_ui_schema_no_task_names_is_refused(deployed, system):
    with pytest.raises(DiagramInvalid) as refused:
        publish_form(deployed, "triage.schema.json", text(TRIAGE), text({"severity": {"ui:widget": "select"}}),
                     system)
    assert "No task that shows this form names a UI schema" in refused.value.problems[0].message


def test_publishing_over_someone_elses_change_is_refused(deployed, system):
    opened = form_versions.read_form(deployed, "triage.schema.json").digest
    publish_form(deployed, "triage.schema.json", text({**TRIAGE, "title": "Theirs"}), "", system,
                 expected_digest=opened)
    with pytest.raises(Conflict):
        publish_form(deployed, "triage.schema.json", text({**TRIAGE, "title": "Mine"}), "", system,
                     expected_digest=opened)
    assert form_versions.read_form(deployed, "triage.schema.json").schema["title"] == "Theirs"


def test_a_new_form_is_kept_for_diagrams_until_one_names_it(deployed, system):
    check_in = {"type": "object", "properties": {"feeling": {"title": "How are you?", "type": "string"}}}
    assert publish_form(deployed, "check_in.schema.json", text(check_in), "", system, new=True).deployed == []

    listed = {f.name: f for f in form_versions.forms_in_use(deployed)}
    assert listed["check_in.schema.json"].processes == []
    assert form_versions.read_form(deployed, "check_in.schema.json").schema == check_in
    with deployed.db.read() as session:
        assert form_versions.available_forms(session)["check_in.schema.json"] == check_in
    assert latest(deployed) == {"casework": 1, "drawn": 1}
    with pytest.raises(Conflict):  # "New form" never replaces one that exists
        publish_form(deployed, "check_in.schema.json", text(check_in), "", system, new=True)
    with pytest.raises(Conflict):
        publish_form(deployed, "triage.schema.json", text(TRIAGE), "", system, new=True)


@pytest.mark.parametrize("name", ["Check In.schema.json", "../triage.schema.json", "triage.json", ""])
def test_a_new_form_needs_a_safe_file_name(deployed, system, name):
    with pytest.raises(EngineError) as refused:
        publish_form(deployed, name, text(NOTE), "", system, new=True)
    assert refused.value.field == "name"
    with deployed.db.read() as session:
        assert session.scalar(select(func.count()).select_from(UnusedForm)) == 0


def test_publishing_removes_the_forms_draft(deployed, system):
    drafts.save_draft(deployed, drafts.FORM, "triage.schema.json", json.dumps({"schema": "{", "uischema": ""}),
                      system)
    publish_form(deployed, "triage.schema.json", text({**TRIAGE, "title": "Triage"}), "", system)
    assert drafts.draft(deployed, drafts.FORM, "triage.schema.json") is None


def test_a_diagram_can_name_a_new_form_and_be_deployed_from_the_editor(deployed, system):
    from engine import versions

    check_in = {"type": "object", "properties": {"feeling": {"title": "How are you?", "type": "string"}}}
    publish_form(deployed, "check_in.schema.json", text(check_in), "", system, new=True)
    xml = (DIAGRAMS / "drawn" / "drawn.bpmn").read_bytes().replace(b"note.schema.json", b"check_in.schema.json")
    assert versions.check_draft(deployed, "drawn.bpmn", xml) == []
    versions.deploy_draft(deployed, "drawn.bpmn", xml, system)
    started = deployed.start("drawn", {}, system)
    assert deployed.task(started.opened[0].id, system)[1] == check_in
    assert "check_in.schema.json" in form_versions.form_names(deployed)


# --- a start event's form: the questions asked before a process starts ------------------------------

def asking(form: str) -> Diagram:
    """Drawn, its start event asking `form` before it starts."""
    xml = (DIAGRAMS / "drawn" / "drawn.bpmn").read_text().replace(
        '<bpmn:startEvent id="start" />',
        '<bpmn:startEvent id="start" name="Asked first"><bpmn:extensionElements><spiffworkflow:properties>'
        f'<spiffworkflow:property name="formJsonSchemaFilename" value="{form}" />'
        "</spiffworkflow:properties></bpmn:extensionElements></bpmn:startEvent>")
    assert "Asked first" in xml
    return Diagram("drawn.bpmn", xml.encode(), {})


def test_a_start_events_form_is_listed_published_and_read_as_the_latest_versions(deployed, system):
    assert form_versions.start_form(deployed, "drawn") is None  # its start event asks nothing
    deployed.deploy([asking("triage.schema.json")], FORMS, system)
    assert form_versions.start_form(deployed, "drawn") == (TRIAGE, {})
    uses = {(u.process_id, u.task_name) for u in form_versions.read_form(deployed, "triage.schema.json").uses}
    assert ("drawn", "Asked first") in uses

    publish_form(deployed, "triage.schema.json", text({**TRIAGE, "title": "Before we start"}), "", system)

    assert latest(deployed) == {"casework": 2, "drawn": 3}
    assert form_versions.start_form(deployed, "drawn")[0]["title"] == "Before we start"
    assert form_versions.start_form(deployed, "no-such-process") is None


def test_a_start_event_naming_a_form_that_does_not_exist_is_refused(deployed, system):
    with pytest.raises(DiagramInvalid) as refused:
        deployed.deploy([asking("missing.schema.json")], FORMS, system)
    (problem,) = refused.value.problems
    assert (problem.element_id, problem.message) == ("start", "The form 'missing.schema.json' does not exist.")
    assert latest(deployed) == {"casework": 1, "drawn": 1}


def test_a_forms_questions_keep_the_order_they_were_written_in(deployed, system):
    # No "ui:order": the schema's own order is the order the task page asks in, on both databases.
    questions = {"zeta": {"title": "Asked first", "type": "string"},
                 "alpha": {"title": "Asked second", "type": "string"},
                 "advice_given": {"title": "Asked third", "type": "string"}}
    publish_form(deployed, "check_in.schema.json", text({"type": "object", "properties": questions}), "", system,
                 new=True)
    assert list(form_versions.read_form(deployed, "check_in.schema.json").schema["properties"]) == list(questions)

    changed = {"properties": {**questions, **TRIAGE["properties"]}, "type": "object", "title": "Triage"}
    publish_form(deployed, "triage.schema.json", text(changed), "", system)
    started = deployed.start("casework", {}, system)
    form = deployed.task(started.opened[0].id, system)[1]
    assert list(form) == ["properties", "type", "title"]
    assert list(form["properties"]) == list(changed["properties"])
