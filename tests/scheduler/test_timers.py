"""Timers fire on time, once, on working days, after downtime, and with several schedulers at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from engine.db import Database
from engine.models import AuditEvent, Task
from engine.scheduler import TimerScheduler
from engine.service import Actor, WorkflowService

SECOND = timedelta(seconds=1)
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # as in conftest: the diagrams are deployed then


def started(workflows: WorkflowService, process_id: str, at: datetime = MONDAY) -> int:
    with time_machine.travel(at, tick=False):
        return workflows.start(process_id, {}, Actor.system()).instance_id


def open_tasks(workflows: WorkflowService, instance_id: int) -> list[str]:
    with workflows.db.read() as session:
        return sorted(session.scalars(select(Task.spec_name).where(Task.instance_id == instance_id,
                                                                   Task.status == "open")))


def fired_events(workflows: WorkflowService, instance_id: int) -> int:
    with workflows.db.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.instance_id == instance_id, AuditEvent.action == "timer.fired"))


def test_duration_timer_fires_when_due_and_only_once(workflows: WorkflowService, scheduler: TimerScheduler) -> None:
    instance_id = started(workflows, "wait_duration")
    assert workflows.instance(instance_id).next_wake_at == MONDAY + timedelta(hours=4)
    with time_machine.travel(MONDAY + timedelta(hours=4) - SECOND, tick=False):
        assert scheduler.fire_due() == 0
    with time_machine.travel(MONDAY + timedelta(hours=4) + SECOND, tick=False):
        assert scheduler.fire_due() == 1
        assert scheduler.fire_due() == 0
    assert open_tasks(workflows, instance_id) == ["follow_up"]
    assert fired_events(workflows, instance_id) == 1
    assert workflows.instance(instance_id).next_wake_at is None


def test_working_day_timer_skips_christmas_and_boxing_day(workflows: WorkflowService,
                                                          scheduler: TimerScheduler) -> None:
    # Christmas Eve 2026 is a Thursday; Christmas Day is Friday and Boxing Day's holiday moves to Monday 28th.
    instance_id = started(workflows, "wait_working_day", at=datetime(2026, 12, 24, 10, 0, tzinfo=UTC))
    due = datetime(2026, 12, 29, 10, 0, tzinfo=UTC)
    assert workflows.instance(instance_id).next_wake_at == due
    with time_machine.travel(datetime(2026, 12, 28, 16, 0, tzinfo=UTC), tick=False):
        assert scheduler.fire_due() == 0
    with time_machine.travel(due + SECOND, tick=False):
        assert scheduler.fire_due() == 1
    assert open_tasks(workflows, instance_id) == ["follow_up"]


def test_working_day_timer_keeps_office_time_across_the_clocks_going_forward(
        workflows: WorkflowService) -> None:
    # 16:00 on Friday 27 March 2026 (GMT); the clocks go forward on Sunday 29th, so one working day later
    # is 16:00 BST on Monday, which is 15:00 UTC.
    instance_id = started(workflows, "wait_working_day", at=datetime(2026, 3, 27, 16, 0, tzinfo=UTC))
    assert workflows.instance(instance_id).next_wake_at == datetime(2026, 3, 30, 15, 0, tzinfo=UTC)


def test_interrupting_boundary_timer_cancels_the_task_and_escalates(workflows: WorkflowService,
                                                                    scheduler: TimerScheduler) -> None:
    instance_id = started(workflows, "interrupting")
    assert open_tasks(workflows, instance_id) == ["respond"]
    with time_machine.travel(MONDAY + timedelta(hours=2) + SECOND, tick=False):
        assert scheduler.fire_due() == 1
    assert open_tasks(workflows, instance_id) == ["escalate"]
    assert workflows.instance(instance_id).next_wake_at is None


def test_non_interrupting_cycle_chases_three_times_then_stops(workflows: WorkflowService,
                                                              scheduler: TimerScheduler) -> None:
    instance_id = started(workflows, "chasing")
    for hour in range(1, 6):
        with time_machine.travel(MONDAY + timedelta(hours=hour) + SECOND, tick=False):
            scheduler.fire_due()
    assert open_tasks(workflows, instance_id) == ["answer", "chase", "chase", "chase"]
    assert fired_events(workflows, instance_id) == 3
    assert workflows.instance(instance_id).next_wake_at is None


def test_timer_start_event_waits_then_starts_the_work(workflows: WorkflowService,
                                                      scheduler: TimerScheduler) -> None:
    instance_id = started(workflows, "timed_start")
    assert open_tasks(workflows, instance_id) == []
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, 1, tzinfo=UTC), tick=False):
        assert scheduler.fire_due() == 1
    assert open_tasks(workflows, instance_id) == ["prepare"]


def test_timers_that_fell_due_during_downtime_fire_at_start_up(workflows: WorkflowService,
                                                                 restart: Callable[..., WorkflowService]) -> None:
    waiting = [started(workflows, "wait_duration") for _ in range(3)] + [started(workflows, "interrupting")]
    not_yet = started(workflows, "wait_duration", at=MONDAY + timedelta(days=2))
    # A day later everything starts again: a new service and scheduler, as after a restart.
    restarted = TimerScheduler(restart())
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        assert restarted.fire_due() == 4
    assert [open_tasks(workflows, i) for i in waiting] == [["follow_up"]] * 3 + [["escalate"]]
    assert open_tasks(workflows, not_yet) == []


def test_a_scheduler_killed_before_commit_leaves_the_timer_to_fire_once_after_restart(
        workflows: WorkflowService, restart: Callable[..., WorkflowService],
        monkeypatch: pytest.MonkeyPatch) -> None:
    instance_id = started(workflows, "wait_duration")
    dying = restart()

    def killed(*args: object, **kwargs: object) -> None:
        raise SystemExit("killed")  # not an Exception: nothing may treat it as a failed step

    monkeypatch.setattr(dying, "_save", killed)
    with time_machine.travel(MONDAY + timedelta(hours=5), tick=False):
        with pytest.raises(SystemExit):
            TimerScheduler(dying).fire_due()
        assert workflows.instance(instance_id).wake_attempts == 0
        assert TimerScheduler(restart()).fire_due() == 1
        assert TimerScheduler(restart()).fire_due() == 0
    assert open_tasks(workflows, instance_id) == ["follow_up"]
    assert fired_events(workflows, instance_id) == 1


def test_two_schedulers_never_fire_the_same_timer_twice(database: Database, workflows: WorkflowService,
                                                        restart: Callable[..., WorkflowService]) -> None:
    instances = [started(workflows, "wait_duration") for _ in range(30)]
    databases = [Database(database.url.render_as_string(hide_password=False)) for _ in range(2)]
    schedulers = [TimerScheduler(restart(db)) for db in databases]
    fired = [0, 0]
    barrier = threading.Barrier(2)

    def sweep(n: int) -> None:
        barrier.wait()
        fired[n] = schedulers[n].fire_due()

    try:
        with time_machine.travel(MONDAY + timedelta(hours=5), tick=False):
            threads = [threading.Thread(target=sweep, args=(n,)) for n in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
    finally:
        for db in databases:
            db.dispose()
    assert sum(fired) == 30
    assert [fired_events(workflows, i) for i in instances] == [1] * 30
    with workflows.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Task).where(Task.spec_name == "follow_up")) == 30
    assert workflows.verify_audit().intact
