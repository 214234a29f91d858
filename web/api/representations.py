"""The JSON shapes the API returns; each matches a schema in `web.api.openapi`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.models import Case, Instance, ProcessModelVersion, Task, User
from engine.service import Actor, Outcome, TaskPage
from engine.versions import MigrationCheck, VersionSummary


def instant(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def task(row: Task, actor: Actor, references: dict[int, str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "process_id": row.process_id,
        "instance_id": row.instance_id,
        "case_reference": references.get(row.case_id) if row.case_id is not None else None,
        "role": row.role,
        "lane": row.lane,
        "status": row.status,
        "assignee_id": row.assignee_id,
        "assigned_to_me": row.assignee_id is not None and row.assignee_id == actor.user_id,
        "due_at": instant(row.due_at),
        "created_at": instant(row.created_at),
        "completed_at": instant(row.completed_at),
    }


def task_detail(row: Task, schema: dict[str, Any] | None, ui_schema: dict[str, Any] | None, actor: Actor,
                references: dict[int, str]) -> dict[str, Any]:
    return {**task(row, actor, references), "form": {"name": row.form, "schema": schema, "ui_schema": ui_schema}}


def task_page(page: TaskPage, actor: Actor, references: dict[int, str]) -> dict[str, Any]:
    return {"tasks": [task(t, actor, references) for t in page.tasks], "total": page.total, "page": page.page,
            "per_page": page.per_page, "pages": page.pages}


def next_task(row: Task, actor: Actor, visible: set[str]) -> dict[str, Any]:
    """A task a write opened. Its id only where the caller may open it."""
    return {"id": row.id if row.id in visible else None, "title": row.title, "role": row.role,
            "due_at": instant(row.due_at), "assigned_to_me": row.assignee_id == actor.user_id
            and actor.user_id is not None}


def completion(task_id: str, outcome: Outcome, actor: Actor, visible: set[str]) -> dict[str, Any]:
    """What completing a task led to."""
    return {
        "task_id": task_id,
        "instance": {"id": outcome.instance_id, "completed": outcome.completed},
        "next_tasks": [next_task(t, actor, visible) for t in outcome.opened],
    }


def started(outcome: Outcome, process_id: str, actor: Actor, visible: set[str]) -> dict[str, Any]:
    return {"instance_id": outcome.instance_id, "process_id": process_id, "completed": outcome.completed,
            "open_tasks": [next_task(t, actor, visible) for t in outcome.opened]}


def case(row: Case, councillor: User | None, tasks: list[Task], actor: Actor) -> dict[str, Any]:
    references = {row.id: row.reference}
    return {
        "reference": row.reference,
        "status": row.status,
        "created_at": instant(row.created_at),
        "closed_at": instant(row.closed_at),
        "councillor": {"id": councillor.id, "name": councillor.name} if councillor else None,
        "tasks": [task(t, actor, references) for t in tasks],
    }


def process_model(version: ProcessModelVersion) -> dict[str, Any]:
    return {"process_id": version.process_id, "name": version.name, "version": version.version,
            "filename": version.filename, "created_at": instant(version.created_at)}


def instance(row: Instance, version: int | None, open_tasks: list[Task], timers: list[Any], actor: Actor,
             references: dict[int, str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "process_id": row.process_id,
        "version": version,
        "status": row.status,
        "case_reference": references.get(row.case_id) if row.case_id is not None else None,
        "created_at": instant(row.created_at),
        "updated_at": instant(row.updated_at),
        "completed_at": instant(row.completed_at),
        "next_wake_at": instant(row.next_wake_at),
        "open_tasks": [task(t, actor, references) for t in open_tasks],
        "waiting_timers": [{"name": t.name, "kind": t.kind, "due_at": instant(t.due_at)} for t in timers],
    }


def process_versions(process_id: str, summaries: list[VersionSummary]) -> dict[str, Any]:
    """Every deployed version of one process, newest first."""
    return {"process_id": process_id, "name": summaries[0].name,
            "versions": [{"version": v.version, "filename": v.filename, "deployed_at": instant(v.created_at),
                          "running_instances": v.running} for v in summaries]}


def migration(check: MigrationCheck, process_id: str, to_version: int, *, dry_run: bool, moved: bool) -> dict[str, Any]:
    """One instance's migration: whether it can move (a dry run) or whether it moved, and why not."""
    return {"instance_id": check.instance_id, "process_id": process_id, "from_version": check.from_version,
            "to_version": to_version, "dry_run": dry_run, "can_move": check.movable, "moved": moved,
            "waiting_at": list(check.waiting_at), "reasons": list(check.reasons)}
