"""Online meeting safety and the quarterly councillor briefing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.errors import ScriptError
from engine.models import Case
from processes.roles import DEMOCRATIC_SERVICES
from processes.self_starting import ensure_running
from tests.processes.casework import START, Runner

CHECKLIST = {"pre_registration": "yes", "chat_control": "chat_disabled", "opening_statement": "yes"}


def meeting(run: Runner) -> int:
    instance = run.start("online_meeting_safety").instance_id
    run.do("Describe the meeting", {"meeting_name": "Planning committee", "meeting_date": "2026-03-12"},
           instance_id=instance)
    return instance


def test_meeting_checklist_is_due_two_working_days_before_the_meeting(run: Runner) -> None:
    instance = meeting(run)
    checklist = run.task("Meeting safety checklist", instance_id=instance)
    assert checklist.role == DEMOCRATIC_SERVICES
    assert checklist.due_at == datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def test_meeting_without_incidents_ends(run: Runner) -> None:
    instance = meeting(run)
    run.do("Meeting safety checklist", CHECKLIST, instance_id=instance)
    run.do("Log incidents", {"any_abuse": "no"}, instance_id=instance)
    assert run.service.instance(instance).status == "completed"


def test_abuse_at_an_online_meeting_starts_a_support_case_for_the_councillor(run: Runner) -> None:
    instance = meeting(run)
    run.do("Meeting safety checklist", CHECKLIST, instance_id=instance)
    run.do("Log incidents", {"any_abuse": "yes", "affected_councillor_email": "Councillor@example.org",
                             "abuse_description": "Racist comments in the chat."}, instance_id=instance)
    reference = run.service.instance_data(instance)["support_case"]["case_reference"]
    case = run.service.case(reference)
    assert case.councillor_id == run.people.councillor.id
    assert run.titles(case.id) == ["Acknowledge and triage"]


def test_abuse_logged_for_an_unknown_councillor_is_refused_and_nothing_changes(run: Runner) -> None:
    instance = meeting(run)
    run.do("Meeting safety checklist", CHECKLIST, instance_id=instance)
    with pytest.raises(ScriptError, match=r"nobody@example\.org"):
        run.do("Log incidents", {"any_abuse": "yes", "affected_councillor_email": "nobody@example.org",
                                 "abuse_description": "Abuse."}, instance_id=instance)
    assert run.titles(instance_id=instance) == ["Log incidents"]
    with run.service.db.read() as session:
        assert session.scalars(select(Case)).all() == []


def test_briefing_is_prepared_every_quarter_with_an_anonymised_summary(run: Runner) -> None:
    instance = run.start("briefing_cycle").instance_id
    run.clock.shift(timedelta(days=1))
    reported = run.report(perpetrator_handle="@repeat")
    run.triage(reported.case_id, category="harassment", severity="medium")
    again = run.report(perpetrator_handle="@repeat")
    run.triage(again.case_id, category="harassment", severity="high")
    assert run.titles(instance_id=instance) == []
    assert run.wake_next(instance) == START + timedelta(days=92)
    task = run.task("Prepare councillor briefing", instance_id=instance)
    summary = run.task_data(task)["briefing_summary"]
    assert summary["cases"] == 2
    assert summary["by_category"] == {"harassment": 2}
    assert summary["by_severity"] == {"medium": 1, "high": 1}
    assert summary["repeat_perpetrators"] == 1
    assert "repeat" not in str(summary["by_category"])
    run.do("Prepare councillor briefing", {"briefing_date": "2026-06-10"}, instance_id=instance)


def test_the_briefing_cycle_is_started_once_however_often_the_database_is_prepared(deployed):
    assert ensure_running(deployed) == ["Started briefing_cycle: it waits for its timer"]
    assert ensure_running(deployed) == []
    assert deployed.running_count("briefing_cycle") == 1
