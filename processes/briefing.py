"""The anonymised figures behind each councillor briefing and the briefing dashboard: counts only, never
names or case text. Each figure is computed one way, here, from what the engine stores: the cases table,
the tasks projection, and the data of completed tasks in the audit log."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import median
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.models import AuditEvent, Case, Task
from engine.retention import wellbeing_running
from processes.register import OffenderCase

TRIAGE_TASKS = frozenset({"triage", "plan_further_action"})
STATISTICS_FIELDS = frozenset({"category", "severity", "source", "police_status"})
"""The answers the figures count: categories, never personal data, so the audit log keeps them after a case
is anonymised (the engine's `Catalogue.audit_facts`)."""
FIRST_TRIAGE = "triage"
POLICE_FOLLOW_UP = "follow_up"
STILL_OPEN_POLICE_STATUS = "investigating"
SUPPRESS_BELOW = 5
"""Counts below this are shown as "fewer than 5", so no councillor can be picked out."""


@dataclass(frozen=True)
class Figures:
    """Cases opened from `period_from` to `period_to` (inclusive), and what is under way now."""

    period_from: date
    period_to: date
    cases: int
    by_month: dict[str, int]
    by_category: dict[str, int]
    by_severity: dict[str, int]
    by_source: dict[str, int]
    not_triaged: int
    police_outcomes: dict[str, int]
    triaged: int
    triaged_on_time: int
    median_hours_to_triage: float | None
    active_wellbeing_support: int
    repeat_perpetrators: int

    @property
    def share_triaged_on_time(self) -> float | None:
        return round(100 * self.triaged_on_time / self.triaged) if self.triaged else None


def suppressed(count: int) -> bool:
    return count < SUPPRESS_BELOW


def figures(session: Session, period_from: date, period_to: date) -> Figures:
    start = datetime.combine(period_from, time.min, UTC)
    end = datetime.combine(period_to + timedelta(days=1), time.min, UTC)
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.created_at >= start, Case.created_at < end))}
    triage: dict[int, dict[str, Any]] = {}
    outcomes: dict[int, str] = {}
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "task.completed",
                                                      AuditEvent.case_id.in_(list(cases)))
                             .order_by(AuditEvent.id)) if cases else []
    for event in events:
        task, data = event.detail.get("task"), event.detail.get("facts") or {}
        if task in TRIAGE_TASKS:
            triage[event.case_id] = data  # a later re-triage replaces the first one's answers
        elif task == POLICE_FOLLOW_UP and data.get("police_status") not in (None, STILL_OPEN_POLICE_STATUS):
            outcomes[event.case_id] = data["police_status"]
    first_triage: dict[int, Task] = {}
    if cases:
        for row in session.scalars(select(Task).where(Task.case_id.in_(list(cases)), Task.spec_name == FIRST_TRIAGE,
                                                      Task.status == "completed").order_by(Task.completed_at)):
            first_triage.setdefault(row.case_id, row)
    hours = [(t.completed_at - cases[c].created_at).total_seconds() / 3600
             for c, t in first_triage.items() if t.completed_at]
    on_time = sum(1 for t in first_triage.values() if t.due_at is None or (t.completed_at or t.due_at) <= t.due_at)
    return Figures(
        period_from=period_from, period_to=period_to, cases=len(cases),
        by_month=dict(sorted(Counter(c.created_at.strftime("%Y-%m") for c in cases.values()).items())),
        by_category=dict(Counter(t.get("category", "unknown") for t in triage.values()).most_common()),
        by_severity=dict(Counter(t.get("severity", "unknown") for t in triage.values()).most_common()),
        by_source=dict(Counter("internal" if str(t.get("source", "")).startswith("internal") else "external"
                               for t in triage.values()).most_common()),
        not_triaged=len(set(cases) - set(triage)),
        police_outcomes=dict(Counter(outcomes.values()).most_common()),
        triaged=len(first_triage), triaged_on_time=on_time,
        median_hours_to_triage=round(median(hours), 1) if hours else None,
        active_wellbeing_support=len(wellbeing_running(session)),
        repeat_perpetrators=_repeat_perpetrators(session, set(cases)),
    )


def _repeat_perpetrators(session: Session, case_ids: set[int]) -> int:
    """Perpetrators linked to more than one case, at least one of them opened in the period."""
    if not case_ids:
        return 0
    repeaters = select(OffenderCase.offender_id).group_by(OffenderCase.offender_id) \
        .having(func.count(OffenderCase.case_id) > 1)
    return session.scalar(select(func.count(func.distinct(OffenderCase.offender_id)))
                          .where(OffenderCase.offender_id.in_(repeaters),
                                 OffenderCase.case_id.in_(list(case_ids)))) or 0


def summary(session: Session, *, since_months: int, now: datetime) -> dict[str, Any]:
    """The figures for the last `since_months` months, as JSON-ready data for the briefing task."""
    found = asdict(figures(session, (now - relativedelta(months=since_months)).date(), now.date()))
    found["period_from"], found["period_to"] = found["period_from"].isoformat(), found["period_to"].isoformat()
    return found
