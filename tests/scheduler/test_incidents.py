"""A failing step is retried with backoff, then becomes an incident an admin can retry; the rest carries on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from engine.errors import Conflict
from engine.models import OutboxMessage, Task
from engine.scheduler import TimerScheduler
from engine.service import Actor, WorkflowService

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def start(workflows: WorkflowService, process_id: str) -> int:
    with time_machine.travel(MONDAY, tick=False):
        return workflows.start(process_id, {}, Actor.system()).instance_id


def count(workflows: WorkflowService, model: type, *conditions: object) -> int:
    with workflows.db.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*conditions))


def test_failing_step_is_retried_later_then_becomes_an_incident_while_others_carry_on(
        workflows: WorkflowService, scheduler: TimerScheduler, outside, officer: int) -> None:
    outside.failures_left = 10
    failing = start(workflows, "flaky_step")
    healthy = start(workflows, "wait_duration")
    first_try = MONDAY + timedelta(hours=4, seconds=1)
    with time_machine.travel(first_try, tick=False):
        assert scheduler.fire_due() == 1  # the healthy one; the failing one waits for its retry
    instance = workflows.instance(failing)
    assert (instance.status, instance.wake_attempts) == ("running", 1)
    assert instance.next_wake_at == first_try + timedelta(minutes=1)
    assert "did not answer" in instance.last_error
    assert count(workflows, Task, Task.instance_id == healthy, Task.status == "open") == 1
    # The failed attempt rolled back whole: no task for it and no email about one.
    assert count(workflows, Task, Task.instance_id == failing) == 0
    assert count(workflows, OutboxMessage, OutboxMessage.task_id.in_(
        select(Task.id).where(Task.instance_id == healthy))) == 1
    assert count(workflows, OutboxMessage) == 1

    with time_machine.travel(first_try + timedelta(seconds=30), tick=False):
        assert scheduler.fire_due() == 0  # not yet: the retry waits its turn, nobody sleeps
    with time_machine.travel(first_try + timedelta(minutes=1, seconds=1), tick=False):
        scheduler.fire_due()
    assert workflows.instance(failing).wake_attempts == 2
    with time_machine.travel(first_try + timedelta(minutes=7), tick=False):
        scheduler.fire_due()
        assert workflows.due_instances() == []
    assert outside.calls == 3
    instance = workflows.instance(failing)
    assert (instance.status, instance.next_wake_at) == ("incident", None)
    [incident] = workflows.incidents()
    assert (incident.instance_id, incident.attempts) == (failing, 3)
    assert "the outside service did not answer" in incident.error


def test_retrying_an_incident_runs_the_step_again(workflows: WorkflowService, scheduler: TimerScheduler,
                                                  outside) -> None:
    outside.failures_left = 3
    failing = start(workflows, "flaky_step")
    moment = MONDAY + timedelta(hours=2)
    for _ in range(3):
        with time_machine.travel(moment, tick=False):
            scheduler.fire_due()
        moment += timedelta(minutes=10)
    [incident] = workflows.incidents()
    with time_machine.travel(moment, tick=False):
        workflows.retry_incident(incident.id, Actor.system())
        assert scheduler.fire_due() == 1
        with pytest.raises(Conflict):
            workflows.retry_incident(incident.id, Actor.system())
    instance = workflows.instance(failing)
    assert (instance.status, instance.wake_attempts) == ("running", 0)
    assert count(workflows, Task, Task.instance_id == failing, Task.spec_name == "follow_up") == 1
    assert workflows.incidents() == []
    assert [i.status for i in workflows.incidents(status=None)] == ["retried"]
    actions = [e.action for e in workflows.history(instance_id=failing)]
    assert actions.count("timer.failed") == 2
    assert "incident.opened" in actions and "incident.retried" in actions
