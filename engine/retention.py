"""Keeping personal data no longer than the council's settings allow.

`run_retention` (run daily by the scheduler) anonymises cases closed longer ago than
`closed_case_retention_years` and deletes wellbeing notes `wellbeing_notes_retention_months` after wellbeing
support ended. Both also remove the personal data the audit log kept beside its chain for those events
(`audit.forget_personal`); the chain itself is never edited, so it keeps verifying. Each anonymisation and
deletion is recorded as a new event and marked in `case_retention`, and every export or page that shows a
case's content asks `withheld(...)` first and leaves out what retention has removed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from engine import audit, clock
from engine.db import Database
from engine.models import Base, Case, Instance, OutboxMessage, SpecBundle, Task
from engine.records import CaseNote, Document

if TYPE_CHECKING:
    from engine.service import WorkflowService

log = logging.getLogger(__name__)

ANONYMISED = "anonymised"
WELLBEING_DELETED = "wellbeing_notes_deleted"
WELLBEING_PROCESS = "wellbeing"
CLOSED_STATUSES = ("closed", "withdrawn")


class CaseRetention(Base):
    """What retention has already done to a case: one row per kind, so nothing is done twice."""

    __tablename__ = "case_retention"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    done_at: Mapped[datetime]


@dataclass
class RetentionReport:
    """References of the cases each run changed, and those it had to leave for a later run."""

    anonymised: list[str] = field(default_factory=list)
    wellbeing_notes_deleted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def retention_summary(service: WorkflowService) -> dict[str, int]:
    """The retention periods in force, for the privacy notice."""
    return {"closed_case_retention_years": int(service.setting("closed_case_retention_years")),
            "wellbeing_notes_retention_months": int(service.setting("wellbeing_notes_retention_months"))}


def withheld(session: Session, case_ids: Iterable[int]) -> dict[int, set[str]]:
    """For each case retention has touched, what it did (ANONYMISED, WELLBEING_DELETED)."""
    ids = list(set(case_ids))
    done: dict[int, set[str]] = {}
    if ids:
        for row in session.scalars(select(CaseRetention).where(CaseRetention.case_id.in_(ids))):
            done.setdefault(row.case_id, set()).add(row.kind)
    return done


def run_retention(service: WorkflowService, now: datetime | None = None,
                  remove_document: Callable[[str], None] | None = None) -> RetentionReport:
    """Apply the retention periods once; safe to run as often as wanted. `remove_document` deletes an
    evidence file's bytes by its storage key (the web app's upload folder); the rows go regardless."""
    now = now or clock.now()
    summary = retention_summary(service)
    report = RetentionReport()
    closed_before = now - relativedelta(years=summary["closed_case_retention_years"])
    ended_before = now - relativedelta(months=summary["wellbeing_notes_retention_months"])
    for case_id in _due_for_anonymising(service.db, closed_before):
        _one_case(service.db, case_id, report, lambda s, c: _anonymise(s, c, remove_document))
    for case_id in _due_for_wellbeing_deletion(service.db, ended_before):
        _one_case(service.db, case_id, report, _delete_wellbeing_notes)
    with service.db.write() as session:
        audit.append(session, "retention.ran", actor_id=None,
                     detail={"anonymised": report.anonymised, "wellbeing_notes_deleted":
                             report.wellbeing_notes_deleted, "skipped": report.skipped, **summary})
    return report


def _one_case(db: Database, case_id: int, report: RetentionReport,
              action: Callable[[Session, Case], str | None]) -> None:
    """One transaction per case, so one case that cannot be done now does not hold up the rest."""
    try:
        with db.write() as session:
            case = session.get(Case, case_id)
            done = action(session, case) if case is not None else None
            if done is None and case is not None:
                report.skipped.append(case.reference)
            elif case is not None:
                session.add(CaseRetention(case_id=case.id, kind=done, done_at=clock.now()))
                audit.append(session, f"case.{done}", actor_id=None, case_id=case.id,
                             detail={"reference": case.reference})
                (report.anonymised if done == ANONYMISED else report.wellbeing_notes_deleted).append(case.reference)
    except StaleDataError:
        log.info("Case %s changed during retention; it is retried on the next run.", case_id)


def _due_for_anonymising(db: Database, closed_before: datetime) -> list[int]:
    with db.read() as session:
        done = select(CaseRetention.case_id).where(CaseRetention.kind == ANONYMISED)
        return list(session.scalars(select(Case.id).where(Case.status.in_(CLOSED_STATUSES),
                                                          Case.closed_at.is_not(None),
                                                          Case.closed_at <= closed_before,
                                                          Case.id.not_in(done)).order_by(Case.id)))


def _anonymise(session: Session, case: Case, remove_document: Callable[[str], None] | None) -> str | None:
    instances = list(session.scalars(select(Instance).where(Instance.case_id == case.id)))
    if any(i.status == "running" for i in instances):
        return None  # something still runs on the case: anonymising would pull data from under it
    for instance in instances:
        instance.state = _scrubbed(instance.state, keys=None)
    session.execute(delete(CaseNote).where(CaseNote.case_id == case.id))
    for document in session.scalars(select(Document).where(Document.case_id == case.id)):
        if remove_document is not None:
            remove_document(document.storage_key)
        session.delete(document)
    session.execute(delete(OutboxMessage).where(OutboxMessage.case_id == case.id,
                                                OutboxMessage.status.in_(("sent", "failed"))))
    audit.forget_personal(session, case_id=case.id)
    case.councillor_id = case.reported_by_id = None
    return ANONYMISED


def _due_for_wellbeing_deletion(db: Database, ended_before: datetime) -> list[int]:
    """Cases whose wellbeing support ended (no wellbeing task open, no wellbeing process running) before
    `ended_before`; the end is when the last wellbeing task was done."""
    with db.read() as session:
        done = set(session.scalars(select(CaseRetention.case_id).where(CaseRetention.kind.in_(
            (WELLBEING_DELETED, ANONYMISED)))))
        last_done: dict[int, datetime] = {}
        open_cases: set[int] = set()
        for row in session.execute(select(Task.case_id, Task.status, Task.completed_at)
                                   .where(Task.process_id == WELLBEING_PROCESS, Task.case_id.is_not(None))):
            if row.status == "open":
                open_cases.add(row.case_id)
            elif row.completed_at is not None:
                last_done[row.case_id] = max(row.completed_at, last_done.get(row.case_id, row.completed_at))
        candidates = [c for c, at in last_done.items() if at <= ended_before and c not in open_cases | done]
        running = wellbeing_running(session, candidates)
        return sorted(c for c in candidates if c not in running)


def wellbeing_running(session: Session, case_ids: Iterable[int] | None = None) -> set[int]:
    """Cases with wellbeing support under way: a wellbeing process running, on its own or called from the
    case's support process (then it is a running subprocess in the instance's state)."""
    query = select(Instance).where(Instance.status == "running", Instance.case_id.is_not(None))
    if case_ids is not None:
        query = query.where(Instance.case_id.in_(list(case_ids)))
    else:
        with_wellbeing = select(Task.instance_id).where(Task.process_id == WELLBEING_PROCESS)
        query = query.where((Instance.process_id == WELLBEING_PROCESS) | Instance.id.in_(with_wellbeing))
    found = set()
    for instance in session.scalars(query):
        subprocesses = (instance.state or {}).get("subprocesses", {}).values()
        if instance.process_id == WELLBEING_PROCESS or any(
                s.get("spec") == WELLBEING_PROCESS and not s.get("completed") for s in subprocesses):
            found.add(instance.case_id)
    return found


def _delete_wellbeing_notes(session: Session, case: Case) -> str | None:
    keys = wellbeing_fields(session, case.id)
    for instance in session.scalars(select(Instance).where(Instance.case_id == case.id)):
        instance.state = _scrubbed(instance.state, keys=keys)
    audit.forget_personal(session, case_id=case.id, task_ids=session.scalars(
        select(Task.id).where(Task.case_id == case.id, Task.process_id == WELLBEING_PROCESS)).all())
    return WELLBEING_DELETED


def wellbeing_fields(session: Session, case_id: int) -> set[str]:
    """The fields of the forms the case's wellbeing tasks used, less any a non-wellbeing form also asks."""
    rows = session.execute(select(Task.process_id, Task.form, Instance.spec_bundle_id)
                           .join(Instance, Instance.id == Task.instance_id)
                           .where(Task.case_id == case_id, Task.form.is_not(None))).all()
    bundles = {r.spec_bundle_id for r in rows}
    forms: dict[str, Any] = {}
    for bundle_forms in session.scalars(select(SpecBundle.forms).where(SpecBundle.id.in_(bundles))):
        forms.update(bundle_forms or {})

    def fields(process_wanted: bool) -> set[str]:
        return {name for r in rows if (r.process_id == WELLBEING_PROCESS) == process_wanted
                for name in ((forms.get(r.form) or {}).get("properties") or {})}

    return fields(True) - fields(False)


def _scrubbed(state: dict[str, Any], keys: set[str] | None) -> dict[str, Any]:
    """A copy of an instance's stored state with the given data keys removed (every key if None), from the
    workflow's data, each task's data and change set, and each subprocess."""
    def clean(data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {} if keys is None else {k: v for k, v in data.items() if k not in keys}

    def workflows(dct: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield dct
        yield from (dct.get("subprocesses") or {}).values()

    state = _copy(state)
    for workflow in workflows(state):
        workflow["data"] = clean(workflow.get("data"))
        for task in (workflow.get("tasks") or {}).values():
            task["data"] = clean(task.get("data"))
            delta = task.get("delta")
            if isinstance(delta, dict) and isinstance(delta.get("updates"), dict):
                delta["updates"] = clean(delta["updates"])
    return state


def _copy(state: dict[str, Any]) -> dict[str, Any]:
    # A new object, so SQLAlchemy sees the JSON column change.
    return json.loads(json.dumps(state or {}))
