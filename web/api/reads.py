"""Read-only look-ups the API needs beside the workflow service: references, names, versions."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Case, ProcessModelVersion, Task, User
from engine.service import Actor
from processes.roles import COUNCILLOR
from web.api.access import involved


def case_references(session: Session, case_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({i for i in case_ids if i is not None})
    if not ids:
        return {}
    return {row.id: row.reference for row in session.execute(select(Case.id, Case.reference).where(Case.id.in_(ids)))}


def user(session: Session, user_id: int | None) -> User | None:
    return session.get(User, user_id) if user_id is not None else None


def councillor_by_email(session: Session, email: str) -> User | None:
    """The active councillor with this email address, if there is one."""
    found = session.scalar(select(User).where(User.email == email.strip().lower(), User.active))
    return found if found is not None and COUNCILLOR in found.role_slugs else None


def visible_case_tasks(session: Session, case_id: int, actor: Actor) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.case_id == case_id, involved(actor))
                                .order_by(Task.created_at, Task.id)))


def open_tasks_of_instance(session: Session, instance_id: int) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.instance_id == instance_id, Task.status == "open")
                                .order_by(Task.created_at, Task.id)))


def version_number(session: Session, model_version_id: int) -> int | None:
    return session.scalar(select(ProcessModelVersion.version).where(ProcessModelVersion.id == model_version_id))
