"""Reminders before a task is due and escalations once it is overdue, swept from the tasks projection
(indexed by due time) and sent through the outbox. Each goes once: the sweep stamps the task in the
same transaction that writes the email."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock, outbox, people
from engine.db import Database
from engine.models import Task


def sweep(db: Database, *, lead: timedelta, escalate_to_role: str | None = None, limit: int = 200,
          personal_roles: frozenset[str] = frozenset()) -> int:
    """Send due reminders and escalations; returns how many tasks were stamped.

    A reminder goes `lead` before the due time, or halfway through the task's time if that is shorter
    (so a task due in two hours is not "reminded" the moment it opens). An escalation goes to the
    assignee, the holders of the task's role (unless it is a personal role, like the councillor's own) and, if
    given, everyone holding `escalate_to_role`."""
    now = clock.now()
    with db.write() as session:
        stamped = _escalate(session, now, escalate_to_role, limit, personal_roles)
        stamped += _remind(session, now, lead, limit, personal_roles)
    return stamped


def _remind(session: Session, now: datetime, lead: timedelta, limit: int, personal_roles: frozenset[str]) -> int:
    rows = session.scalars(
        select(Task).where(Task.status == "open", Task.reminded_at.is_(None), Task.due_at.is_not(None),
                           Task.due_at > now, Task.due_at <= now + lead)
        .order_by(Task.due_at).limit(limit).with_for_update(skip_locked=True))
    stamped = 0
    for task in rows:
        if task.created_at + (task.due_at - task.created_at) / 2 > now:
            continue
        outbox.notify_task(session, task, "task.reminder", personal_roles=personal_roles)
        task.reminded_at = now
        stamped += 1
    return stamped


def _escalate(session: Session, now: datetime, escalate_to_role: str | None, limit: int,
              personal_roles: frozenset[str]) -> int:
    rows = session.scalars(
        select(Task).where(Task.status == "open", Task.escalated_at.is_(None), Task.due_at.is_not(None),
                           Task.due_at < now)
        .order_by(Task.due_at).limit(limit).with_for_update(skip_locked=True))
    stamped = 0
    for task in rows:
        shared = task.role and task.role not in personal_roles
        extra = list(people.holders_of(session, task.role)) if shared and task.assignee_id else []
        if escalate_to_role:
            extra += people.holders_of(session, escalate_to_role)
        outbox.notify_task(session, task, "task.overdue", extra=extra, personal_roles=personal_roles)
        task.escalated_at = now
        if task.reminded_at is None:
            task.reminded_at = now  # too late for a reminder now; the escalation says it all
        stamped += 1
    return stamped
