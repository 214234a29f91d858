"""The demonstration data."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.models import Case, Instance, Task, User
from processes.demo import load_demo
from processes.roles import ROLES


def test_demo_shows_cases_at_different_steps_and_loads_only_once(deployed) -> None:
    lines = load_demo(deployed, "demo password 123")
    assert any("waiting for triage" in line for line in lines)
    with deployed.db.read() as session:
        emails = set(session.scalars(select(User.email)))
        assert {f"{role}@example.org" for role in ROLES} <= emails
        assert session.scalar(select(func.count()).select_from(Instance).where(
            Instance.process_id == "briefing_cycle")) == 1
        statuses = sorted(session.scalars(select(Case.status)))
        assert statuses == ["closed", "open", "open", "open", "open"]
        waiting = set(session.scalars(select(Task.title).where(Task.status == "open")))
        assert {"Acknowledge and triage", "Refer to police", "Contact the councillor",
                "Acknowledge complaint"} <= waiting
        users = session.scalar(select(func.count()).select_from(User))
    again = load_demo(deployed, "demo password 123")
    assert again[-1] == "The demo people already exist: nothing else to do."
    with deployed.db.read() as session:
        assert session.scalar(select(func.count()).select_from(User)) == users
        assert session.scalar(select(func.count()).select_from(Case)) == 5
