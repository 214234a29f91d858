"""Need-to-know: which cases, instances and tasks a caller may learn exist. Anything else is a 404.

Roles that work a shared queue (support officer, police liaison…) see work in their role; roles whose
tasks go to one person (councillor, group support contact) see only what is theirs.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from engine.models import Case, Task
from engine.service import Actor
from processes.roles import ADMIN, GROUP_SUPPORT_CONTACT, OFFICER_ROLES, STARTERS

SHARED_ROLES = OFFICER_ROLES - {GROUP_SUPPORT_CONTACT}


def shared_roles(actor: Actor) -> frozenset[str]:
    return actor.roles & SHARED_ROLES


def queue_actor(actor: Actor) -> Actor:
    """The caller as seen by a role queue: only the roles whose tasks anyone in the role may claim."""
    return Actor(actor.user_id, shared_roles(actor))


def may_see_task(row: Task, actor: Actor) -> bool:
    return row.assignee_id == actor.user_id or row.completed_by_id == actor.user_id \
        or (row.role is not None and row.role in shared_roles(actor))


def involved(actor: Actor) -> ColumnElement[bool]:
    """Tasks the caller works or worked on, directly or through a shared role."""
    return or_(Task.assignee_id == actor.user_id, Task.completed_by_id == actor.user_id,
               Task.role.in_(sorted(shared_roles(actor))))


def may_see_case(session: Session, case: Case, actor: Actor) -> bool:
    if actor.user_id is None:
        return False
    if actor.user_id in (case.councillor_id, case.reported_by_id):
        return True
    return bool(session.scalar(select(exists().where(Task.case_id == case.id, involved(actor)))))


def may_see_instance(session: Session, instance_id: int, actor: Actor) -> bool:
    if ADMIN in actor.roles:
        return True
    if not actor.roles & OFFICER_ROLES:
        return False
    return bool(session.scalar(select(exists().where(Task.instance_id == instance_id, involved(actor)))))


def may_see_versions(actor: Actor) -> bool:
    """Deployed versions are about the service, not about anyone's case: officers and admins may see them."""
    return bool(actor.roles & (OFFICER_ROLES | {ADMIN}))


def may_start(process_id: str, actor: Actor) -> bool:
    return ADMIN in actor.roles or bool(actor.roles & STARTERS.get(process_id, frozenset()))
