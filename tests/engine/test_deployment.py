"""Deploying diagrams: versions follow content, running cases stay on the version they started on, and a
dangerous or broken file is refused with a clear message before anything is stored."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from engine.deployment import Diagram
from engine.errors import DiagramInvalid, FormInvalid
from engine.models import AuditEvent, ProcessModelVersion, SpecBundle
from engine.spiff import MAX_DIAGRAM_BYTES


def stored(database) -> tuple[int, int, int]:
    with database.read() as session:
        return (session.scalar(select(func.count()).select_from(ProcessModelVersion)),
                session.scalar(select(func.count()).select_from(SpecBundle)),
                session.scalar(select(func.count()).select_from(AuditEvent)))


def renamed(diagram: Diagram, old: bytes, new: bytes) -> Diagram:
    assert old in diagram.content
    return Diagram(diagram.filename, diagram.content.replace(old, new), {})


def test_deploying_the_same_folder_twice_makes_no_new_version(service, shared_diagrams, tmp_path):
    folder = tmp_path / "diagrams"
    shutil.copytree(shared_diagrams, folder)
    [first] = service.deploy_folder(folder)
    [second] = service.deploy_folder(folder)
    assert (first.version, first.created) == (1, True)
    assert (second.version, second.created) == (1, False)
    assert [v.version for v in service.process_models()] == [1]

    (folder / "simple.bpmn").write_bytes((folder / "simple.bpmn").read_bytes()
                                        .replace(b'name="Review and close"', b'name="Review, then close"'))
    assert service.deploy_folder(folder)[0].version == 2

    form = folder / "forms" / "note.schema.json"
    form.write_text(form.read_text().replace('"maxLength": 2000', '"maxLength": 500'))
    assert service.deploy_folder(folder)[0].version == 3
    assert service.deploy_folder(folder)[0].created is False


def test_a_form_the_diagram_does_not_use_makes_no_new_version(deploy, forms):
    deploy("simple.bpmn")
    forms["unused.schema.json"] = {"type": "object"}
    assert deploy("simple.bpmn", forms=forms)[0].created is False


def test_running_cases_stay_on_their_version_and_new_cases_use_the_newest(deploy, diagram, forms, service, officer,
                                                                          probe, system):
    deploy("simple.bpmn")
    before = service.start("simple", {}, system)

    forms["triage.schema.json"]["required"] = ["severity", "advice_given"]
    v2 = renamed(diagram("simple.bpmn"), b'name="Review and close"', b'name="Review the case"')
    [deployed] = deploy(v2, forms=forms)
    assert deployed.version == 2
    after = service.start("simple", {}, system)

    assert probe.instance(before.instance_id).model_version_id != probe.instance(after.instance_id).model_version_id
    assert probe.instance(before.instance_id).spec_bundle_id != probe.instance(after.instance_id).spec_bundle_id

    # The old case keeps its old form (advice not required) and its old next step.
    service.claim(before.opened[0].id, officer)
    old_next = service.complete_task(before.opened[0].id, {"severity": "low"}, officer).opened[0]
    assert old_next.title == "Review and close"

    service.claim(after.opened[0].id, officer)
    with pytest.raises(FormInvalid) as refused:
        service.complete_task(after.opened[0].id, {"severity": "low"}, officer)
    assert refused.value.field == "advice_given"
    new_next = service.complete_task(after.opened[0].id, {"severity": "low", "advice_given": "Log it"}, officer)
    assert new_next.opened[0].title == "Review the case"


def test_a_called_process_change_reaches_new_callers_only(deploy, diagram, service, system):
    deploy("simple.bpmn", "caller.bpmn")
    before = service.start("caller", {}, system)
    deploy(renamed(diagram("simple.bpmn"), b'name="Acknowledge and triage"', b'name="Acknowledge"'))
    after = service.start("caller", {}, system)
    assert before.opened[0].title == "Acknowledge and triage"
    assert after.opened[0].title == "Acknowledge"


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="evil" isExecutable="true"><bpmn:documentation>&xxe;</bpmn:documentation></bpmn:process>
</bpmn:definitions>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="evil" isExecutable="true"><bpmn:documentation>&lol3;</bpmn:documentation></bpmn:process>
</bpmn:definitions>"""

