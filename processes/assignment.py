"""Who gets a new task: the councillor's own tasks go to them, the group support contact's to their
group's contact; every other task waits for someone in its role to claim it."""

from __future__ import annotations

from engine.catalogue import Assignment
from engine.models import PoliticalGroup, User
from processes.roles import COUNCILLOR, GROUP_SUPPORT_CONTACT


def assign(request: Assignment) -> int | None:
    case = request.case
    if case is None or case.councillor_id is None:
        return None
    if request.role == COUNCILLOR:
        return case.councillor_id
    if request.role == GROUP_SUPPORT_CONTACT:
        councillor = request.session.get(User, case.councillor_id)
        if councillor is not None and councillor.political_group_id is not None:
            group = request.session.get(PoliticalGroup, councillor.political_group_id)
            return group.support_contact_id if group else None
    return None
