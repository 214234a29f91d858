"""The JSON shapes the API returns; each matches a schema in `web.api.openapi`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.models import Case, Instance, ProcessModelVersion, Task, User
from engine.service import Actor, Outcome, TaskPage


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


def completion(task_id: str, outcome: Outcome, actor: Actor, visible: set[str]) -> dict[str, Any]:
    """What completing a task led to. Ids of next tasks only where the caller may open them."""
    return {
        "task_id": task_id,
        "instance": {"id": outcome.instance_id, "completed": outcome.completed},
        "next_tasks": [{"id": t.id if t.id in visible else None, "title": t.title, "role": t.role,
                        "due_at": instant(t.due_at), "assigned_to_me": t.assignee_id == actor.user_id
                        and actor.user_id is not None}
                       for t in outcome.opened],
    }


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