LATE_DOCTYPE = b"<?xml version=\"1.0\"?>\n<!--" + b" " * 5000 + b"-->\n<!DOCTYPE definitions>\n" \
    + b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" />'


@pytest.mark.parametrize(("content", "message"), [
    (XXE, "Document type declarations and entities are not allowed"),
    (BILLION_LAUGHS, "Document type declarations and entities are not allowed"),
    (LATE_DOCTYPE, "Document type declarations"),
    (b"this is not a diagram", "This is not well-formed XML"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not well-formed XML"),
    (b"<?xml version='1.0'?><a>" + b"x" * (MAX_DIAGRAM_BYTES + 1) + b"</a>", "the limit is 2 MB"),
])
def test_unsafe_or_broken_files_are_refused_and_nothing_is_stored(deploy, database, content, message):
    deploy("simple.bpmn")
    before = stored(database)
    with pytest.raises(DiagramInvalid) as refused:
        deploy(Diagram("evil.bpmn", content, {}))
    [problem] = refused.value.problems
    assert problem.file == "evil.bpmn"
    assert message in problem.message
    assert stored(database) == before


def test_every_problem_in_a_diagram_is_reported_together(deploy, diagram, database):
    broken = renamed(diagram("simple.bpmn"), b'name="Police liaison"', b'name="Night shift"')
    broken = renamed(broken, b'value="note.schema.json"', b'value="missing.schema.json"')
    with pytest.raises(DiagramInvalid) as refused:
        deploy(broken)
    messages = [p.message for p in refused.value.problems]
    assert any('Lane "Night shift" has no role mapped' in m for m in messages)
    assert any("'missing.schema.json' does not exist" in m for m in messages)
    assert stored(database) == (0, 0, 0)


# --- expressions read what earlier steps set -----------------------------------------------------

def reading_note_at_the_gateway(diagram) -> Diagram:
    """Simple triage with its gateway asking about the note, which only the two tasks after it ask for."""
    return renamed(diagram("simple.bpmn"), b"severity in ('high', 'severe')", b"note == 'urgent'")


def test_a_gateway_reading_a_field_only_later_steps_set_is_refused(deploy, diagram, database):
    with pytest.raises(DiagramInvalid) as refused:
        deploy(reading_note_at_the_gateway(diagram))
    [problem] = refused.value.problems
    assert (problem.file, problem.element_id) == ("simple.bpmn", "gw")
    assert problem.message.startswith('The condition expression reads note, but no step before it sets note: '
                                      'only "Refer to police", "Review and close"')
    assert stored(database) == (0, 0, 0)


def test_a_due_date_reading_its_own_tasks_answer_is_refused(deploy, diagram):
    own_answer = renamed(diagram("simple.bpmn"), b"working_days(setting('triage_due_working_days'))",
                         b"working_days(1 if severity == 'high' else 5)")
    with pytest.raises(DiagramInvalid) as refused:
        deploy(own_answer)
    [problem] = refused.value.problems
    assert problem.element_id == "triage"
    assert 'The due date expression reads severity, but no step before it sets severity: only ' \
           '"Acknowledge and triage"' in problem.message


def with_due_date(diagram: Diagram, task_id: str, expression: str) -> Diagram:
    opening = f'<bpmn:userTask id="{task_id}" '.encode()
    at = diagram.content.index(b"<spiffworkflow:properties>", diagram.content.index(opening))
    property_line = f'<spiffworkflow:property name="dueAt" value="{expression}" />'.encode()
    content = diagram.content[:at] + b"<spiffworkflow:properties>" + property_line + \
        diagram.content[at + len(b"<spiffworkflow:properties>"):]
    return Diagram(diagram.filename, content, {})


def test_a_due_date_reading_a_field_only_one_branch_sets_is_refused(deploy, diagram, database):
    # A low-severity case goes straight to review, and a referral that runs out of time leaves through its
    # boundary timer: on both paths nothing has asked for the note when the review's due date is worked out.
    on_one_branch = with_due_date(diagram("simple.bpmn"), "review", "working_days(1 if note == 'urgent' else 5)")
    with pytest.raises(DiagramInvalid) as refused:
        deploy(on_one_branch)
    [problem] = refused.value.problems
    assert (problem.element_id, problem.element_name) == ("review", "Review and close")
    assert problem.message.startswith('The due date expression reads note, but a case can reach it without note '
                                      'being set: "Refer to police" set it on some paths to the expression, not on '
                                      'every one.')
    assert stored(database) == (0, 0, 0)


def test_a_field_every_branch_sets_may_be_read_after_the_branches_meet(deploy, diagram):
    # The same due date, with triage asking for the note too: every path to the review now passes it.
    every_branch = renamed(diagram("simple.bpmn"), b'value="triage.schema.json" />',
                           b'value="note.schema.json" />')
    every_branch = renamed(every_branch, b"severity in ('high', 'severe')", b"note == 'urgent'")
    every_branch = renamed(every_branch, b"working_days(setting('triage_due_working_days'))",
                           b"working_days(1)")
    [deployed] = deploy(every_branch)
    assert deployed.created


def test_a_field_one_parallel_branch_sets_may_be_read_after_the_branches_join(deploy, diagram):
    # Both branches run and the join waits for both, so the wellbeing check's answer is there by then.
    one_branch = renamed(diagram("parallel.bpmn"), b'name="Check on wellbeing">\n      <bpmn:extensionElements>\n'
                         b'        <spiffworkflow:properties>\n          <spiffworkflow:property '
                         b'name="formJsonSchemaFilename" value="note.schema.json" />',
                         b'name="Check on wellbeing">\n      <bpmn:extensionElements>\n'
                         b'        <spiffworkflow:properties>\n          <spiffworkflow:property '
                         b'name="formJsonSchemaFilename" value="triage.schema.json" />')
    [deployed] = deploy(with_due_date(one_branch, "summarise", "working_days(1 if severity == 'high' else 5)"))
    assert deployed.created


def test_an_expression_reading_what_its_loop_sets_only_later_round_is_refused(deploy, diagram, database):
    # The check-in's due date reads its own answer: the first check-in of every case would find none.
    first_time_round = with_due_date(diagram("loop.bpmn"), "check_in", "working_days(1 if again else 5)")
    with pytest.raises(DiagramInvalid) as refused:
        deploy(first_time_round)
    [problem] = refused.value.problems
    assert problem.element_id == "check_in"
    assert problem.message.startswith('The due date expression reads again, but no step before it sets again: '
                                      'only "Check in"')
    assert stored(database) == (0, 0, 0)


def test_a_field_another_process_sets_may_be_read_before_this_process_asks_it(deploy, diagram):
    # Check-in's form asks for a note too, and another process's answers may start a case (as a meeting
    # safety request starts a support case), so the note may be there before this process asks for it.
    [deployed, _loop] = deploy(reading_note_at_the_gateway(diagram), "loop.bpmn")
    assert deployed.created


def test_the_steps_of_a_subprocess_drawn_inside_a_process_are_checked_too(deploy, diagram, database):
    broken = renamed(diagram("embedded.bpmn"), b"severity in ('high', 'severe')", b"threat_level == 'high'")
    broken = renamed(broken, b'<bpmn:script>escalated = True</bpmn:script>', b'<bpmn:script>import os</bpmn:script>')
    with pytest.raises(DiagramInvalid) as refused:
        deploy(broken)
    found = {(p.file, p.element_id): p.message for p in refused.value.problems}
    assert set(found) == {("embedded.bpmn", "assess_gw"), ("embedded.bpmn", "escalate")}
    assert "reads threat_level, which no form, script or service task sets" in found["embedded.bpmn", "assess_gw"]
    assert stored(database) == (0, 0, 0)
