"""A task's assignee (or its role) is reminded before it is due and told once it is overdue, once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from engine.models import OutboxMessage, Task
from engine.scheduler import TimerScheduler
from engine.service import Actor, WorkflowService

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
WEDNESDAY = MONDAY + timedelta(days=2)  # two working days later: when the task is due


def kinds(workflows: WorkflowService) -> list[str]:
    with workflows.db.read() as session:
        return list(session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))


def test_reminder_the_day_before_and_escalation_when_overdue_each_sent_once(
        workflows: WorkflowService, officer: int) -> None:
    with time_machine.travel(MONDAY, tick=False):
        outcome = workflows.start("with_deadline", {}, Actor.system())
    [task] = outcome.opened
    assert task.due_at == WEDNESDAY
    scheduler = TimerScheduler(workflows, reminder_lead=timedelta(hours=24))
    with time_machine.travel(WEDNESDAY - timedelta(hours=25), tick=False):
        assert scheduler.send_reminders() == 0
    with time_machine.travel(WEDNESDAY - timedelta(hours=23), tick=False):
        assert scheduler.send_reminders() == 1
        assert scheduler.send_reminders() == 0
    with time_machine.travel(WEDNESDAY + timedelta(minutes=1), tick=False):
        assert scheduler.send_reminders() == 1
        assert scheduler.send_reminders() == 0
    assert kinds(workflows) == ["task.opened", "task.reminder", "task.overdue"]
    with workflows.db.read() as session:
        row = session.get(Task, task.id)
        assert row.reminded_at == WEDNESDAY - timedelta(hours=23)
        assert row.escalated_at == WEDNESDAY + timedelta(minutes=1)


def test_a_short_task_is_reminded_halfway_not_as_soon_as_it_opens(workflows: WorkflowService,
                                                                  officer: int) -> None:
    with time_machine.travel(MONDAY, tick=False):
        workflows.start("with_deadline", {}, Actor.system())
    scheduler = TimerScheduler(workflows, reminder_lead=timedelta(days=5))
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        assert scheduler.send_reminders() == 0
    with time_machine.travel(MONDAY + timedelta(days=1, minutes=1), tick=False):
        assert scheduler.send_reminders() == 1
    assert kinds(workflows) == ["task.opened", "task.reminder"]


def test_a_completed_task_is_neither_reminded_nor_escalated(workflows: WorkflowService, officer: int) -> None:
    with time_machine.travel(MONDAY, tick=False):
        outcome = workflows.start("with_deadline", {}, Actor.system())
        worker = Actor(officer, frozenset({"support-officer"}))
        workflows.claim(outcome.opened[0].id, worker)
        workflows.complete_task(outcome.opened[0].id, {"note": "done"}, worker)
    with time_machine.travel(WEDNESDAY + timedelta(days=1), tick=False):
        assert TimerScheduler(workflows).send_reminders() == 0
    assert kinds(workflows) == ["task.opened"]
