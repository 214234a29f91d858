"""Instances are stored durably: what one service wrote, a fresh service over a fresh connection sees, and
the inbox projection follows every step."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from engine.db import Database
from engine.errors import Conflict, Forbidden, FormInvalid
from engine.service import TaskQuery, WorkflowService
from processes import CATALOGUE

# Friday 1 May 2026, 14:00 in London (BST). Monday 4 May is the Early May bank holiday.
FRIDAY_BEFORE_BANK_HOLIDAY = datetime(2026, 5, 1, 13, 0, tzinfo=UTC)
TUESDAY_AFTER_BANK_HOLIDAY = datetime(2026, 5, 5, 13, 0, tzinfo=UTC)


def fresh_service(database: Database) -> WorkflowService:
    """A new service over a new Database object to the same URL: nothing is shared in memory but caches."""
    return WorkflowService(Database(database.url.render_as_string(hide_password=False)), CATALOGUE)


def test_completed_task_survives_a_restart(service, database, deploy, officer, probe, system):
    deploy("simple.bpmn")
    started = service.start("simple", {"reported_by": "Cllr Example"}, system)
    triage = started.opened[0]
    service.claim(triage.id, officer)
    after = service.complete_task(triage.id, {"severity": "low", "advice_given": "Keep a log."}, officer)
    assert [t.spec_name for t in after.opened] == ["review"]

    restarted = fresh_service(database)
    try:
        data = restarted.instance_data(started.instance_id)
        assert data["severity"] == "low"
        assert data["advice_given"] == "Keep a log."
        assert data["reported_by"] == "Cllr Example"
        inbox = restarted.tasks(TaskQuery(scope="claimable"), officer)
        assert [t.id for t in inbox.tasks] == [after.opened[0].id]

        restarted.claim(after.opened[0].id, officer)
        done = restarted.complete_task(after.opened[0].id, {"note": "Closed."}, officer)
        assert done.completed
        instance = restarted.instance(started.instance_id)
        assert instance.status == "completed"
        assert instance.completed_at is not None
        assert instance.next_wake_at is None
        assert [t.status for t in probe.tasks(started.instance_id)] == ["completed", "completed"]
        assert restarted.instance_data(started.instance_id)["note"] == "Closed."
    finally:
        restarted.db.dispose()


def test_instance_state_keeps_specs_out_and_is_plain_json(service, deploy, system, probe):
    deploy("simple.bpmn", "caller.bpmn")
    started = service.start("caller", {}, system)
    state = probe.instance(started.instance_id).state
    assert "spec" not in state
    assert "subprocess_specs" not in state
    [subprocess] = state["subprocesses"].values()
    assert subprocess["spec"] == "simple"  # the called process's name, not its spec
    text = json.dumps(state)
    assert "task_specs" not in text
    assert json.loads(text) == state


def test_task_projection_records_completion_and_a_bank_holiday_aware_due_date(service, deploy, officer, probe,
                                                                               system):
    deploy("simple.bpmn")
    with time_machine.travel(FRIDAY_BEFORE_BANK_HOLIDAY, tick=False):
        started = service.start("simple", {}, system)
    triage = probe.open_task(started.instance_id, "triage")
    assert triage.title == "Acknowledge and triage"
    assert triage.lane == "Support officer"
    assert triage.role == "support-officer"
    assert triage.form == "triage.schema.json"
    assert triage.process_id == "simple"
    assert triage.assignee_id is None
    assert triage.created_at == FRIDAY_BEFORE_BANK_HOLIDAY
    # One working day from Friday 14:00 skips the weekend and the bank holiday Monday.
    assert triage.due_at == TUESDAY_AFTER_BANK_HOLIDAY

    completed_at = FRIDAY_BEFORE_BANK_HOLIDAY + timedelta(hours=1)
    with time_machine.travel(completed_at, tick=False):
        service.claim(triage.id, officer)
        service.complete_task(triage.id, {"severity": "medium"}, officer)
    rows = {r.spec_name: r for r in probe.tasks(started.instance_id)}
    assert rows["triage"].status == "completed"
    assert rows["triage"].completed_by_id == officer.user_id
    assert rows["triage"].completed_at == completed_at
    assert rows["review"].status == "open"
    assert rows["review"].due_at is None
    assert probe.actions(started.instance_id) == ["instance.started", "task.claimed", "task.completed"]


def test_timer_cancels_the_overdue_task_and_opens_the_next(service, deploy, officer, probe, system):
    deploy("simple.bpmn")
    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        started = service.start("simple", {}, system)
        triage = started.opened[0]
        service.claim(triage.id, officer)
        service.complete_task(triage.id, {"severity": "severe"}, officer)
    assert probe.open_task(started.instance_id).role == "police-liaison"
    assert probe.instance(started.instance_id).next_wake_at == start + timedelta(hours=4)
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        assert service.due_instances() == []
        assert service.wake(started.instance_id) is False
    with time_machine.travel(start + timedelta(hours=4, minutes=1), tick=False):
        assert service.due_instances() == [started.instance_id]
        assert service.wake(started.instance_id) is True
    rows = {r.spec_name: r.status for r in probe.tasks(started.instance_id)}
    assert rows == {"triage": "completed", "refer": "cancelled", "review": "open"}
    assert probe.instance(started.instance_id).next_wake_at is None


def test_cancelling_an_instance_cancels_its_open_tasks(service, deploy, probe, system):
    deploy("parallel.bpmn")
    started = service.start("parallel", {}, system)
    assert len(started.opened) == 2
    service.cancel(started.instance_id, system, "Reported in error")
    assert probe.instance(started.instance_id).status == "cancelled"
    assert {r.status for r in probe.tasks(started.instance_id)} == {"cancelled"}
    assert probe.actions(started.instance_id)[-1] == "instance.cancelled"
    with pytest.raises(Conflict):
        service.cancel(started.instance_id, system, "Again")


def test_completing_one_of_two_parallel_tasks_leaves_the_other_open_and_the_join_waits(service, deploy, officer,
                                                                                      probe, system):
    deploy("parallel.bpmn")
    started = service.start("parallel", {}, system)
    police, wellbeing = sorted(started.opened, key=lambda t: t.spec_name)
    for task in (police, wellbeing):
        service.claim(task.id, officer)
    assert service.complete_task(police.id, {"note": "Spoken to"}, officer).opened == []
    rows = {r.spec_name: r.status for r in probe.tasks(started.instance_id)}
    assert rows == {"check_police": "completed", "check_wellbeing": "open"}
    after = service.complete_task(wellbeing.id, {"note": "Fine"}, officer)
    assert [t.spec_name for t in after.opened] == ["summarise"]
    assert [r.spec_name for r in probe.tasks(started.instance_id) if r.status == "open"] == ["summarise"]


def test_script_task_and_gateway_route_the_report(service, deploy, system, probe):
    deploy("scripted.bpmn")
    urgent = service.start("scripted", {"summary": "A threat was made at the surgery"}, system)
    routine = service.start("scripted", {"summary": "Rude email"}, system)
    assert [t.spec_name for t in urgent.opened] == ["urgent_review"]
    assert [t.spec_name for t in routine.opened] == ["routine_review"]
    data = service.instance_data(urgent.instance_id)
    assert data["priority"] == "urgent"
    assert data["words"] == 7


def test_called_process_tasks_reach_the_inbox_and_return_to_the_caller(service, deploy, officer, probe, make_person,
                                                                       system):
    deploy("simple.bpmn", "caller.bpmn")
    started = service.start("caller", {}, system)
    triage = probe.open_task(started.instance_id)
    assert (triage.spec_name, triage.process_id) == ("triage", "simple")
    service.claim(triage.id, officer)
    review = service.complete_task(triage.id, {"severity": "low"}, officer).opened[0]
    service.claim(review.id, officer)
    wrap_up = service.complete_task(review.id, {"note": "ok"}, officer).opened[0]
    assert (wrap_up.spec_name, wrap_up.process_id, wrap_up.role) == ("wrap_up", "caller", "democratic-services")

    clerk = make_person("democratic-services")
    service.claim(wrap_up.id, clerk)
    assert service.complete_task(wrap_up.id, {}, clerk).completed


@pytest.mark.parametrize(("severity", "next_step", "role"), [("high", "refer", "police-liaison"),
                                                          ("low", "review", "support-officer")])
def test_a_subprocess_drawn_inside_a_process_runs_its_tasks_and_returns(service, deploy, officer, system,
                                                                       severity, next_step, role):
    deploy("embedded.bpmn")
    started = service.start("embedded", {}, system)
    [triage] = started.opened
    assert (triage.spec_name, triage.process_id, triage.role) == ("triage", "embedded", "support-officer")
    service.claim(triage.id, officer)
    with pytest.raises(FormInvalid):  # the subprocess's task is held to its own form
        service.complete_task(triage.id, {"severity": "unknown"}, officer)
    # The subprocess's own gateway and script decide; the process around it routes on what they set.
    [opened] = service.complete_task(triage.id, {"severity": severity}, officer).opened
    assert (opened.spec_name, opened.process_id, opened.role) == (next_step, "embedded", role)


def test_invalid_form_data_names_the_field_and_changes_nothing(service, deploy, officer, probe, system):
    deploy("simple.bpmn")
    started = service.start("simple", {}, system)
    triage = started.opened[0]
    service.claim(triage.id, officer)
    before = probe.snapshot(started.instance_id)
    with pytest.raises(FormInvalid) as refused:
        service.complete_task(triage.id, {"severity": "catastrophic"}, officer)
    assert refused.value.field == "severity"
    assert "How severe is it?" in refused.value.errors["severity"]
    assert probe.snapshot(started.instance_id) == before


def test_only_the_assignee_completes_a_task(service, deploy, officer, make_person, probe, system):
    deploy("simple.bpmn")
    started = service.start("simple", {}, system)
    triage = started.opened[0]
    colleague = make_person("support-officer")
    with pytest.raises(Forbidden):
        service.complete_task(triage.id, {"severity": "low"}, officer)
    service.claim(triage.id, colleague)
    with pytest.raises(Forbidden):
        service.complete_task(triage.id, {"severity": "low"}, officer)
    assert probe.open_task(started.instance_id).spec_name == "triage"


def test_a_completed_task_cannot_be_completed_again(service, deploy, officer, system):
    deploy("simple.bpmn")
    triage = service.start("simple", {}, system).opened[0]
    service.claim(triage.id, officer)
    service.complete_task(triage.id, {"severity": "low"}, officer)
    with pytest.raises(Conflict):
        service.complete_task(triage.id, {"severity": "low"}, officer)

