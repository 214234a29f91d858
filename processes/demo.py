"""Demonstration data: the diagrams deployed, one person per role, two political groups and a few cases
waiting at different steps, so the inbox has something to show. Running it again changes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from engine import shipping
from engine.models import Case, PoliticalGroup, Task, User
from engine.people import create_user
from engine.service import Actor, WorkflowService
from processes.catalogue import DIAGRAMS
from processes.roles import COUNCILLOR, GROUP_SUPPORT_CONTACT, ROLES
from processes.self_starting import ensure_running

GROUPS = ("Independent Group", "Residents' Group")
MARKER = "support-officer@example.org"

REPORT: dict[str, Any] = {
    "incident_date": "2026-01-12", "how": "social_media", "platform": "X", "perpetrator": "member_of_public",
    "perpetrator_handle": "@demo_account", "what_happened": "Abusive replies to a post about the budget.",
    "evidence": [], "in_danger": "no", "wellbeing_support": "no", "share_with_group": "no",
    "share_with_police": "no",
}
TRIAGE: dict[str, Any] = {
    "category": "online_abuse", "severity": "low", "source": "external", "possible_offence": "no",
    "injury_or_loss": "no", "advice_given": "Block and report the account; keep screenshots.",
}


def _email(role: str, number: int = 1) -> str:
    return f"{role}@example.org" if number == 1 else f"{role}-{number}@example.org"


class _Demo:
    def __init__(self, service: WorkflowService, users: Mapping[str, User]) -> None:
        self.service = service
        self.users = users

    def do(self, case_id: int, title: str, data: Mapping[str, Any]) -> None:
        """Claim and complete the case's open task with this title, as the person in its role."""
        with self.service.db.read() as session:
            task = session.scalars(select(Task).where(Task.case_id == case_id, Task.status == "open",
                                                      Task.title == title)).first()
        if task is None:
            raise LookupError(f"The demo expected a task {title!r} on case {case_id}.")
        user = self.users[task.role] if task.assignee_id is None else \
            next(u for u in self.users.values() if u.id == task.assignee_id)
        actor = Actor.of(user)
        if task.assignee_id is None:
            self.service.claim(task.id, actor)
        self.service.complete_task(task.id, dict(data), actor)

    def report(self, **answers: Any) -> tuple[int, str]:
        councillor = self.users[COUNCILLOR]
        outcome = self.service.open_case({**REPORT, **answers}, councillor_id=councillor.id,
                                         actor=Actor.of(councillor))
        with self.service.db.read() as session:
            return outcome.case_id, session.get(Case, outcome.case_id).reference


def _people(service: WorkflowService, password: str) -> dict[str, User]:
    with service.db.write() as session:
        groups = []
        for name in GROUPS:
            group = session.scalar(select(PoliticalGroup).where(PoliticalGroup.name == name))
            if group is None:
                group = PoliticalGroup(name=name)
                session.add(group)
                session.flush()
            groups.append(group)
        users = {role: create_user(session, email=_email(role), name=f"Demo {name.lower()}", password=password,
                                   roles=[role], known_roles=ROLES,
                                   political_group_id=groups[0].id if role == COUNCILLOR else None)
                 for role, name in ROLES.items()}
        second_contact = create_user(session, email=_email(GROUP_SUPPORT_CONTACT, 2),
                                     name="Demo group support contact (Residents' Group)", password=password,
                                     roles=[GROUP_SUPPORT_CONTACT], known_roles=ROLES)
        create_user(session, email=_email(COUNCILLOR, 2), name="Demo councillor (Residents' Group)",
                    password=password, roles=[COUNCILLOR], known_roles=ROLES, political_group_id=groups[1].id)
        groups[0].support_contact_id = users[GROUP_SUPPORT_CONTACT].id
        groups[1].support_contact_id = second_contact.id
        for user in users.values():
            session.refresh(user)
        session.expunge_all()
    return users


def load_demo(service: WorkflowService, password: str) -> list[str]:
    """Deploy bpmn/, create the demo people and cases; returns lines of progress to print."""
    lines = shipping.describe(shipping.deploy_shipped(service, DIAGRAMS))
    with service.db.read() as session:
        if session.scalar(select(func.count()).select_from(User).where(User.email == MARKER)):
            return [*lines, "The demo people already exist: nothing else to do."]
    users = _people(service, password)
    lines += [f"Created {_email(role)} ({name})" for role, name in ROLES.items()]
    lines += [f"Created {_email(COUNCILLOR, 2)} and {_email(GROUP_SUPPORT_CONTACT, 2)}",
              f"Created political groups: {', '.join(GROUPS)}"]
    demo = _Demo(service, users)

    case_id, reference = demo.report(in_danger="yes", what_happened="A man waited outside my house after the "
                                     "meeting and shouted threats.", how="at_home", perpetrator="unknown",
                                     perpetrator_handle="")
    lines.append(f"{reference}: waiting for triage (reporter in danger, due in 4 hours)")

    case_id, reference = demo.report(share_with_police="yes", perpetrator_handle="@demo_account")
    demo.do(case_id, "Acknowledge and triage", {**TRIAGE, "severity": "high", "possible_offence": "yes",
                                                "category": "harassment"})
    lines.append(f"{reference}: waiting for the police liaison to refer it to the police")

    case_id, reference = demo.report(wellbeing_support="yes", share_with_group="yes")
    demo.do(case_id, "Acknowledge and triage", TRIAGE)
    demo.do(case_id, "First contact", {"support_offered": ["mental_health_champion", "peer_support"],
                                       "support_accepted": ["peer_support"], "check_ins_wanted": "yes"})
    lines.append(f"{reference}: wellbeing check-ins scheduled; group support contact to call the councillor")

    case_id, reference = demo.report(perpetrator="councillor", perpetrator_name="Cllr Example",
                                     how="council_or_public_meeting", perpetrator_handle="")
    demo.do(case_id, "Acknowledge and triage", {**TRIAGE, "source": "internal_low_level",
                                                "category": "intimidation"})
    lines.append(f"{reference}: internal complaint waiting for the monitoring officer (local resolution)")

    case_id, reference = demo.report()
    demo.do(case_id, "Acknowledge and triage", TRIAGE)
    demo.do(case_id, "Review and close", {"outcome_summary": "Account suspended by the platform.",
                                          "wellbeing_now": "not_applicable"})
    demo.do(case_id, "Confirm closure", {"closure_agreed": "yes"})
    lines.append(f"{reference}: closed")

    return [*lines, *ensure_running(service)]
