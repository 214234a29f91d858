"""Scripts and conditions in a deployed diagram cannot reach the server: an escape is refused when the
diagram is deployed if it can be seen then, and otherwise stopped while running with the case untouched."""

from __future__ import annotations

import pytest

from engine.errors import DiagramInvalid, ScriptError


@pytest.mark.parametrize(("script", "message"), [
    ("outcome = __import__('os').getcwd()", "Refused by the script sandbox"),
    ("outcome = ().__class__.__mro__", "Refused by the script sandbox"),
    ("import os\noutcome = 'file'", "Imports are not allowed"),
    ("try:\n    outcome = 'file'\nexcept:\n    outcome = 'file'", "Only these errors may be caught"),
])
def test_deploying_a_script_that_escapes_is_refused_naming_the_element(deploy, guarded, service, script, message):
    with pytest.raises(DiagramInvalid) as refused:
        deploy(guarded(script=script))
    [problem] = refused.value.problems
    assert (problem.file, problem.element_id, problem.element_name) == ("guarded.bpmn", "guarded_script", "Decide")
    assert message in problem.message
    assert service.process_models() == []


def test_deploying_a_condition_that_escapes_is_refused_naming_the_element(deploy, guarded, service):
    with pytest.raises(DiagramInvalid) as refused:
        deploy(guarded(condition="().__class__.__base__ is None"))
    [problem] = refused.value.problems
    assert problem.element_id == "gw"
    assert "condition expression is refused" in problem.message
    assert service.process_models() == []


@pytest.mark.parametrize(("script", "condition", "message"), [
    ("outcome = 'file'\nwhile True:\n    pass", "outcome == 'escalate'", "ran for more than"),
    ("outcome = 10**10**8", "outcome == 'escalate'", "A power that large"),
    ("outcome = 'a' * 10**10", "outcome == 'escalate'", "more than 1,000,000 items"),
    ("outcome = open('/etc/passwd').read()", "outcome == 'escalate'", "NameError"),
    ("outcome = 'file'", "'a' * 10**10 == outcome", "more than 1,000,000 items"),
    ("outcome = 'file'", "10**10**8 > len(outcome)", "A power that large"),
    ("outcome = 'file'", "len([i for i in range(10**6) for j in range(10**6)]) > 0", "ran for more than"),
])
def test_an_escape_at_run_time_raises_a_script_error_and_leaves_the_case_as_it_was(
        deploy, guarded, service, officer, probe, system, script, condition, message):
    deploy(guarded(script=script, condition=condition))
    started = service.start("guarded", {}, system)
    prepare = started.opened[0]
    service.claim(prepare.id, officer)
    before = probe.snapshot(started.instance_id)

    with pytest.raises(ScriptError) as stopped:
        service.complete_task(prepare.id, {"note": "ready"}, officer)

    assert message in stopped.value.message
    assert stopped.value.status == 422
    assert probe.snapshot(started.instance_id) == before
    assert probe.open_task(started.instance_id).spec_name == "prepare"


def test_a_legitimate_script_and_condition_route_the_case(deploy, guarded, service, officer, probe, system):
    deploy(guarded())
    started = service.start("guarded", {}, system)
    prepare = started.opened[0]
    service.claim(prepare.id, officer)
    after = service.complete_task(prepare.id, {"note": "Threat repeated"}, officer)
    assert [t.spec_name for t in after.opened] == ["escalate"]
    assert service.instance_data(started.instance_id)["outcome"] == "escalate"


def test_a_restored_workflow_runs_its_scripts_in_the_sandbox(deploy, guarded, service, officer, system):
    """SpiffWorkflow gives a restored workflow an unrestricted engine; ours must be attached on every load.
    `open` exists in plain Python, so reaching it would mean the sandbox was bypassed."""
    deploy(guarded(script="outcome = str(open)"))
    started = service.start("guarded", {}, system)
    prepare = started.opened[0]
    service.claim(prepare.id, officer)
    with pytest.raises(ScriptError, match="NameError"):
        service.complete_task(prepare.id, {"note": "x"}, officer)
