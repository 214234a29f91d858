"""The scheduler as it runs in `serve`: it catches up at start-up and arms itself for the earliest timer."""

from __future__ import annotations

import threading
from datetime import timedelta

import time_machine

from engine import clock
from engine.scheduler import TimerScheduler
from engine.service import Actor, WorkflowService


def test_started_scheduler_fires_what_fell_due_while_it_was_down(workflows: WorkflowService,
                                                                 scheduler: TimerScheduler) -> None:
    with time_machine.travel(clock.now() - timedelta(hours=5), tick=False):
        instance_id = workflows.start("wait_duration", {}, Actor.system()).instance_id
    fired = threading.Event()
    scheduler.on_tick = lambda count: fired.set() if count else None
    scheduler.start()
    assert fired.wait(timeout=30)
    assert workflows.instance(instance_id).next_wake_at is None


def test_a_commit_re_arms_the_wake_job_at_the_earliest_timer(workflows: WorkflowService,
                                                             scheduler: TimerScheduler) -> None:
    scheduler.start()
    later = workflows.start("wait_duration", {}, Actor.system()).instance_id
    sooner = workflows.start("interrupting", {}, Actor.system()).instance_id
    armed = scheduler.rearm()
    assert armed == workflows.instance(sooner).next_wake_at + timedelta(milliseconds=5)
    assert workflows.instance(later).next_wake_at > armed
    assert scheduler.armed_at() == armed
