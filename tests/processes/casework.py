"""Driving cases through the engine as people would: one person per role, a report to start from, "do
the open task called X", and time moved on to fire timers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import select

from engine.models import Instance, PoliticalGroup, Task, User
from engine.people import create_user
from engine.service import Actor, Outcome, WorkflowService
from processes.roles import COUNCILLOR, GROUP_SUPPORT_CONTACT, ROLES

# A Monday morning in London (GMT), well clear of bank holidays.
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
ONE_SECOND = timedelta(seconds=1)

REPORT: dict[str, Any] = {
    "incident_date": "2026-03-01",
    "how": "social_media",
    "platform": "X",
    "perpetrator": "member_of_public",
    "perpetrator_handle": "@angry_ratepayer",
    "what_happened": "Replies to my post calling me a traitor and saying people know where I live.",
    "evidence": [],
    "in_danger": "no",
    "wellbeing_support": "no",
    "share_with_group": "no",
    "share_with_police": "no",
}

TRIAGE: dict[str, Any] = {
    "category": "online_abuse",
    "severity": "low",
    "source": "external",
    "possible_offence": "no",
    "injury_or_loss": "no",
    "advice_given": "Block and report the account; keep screenshots.",
}


@dataclass
class People:
    """One person per role; the councillor belongs to a political group whose contact is `group_contact`."""

    by_role: dict[str, User]

    def actor(self, role: str) -> Actor:
        return Actor.of(self.by_role[role])

    @property
    def councillor(self) -> User:
        return self.by_role[COUNCILLOR]


def create_people(service: WorkflowService, **extra: tuple[str, str]) -> People:
    """One person per role, the councillor in a political group whose support contact is the group
    contact; `extra` adds councillors by key: key=(email, name)."""
    with service.db.write() as session:
        group = PoliticalGroup(name="Independent Group")
        session.add(group)
        session.flush()
        users = {role: create_user(session, email=f"{role}@example.org", name=name, password=None, roles=[role],
                                   known_roles=ROLES, political_group_id=group.id if role == COUNCILLOR else None)
                 for role, name in ROLES.items()}
        for key, (email, name) in extra.items():
            users[key] = create_user(session, email=email, name=name, password=None, roles=[COUNCILLOR],
                                     known_roles=ROLES)
        group.support_contact_id = users[GROUP_SUPPORT_CONTACT].id
        for user in users.values():
            session.refresh(user)
        session.expunge_all()
    return People(users)



class Runner:
    """Drives cases through the engine as the people doing the tasks would."""

    def __init__(self, service: WorkflowService, people: People, clock: time_machine.Coordinates) -> None:
        self.service = service
        self.people = people
        self.clock = clock

    def report(self, **answers: Any) -> Outcome:
        """The councillor reports an incident; returns the outcome of opening the case."""
        return self.service.open_case({**REPORT, **answers}, councillor_id=self.people.councillor.id,
                                      actor=self.people.actor(COUNCILLOR))

    def open_tasks(self, case_id: int | None = None, instance_id: int | None = None) -> list[Task]:
        with self.service.db.read() as session:
            query = select(Task).where(Task.status == "open").order_by(Task.created_at, Task.id)
            if case_id is not None:
                query = query.where(Task.case_id == case_id)
            if instance_id is not None:
                query = query.where(Task.instance_id == instance_id)
            return list(session.scalars(query))

    def titles(self, case_id: int | None = None, instance_id: int | None = None) -> list[str]:
        return sorted(t.title for t in self.open_tasks(case_id, instance_id))

    def task(self, title: str, case_id: int | None = None, instance_id: int | None = None) -> Task:
        matches = [t for t in self.open_tasks(case_id, instance_id) if t.title == title]
        assert matches, f"No open task {title!r}; open: {self.titles(case_id, instance_id)}"
        return matches[0]

    def do(self, title: str, data: Mapping[str, Any], case_id: int | None = None,
           instance_id: int | None = None) -> Outcome:
        """Claim (if needed) and complete the open task with this title, as someone in its role."""
        task = self.task(title, case_id, instance_id)
        actor = self.people.actor(task.role)
        if task.assignee_id is None:
            self.service.claim(task.id, actor)
        elif task.assignee_id != actor.user_id:
            actor = Actor.of(next(u for u in self.people.by_role.values() if u.id == task.assignee_id))
        return self.service.complete_task(task.id, dict(data), actor)

    def triage(self, case_id: int, **answers: Any) -> Outcome:
        return self.do("Acknowledge and triage", {**TRIAGE, **answers}, case_id)

    def instance_of(self, case_id: int, process_id: str = "support") -> Instance:
        with self.service.db.read() as session:
            return session.scalars(select(Instance).where(Instance.case_id == case_id,
                                                          Instance.process_id == process_id)).one()

    def wait(self, instance_id: int, delta: timedelta) -> None:
        """Let `delta` pass, firing every timer of the instance that falls due on the way, in order."""
        target = datetime.now(UTC) + delta
        while (due := self.service.instance(instance_id).next_wake_at) is not None and due <= target:
            # SpiffWorkflow fires a timer once its time has strictly passed.
            self.clock.move_to(max(due + ONE_SECOND, datetime.now(UTC)))
            if not self.service.wake(instance_id):
                break
        self.clock.move_to(target)

    def task_data(self, task: Task) -> dict[str, Any]:
        """The data a waiting task holds (what its form would be filled from), from the stored state. A task's
        stored data may be only its changes from its parent's, so the chain is replayed from the nearest
        ancestor that holds a full copy."""
        state = self.service.instance(task.instance_id).state
        for tasks in [state["tasks"], *(sub["tasks"] for sub in state.get("subprocesses", {}).values())]:
            if task.id in tasks:
                chain = [tasks[task.id]]
                while not chain[-1]["data"] and chain[-1]["parent"]:
                    chain.append(tasks[chain[-1]["parent"]])
                data: dict[str, Any] = {}
                for link in reversed(chain):
                    data.update(link["data"] or {})
                    data.update(link.get("delta", {}).get("updates", {}) if isinstance(link.get("delta"), dict)
                                else {})
                return data
        raise AssertionError(f"Task {task.title!r} is not in its instance's state.")

    def start(self, process_id: str, case_id: int | None = None, **data: Any) -> Outcome:
        """Start a process on its own (as the support process would call it) for an existing case."""
        return self.service.start(process_id, data, Actor.system(), case_id=case_id)

    def wake_next(self, instance_id: int) -> datetime:
        """Move to the instance's next timer and fire it; returns when that was."""
        due = self.service.instance(instance_id).next_wake_at
        assert due is not None, "The instance is not waiting for a timer."
        self.clock.move_to(due + ONE_SECOND)
        assert self.service.wake(instance_id)
        return due


