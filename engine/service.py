"""The engine's service API: the one door `web/` and the CLI use to run processes.

Every write is one transaction: the workflow's new state (guarded by its lock version), the task
projection, the next wake time and the audit events are committed together or not at all.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from engine import audit, clock, deployment, forms, incidents, outbox, spiff, task_tree
from engine.catalogue import Assignment, Catalogue, ServiceCall
from engine.db import Database
from engine.errors import Conflict, EngineError, Forbidden, FormInvalid, NotFound, ScriptError
from engine.models import Case, CaseSequence, Incident, Instance, ProcessModelVersion, Setting, SpecBundle, Task, User
from engine.sandbox import Sandbox
from engine.validation import DUE_PROPERTY, CatalogueReport, check_catalogue
from engine.working_time import WorkingCalendar, deadline_helpers

SYSTEM_ROLE = "system"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in person with their roles, or the system (timers, the scheduler)."""

    user_id: int | None
    roles: frozenset[str] = frozenset()

    @classmethod
    def system(cls) -> Actor:
        return cls(None, frozenset({SYSTEM_ROLE}))

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.role_slugs)

    @property
    def is_system(self) -> bool:
        return SYSTEM_ROLE in self.roles


SCOPES = ("mine", "claimable", "all")
UNKNOWN_SCOPE = "scope must be mine, claimable or all."


@dataclass(frozen=True)
class TaskQuery:
    """What an inbox asks for: one scope, optional filters, a page."""

    scope: str = "mine"  # mine | claimable | all
    process_id: str | None = None
    due_before: datetime | None = None
    case_id: int | None = None
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True)
class TaskPage:
    tasks: list[Task]
    total: int
    page: int
    per_page: int
    references: dict[int, str] = field(default_factory=dict)
    """Case id → case reference, for the cases of the tasks on this page (read with them)."""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class InboxView:
    """Everything an inbox page shows, read in one transaction: each tab's count, one tab's page of tasks
    (with their case references) and the names of the processes."""

    counts: dict[str, int]
    page: TaskPage
    process_names: dict[str, str]


@dataclass
class Outcome:
    """What a write did: the instance, and the tasks it opened (for "what happens next")."""

    instance_id: int
    case_id: int | None
    opened: list[Task] = field(default_factory=list)
    completed: bool = False


# The statements every completion and timer runs, made once: building an expression costs more than
# SQLAlchemy's compiled-statement cache saves when it is built anew for each call.
_TASKS, _INSTANCES = Task.__table__, Instance.__table__
_SIBLING = _TASKS.alias("sibling")
# With the task, how many of its instance's tasks are open: when it is the only one (nearly always), the
# projection need not read them again.
_TASK_WITH_INSTANCE = (select(Task, Instance, Case,
                              select(func.count()).where(_SIBLING.c.instance_id == Task.instance_id,
                                                         _SIBLING.c.status == "open").scalar_subquery())
                       .join(Instance, Instance.id == Task.instance_id)
                       .outerjoin(Case, Case.id == Instance.case_id)
                       .where(Task.id == bindparam("task_id")).with_for_update(of=Task))
# The write path says its statements against the tables, not the mapped classes: the ORM's unit of work
# cost more than the workflow step itself on every completion (bench/PROFILES.md, fix 9).
_OPEN_TASK_IDS = select(_TASKS.c.id).where(_TASKS.c.instance_id == bindparam("instance_id"),
                                            _TASKS.c.status == "open")
_CLOSE_TASKS = (update(_TASKS).where(_TASKS.c.id.in_(bindparam("ids", expanding=True)), _TASKS.c.status == "open")
                .values(status=bindparam("new_status"), completed_at=bindparam("at"),
                        completed_by_id=bindparam("by")))
_ADD_TASKS = _TASKS.insert()
_DUE_INSTANCE = (select(Instance).where(Instance.id == bindparam("instance_id"), Instance.status == "running",
                                        Instance.next_wake_at < bindparam("now", type_=Instance.next_wake_at.type))
                 .with_for_update(skip_locked=True))
_RACED = "Someone else changed this case at the same moment. Reload and try again."
_INSTANCE_WRITES: dict[frozenset[str], Any] = {}


def _instance_update(columns: frozenset[str]) -> Any:
    """`UPDATE instances SET <columns>, lock_version = :seen + 1 WHERE id = … AND lock_version = :seen`, made once
    for each set of columns (there are a handful)."""
    statement = _INSTANCE_WRITES.get(columns)
    if statement is None:
        seen = bindparam("seen", type_=_INSTANCES.c.lock_version.type)
        statement = (update(_INSTANCES)
                     .where(_INSTANCES.c.id == bindparam("instance_id"), _INSTANCES.c.lock_version == seen)
                     .values({**{name: bindparam(f"new_{name}", type_=_INSTANCES.c[name].type) for name in columns},
                              "lock_version": seen + 1}))
        _INSTANCE_WRITES[columns] = statement
    return statement


class WorkflowService:
    def __init__(self, db: Database, catalogue: Catalogue,
                 after_commit: Callable[[], None] | None = None) -> None:
        self.db = db
        self.catalogue = catalogue
        self.after_commit = after_commit
        """Called after every commit that may change what the scheduler waits for (set by whoever runs it)."""
        self._forms: dict[str, dict[str, Any]] = {}
        self._bundle_hashes: dict[tuple[str, int], str] = {}

    # --- settings ------------------------------------------------------------------------------

    def setting(self, name: str, session: Session | None = None) -> Any:
        if name not in self.catalogue.settings:
            raise KeyError(f"There is no setting called {name!r}.")
        if session is None:
            with self.db.read() as read:
                return self.setting(name, read)
        return stored_setting(session, name, self.catalogue.settings)

    def settings(self) -> dict[str, Any]:
        with self.db.read() as session:
            stored = {s.name: s.value for s in session.scalars(select(Setting))}
        return {name: stored.get(name, default) for name, default in self.catalogue.settings.items()}

    def change_setting(self, name: str, value: Any, actor: Actor) -> None:
        self.change_settings({name: value}, actor)

    def change_settings(self, values: Mapping[str, Any], actor: Actor) -> None:
        """Change several settings at once: all are checked first, then written in one transaction. A change
        applies to deadlines and timers set after it; running timers keep their due times."""
        errors = {name: problem for name, value in values.items() if (problem := self._setting_problem(name, value))}
        if errors:
            raise FormInvalid(errors)
        with self.db.write() as session:
            for name, value in values.items():
                row = session.get(Setting, name)
                if row is None:
                    session.add(Setting(name=name, value=value, updated_by_id=actor.user_id))
                else:
                    row.value, row.updated_at, row.updated_by_id = value, clock.now(), actor.user_id
                audit.append(session, "setting.changed", actor_id=actor.user_id,
                             detail={"name": name, "value": value})

    def _setting_problem(self, name: str, value: Any) -> str | None:
        if name not in self.catalogue.settings:
            return f"There is no setting called {name!r}."
        choices = self.catalogue.setting_choices.get(name)
        if choices is not None:
            return None if value in choices else f"Choose one of: {', '.join(map(str, choices))}."
        if isinstance(self.catalogue.settings[name], int):
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
            return None if ok else "Enter a whole number of 1 or more."
        return None if isinstance(value, type(self.catalogue.settings[name])) else "This value has the wrong type."

    # --- diagrams ------------------------------------------------------------------------------

    def check_folder(self, folder: Path) -> CatalogueReport:
        diagrams, all_forms = deployment.read_folder(folder)
        return check_catalogue(diagrams, all_forms, self.catalogue, self.expression_helpers())

    def deploy_folder(self, folder: Path, actor: Actor | None = None) -> list[deployment.Deployed]:
        diagrams, all_forms = deployment.read_folder(folder)
        return self.deploy(diagrams, all_forms, actor or Actor.system())

    def deploy(self, diagrams: Iterable[deployment.Diagram], all_forms: Mapping[str, Any],
               actor: Actor) -> list[deployment.Deployed]:
        with self.db.write() as session:
            deployed = deployment.deploy(session, self.catalogue, diagrams, all_forms,
                                         helpers=self.expression_helpers(), actor_id=actor.user_id)
            for d in deployed:
                if d.created:
                    audit.append(session, "model.deployed", actor_id=actor.user_id,
                                 detail={"process_id": d.process_id, "version": d.version})
        return deployed

    def process_names(self) -> dict[str, str]:
        """Process id → name of its latest version, without reading the diagrams."""
        with self.db.read() as session:
            return deployment.latest_names(session)

    def process_models(self) -> list[ProcessModelVersion]:
        with self.db.read() as session:
            return sorted(deployment.latest_versions(session).values(), key=lambda v: v.name)

    # --- starting ------------------------------------------------------------------------------

    def open_case(self, data: Mapping[str, Any], *, councillor_id: int | None, actor: Actor,
                  process_id: str = "support") -> Outcome:
        """Open a case for a report and start its process, in one transaction."""
        with self.db.write() as session:
            case = self._new_case(session, councillor_id, actor)
            outcome = self._start(session, process_id, data, actor, case)
        self.committed()
        return outcome

    def start(self, process_id: str, data: Mapping[str, Any], actor: Actor,
              case_id: int | None = None) -> Outcome:
        with self.db.write() as session:
            case = session.get(Case, case_id) if case_id is not None else None
            if case_id is not None and case is None:
                raise NotFound("There is no such case.")
            outcome = self._start(session, process_id, data, actor, case)
        self.committed()
        return outcome

    def _new_case(self, session: Session, councillor_id: int | None, actor: Actor) -> Case:
        year = clock.now().year
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        number = session.execute(
            insert(CaseSequence).values(year=year, last=1)
            .on_conflict_do_update(index_elements=["year"], set_={"last": CaseSequence.last + 1})
            .returning(CaseSequence.last)).scalar_one()
        case = Case(reference=f"CS-{year}-{number:04d}", councillor_id=councillor_id,
                    reported_by_id=actor.user_id)
        session.add(case)
        session.flush()
        return case

    def _start(self, session: Session, process_id: str, data: Mapping[str, Any], actor: Actor,
               case: Case | None) -> Outcome:
        if not isinstance(data, Mapping):
            raise EngineError("The start data must be a JSON object.", field="data")
        version, bundle = deployment.bundle_for_new_instance(session, process_id)
        initial = {**data}
        if case is not None:
            initial.update(case_reference=case.reference)
        runtime = _Runtime(self, session, case, None, actor)
        spec, subprocess_specs = spiff.restored_specs(bundle.content_hash, lambda: bundle.specs)
        workflow = spiff.create_workflow(spec, subprocess_specs, runtime.script_engine, initial)
        instance = Instance(process_id=process_id, model_version_id=version.id, spec_bundle_id=bundle.id,
                            case_id=case.id if case else None, state={}, status="running")
        session.add(instance)
        session.flush()
        runtime.instance_id = instance.id
        audit.append(session, "instance.started", actor_id=actor.user_id, case_id=instance.case_id,
                     instance_id=instance.id,
                     detail={"process_id": process_id, "version": version.version, "facts": self._facts(initial)},
                     personal=initial)
        spiff.run_engine_steps(workflow)
        return self._save(session, instance, workflow, runtime, open_ids=set())  # a new instance has no rows

    # --- tasks ---------------------------------------------------------------------------------

    def complete_task(self, task_id: str, data: Mapping[str, Any], actor: Actor,
                      visible: Callable[[Task], bool] | None = None) -> Outcome:
        """Complete a user task with the form's data and run on until the instance waits again. `visible` is
        the caller's own need-to-know rule (the API's): a task it refuses is NotFound, checked first."""
        with self.db.write() as session:
            row, instance, case, open_count = self._open_task_with_instance(session, task_id, actor, visible)
            if row.assignee_id != actor.user_id:
                raise Forbidden("Only the person this task is assigned to can complete it. Claim it first.")
            submitted = forms.validate(self._form(session, row, bundle_id=instance.spec_bundle_id),
                                       dict(data) if isinstance(data, Mapping) else data)
            runtime = _Runtime(self, session, case, instance.id, actor)
            workflow = self._load(session, instance, runtime)
            if not spiff.complete(workflow, task_id, submitted):
                raise Conflict("This task is no longer waiting to be done. Reload to see where the case is.")
            audit.append(session, "task.completed", actor_id=actor.user_id, case_id=instance.case_id,
                         instance_id=instance.id, task_id=task_id,
                         detail={"task": row.spec_name, "title": row.title, "facts": self._facts(submitted)},
                         personal=submitted)
            outcome = self._save(session, instance, workflow, runtime, completed=(row, actor.user_id),
                                 open_ids={row.id} if open_count == 1 else None)
        self.committed()
        return outcome

    def claim(self, task_id: str, actor: Actor, visible: Callable[[Task], bool] | None = None) -> Task:
        """Take an unassigned task. `visible` as for `complete_task`."""
        return self._set_assignee(task_id, actor, actor.user_id, "task.claimed", require_unassigned=True,
                                  visible=visible)

    def unclaim(self, task_id: str, actor: Actor, visible: Callable[[Task], bool] | None = None) -> Task:
        return self._set_assignee(task_id, actor, None, "task.unclaimed", require_unassigned=False,
                                  visible=visible)

    def assign(self, task_id: str, user_id: int, actor: Actor) -> Task:
        with self.db.read() as session:
            user = session.get(User, user_id)
            row = session.get(Task, task_id)
            if user is None or row is None or (row.role and row.role not in user.role_slugs):
                raise EngineError("Choose someone who holds this task's role.", field="assignee")
        return self._set_assignee(task_id, actor, user_id, "task.assigned", require_unassigned=False)

    def _set_assignee(self, task_id: str, actor: Actor, assignee: int | None, action: str, *,
                      require_unassigned: bool, visible: Callable[[Task], bool] | None = None) -> Task:
        with self.db.write() as session:
            row = self._open_task_for_update(session, task_id, actor, visible)
            if action == "task.unclaimed" and row.assignee_id != actor.user_id:
                raise Forbidden("Only the person this task is assigned to can give it back.")
            if require_unassigned and row.assignee_id is not None:
                if row.assignee_id == actor.user_id:
                    return row
                raise Conflict("Someone else has already claimed this task.")
            changed = session.execute(
                update(Task).where(Task.id == task_id, Task.status == "open",
                                   Task.assignee_id.is_(row.assignee_id) if row.assignee_id is None
                                   else Task.assignee_id == row.assignee_id)
                .values(assignee_id=assignee).execution_options(synchronize_session=False)).rowcount
            if changed != 1:
                raise Conflict("Someone else changed this task first. Reload and try again.")
            audit.append(session, action, actor_id=actor.user_id, case_id=row.case_id,
                         instance_id=row.instance_id, task_id=task_id,
                         detail={"task": row.spec_name, "assignee_id": assignee})
            # What the UPDATE above wrote, told to the row without marking it changed (no second UPDATE).
            set_committed_value(row, "assignee_id", assignee)
        return row

    def _open_task_for_update(self, session: Session, task_id: str, actor: Actor,
                              visible: Callable[[Task], bool] | None = None) -> Task:
        row = session.scalar(select(Task).where(Task.id == _task_key(task_id)).with_for_update())
        if row is not None and visible is not None and not visible(row):
            raise NotFound("There is no such task.")
        return self._check_open_task(row, actor)

    def _open_task_with_instance(self, session: Session, task_id: str, actor: Actor,
                                 visible: Callable[[Task], bool] | None
                                 ) -> tuple[Task, Instance, Case | None, int]:
        """The task (locked, as `_open_task_for_update`), its instance, its case and how many of the instance's
        tasks are open, in one statement."""
        found = session.execute(_TASK_WITH_INSTANCE, {"task_id": _task_key(task_id)}).one_or_none()
        if found is None or (visible is not None and not visible(found[0])):
            raise NotFound("There is no such task.")
        row, instance, case, open_count = found
        return self._check_open_task(row, actor), instance, case, open_count

    def _check_open_task(self, row: Task | None, actor: Actor) -> Task:
        if row is None or not self._may_see_task(row, actor):
            raise NotFound("There is no such task.")
        if row.status != "open":
            raise Conflict("This task has already been completed or cancelled.")
        if row.role and row.role not in actor.roles and row.assignee_id != actor.user_id:
            raise Forbidden("This task is for another role.")
        return row

    def _may_see_task(self, row: Task, actor: Actor) -> bool:
        # A personal role's task (the councillor's own, a group contact's) is its assignee's alone.
        shared = row.role in actor.roles and row.role not in self.catalogue.personal_roles
        return actor.is_system or row.assignee_id == actor.user_id or shared

    def _shared_roles(self, actor: Actor) -> list[str]:
        return sorted(actor.roles - self.catalogue.personal_roles)

    def task(self, task_id: str, actor: Actor) -> tuple[Task, dict[str, Any] | None, dict[str, Any] | None]:
        """A task with its form's JSON Schema and UI schema."""
        with self.db.read() as session:
            row = session.get(Task, _task_key(task_id))
            if row is None or not self._may_see_task(row, actor):
                raise NotFound("There is no such task.")
            return row, self._form(session, row), self._form(session, row, ui=True)

    def tasks(self, query: TaskQuery, actor: Actor) -> TaskPage:
        """A page of open tasks from the projection, with their case references; never touches workflow
        state."""
        with self.db.read() as session:
            return self._task_page(session, query, actor)

    def inbox(self, query: TaskQuery, actor: Actor, scopes: Iterable[str]) -> InboxView:
        """An inbox page's whole read, in one transaction (so counts and page agree): the count of each of
        `scopes`, the page `query` asks for, and the process names for the filter."""
        with self.db.read() as session:
            counts = self._task_counts(session, scopes, actor)
            # Unfiltered, the page's total is its tab's count: counting a large tab once is enough.
            unfiltered = query == TaskQuery(scope=query.scope, page=query.page, per_page=query.per_page)
            page = self._task_page(session, query, actor, counts.get(query.scope) if unfiltered else None)
            return InboxView(counts, page, deployment.latest_names(session))

    def _task_page(self, session: Session, query: TaskQuery, actor: Actor, total: int | None = None) -> TaskPage:
        """A page of `query`'s tasks; `total` when it is already known (counted in the same transaction)."""
        per_page = max(1, min(query.per_page, 200))
        page = max(1, query.page)
        if total is None:
            total = session.scalar(_count_of(self._task_filter(query, actor))) or 0
        rows = list(session.scalars(self._page_of(session, query, actor, (page - 1) * per_page, per_page)))
        case_ids = sorted({row.case_id for row in rows if row.case_id is not None})
        references = dict(session.execute(select(Case.id, Case.reference).where(Case.id.in_(case_ids))).all()) \
            if case_ids else {}
        return TaskPage(rows, total, page, per_page, references)

    def _page_of(self, session: Session, query: TaskQuery, actor: Actor, skip: int, size: int) -> Any:
        """The statement for one page of a tab. `role IN (a, b)` cannot be read off an index in due order, so
        for several roles each role's first rows are read in order off its own index range and only those
        are merged: a page costs the same whether a role holds fifty open tasks or fifty thousand."""
        roles = self._shared_roles(actor) if query.scope != "mine" else []
        if len(roles) < 2:
            return (select(Task).where(*self._task_filter(query, actor))
                    .order_by(*_soonest_due_first(session)).offset(skip).limit(size))
        firsts = union_all(*[
            select(select(Task.id, Task.due_at, Task.created_at).where(*self._task_filter(query, actor, roles=[role]))
                   .order_by(*_soonest_due_first(session)).limit(skip + size).subquery())
            for role in roles]).subquery()
        return (select(Task).join(firsts, Task.id == firsts.c.id)
                .order_by(*_soonest_due_first(session, firsts.c.due_at, firsts.c.created_at)).offset(skip).limit(size))

    def _task_counts(self, session: Session, scopes: Iterable[str], actor: Actor) -> dict[str, int]:
        """Each tab's count. The two role tabs take one read of the role index between them: claimable is
        "all" without an assignee."""
        scopes = list(scopes)
        if not set(scopes) <= set(SCOPES):
            raise EngineError(UNKNOWN_SCOPE, field="scope")
        counts: dict[str, int] = {}
        if "mine" in scopes:
            counts["mine"] = session.scalar(_count_of(self._task_filter(TaskQuery(scope="mine"), actor))) or 0
        if {"claimable", "all"} & set(scopes):
            unassigned = func.count().filter(Task.assignee_id.is_(None))
            counts["all"], counts["claimable"] = session.execute(
                _count_of(self._task_filter(TaskQuery(scope="all"), actor), unassigned)).one()
        return {scope: counts[scope] for scope in scopes}

    def _task_filter(self, query: TaskQuery, actor: Actor, roles: list[str] | None = None) -> list[Any]:
        """What picks a tab's open tasks out of the projection; `roles` narrows a role tab to some of the
        actor's roles. Conditions rather than a statement, so a count need not wrap the page's query."""
        where = [Task.status == "open"]
        roles = self._shared_roles(actor) if roles is None else roles
        if query.scope == "mine":
            where.append(Task.assignee_id == actor.user_id)
        elif query.scope == "claimable":
            where += [Task.assignee_id.is_(None), Task.role.in_(roles)]
        elif query.scope == "all":
            where.append(Task.role.in_(roles))
        else:
            raise EngineError(UNKNOWN_SCOPE, field="scope")
        if query.process_id:
            where.append(Task.process_id == query.process_id)
        if query.due_before:
            where.append(Task.due_at <= query.due_before)
        if query.case_id is not None:
            where.append(Task.case_id == query.case_id)
        return where

    # --- instances -----------------------------------------------------------------------------

    def cancel(self, instance_id: int, actor: Actor, reason: str) -> None:
        with self.db.write() as session:
            instance = self._instance(session, instance_id)
            if instance.status in ("completed", "cancelled"):
                raise Conflict("This process has already ended.")
            runtime = _Runtime(self, session, self._case(session, instance), instance.id, actor)
            workflow = self._load(session, instance, runtime)
            spiff.cancel(workflow)
            audit.append(session, "instance.cancelled", actor_id=actor.user_id, case_id=instance.case_id,
                         instance_id=instance.id, detail={"reason": reason})
            self._save(session, instance, workflow, runtime, status="cancelled")
        self.committed()

    def wake(self, instance_id: int) -> bool:
        """Fire the instance's due timers and run on, once however many schedulers ask: the row is claimed
        (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's writer lock and the lock version elsewhere) and
        re-checked as due inside the transaction that fires it. False if nothing was due, someone else
        has it, or the step failed (then it is retried later, and becomes an incident after the last try)."""
        try:
            with self.db.write() as session:
                instance = session.scalar(_DUE_INSTANCE, {"instance_id": instance_id, "now": clock.now()})
                if instance is None:
                    return False
                runtime = _Runtime(self, session, self._case(session, instance), instance.id, Actor.system())
                workflow = self._load(session, instance, runtime)
                due = [t.name for t in spiff.waiting_timers(workflow) if t.due_at and t.due_at < clock.now()]
                spiff.run_engine_steps(workflow)
                audit.append(session, "timer.fired", actor_id=None, case_id=instance.case_id,
                             instance_id=instance.id, detail={"timers": due})
                self._save(session, instance, workflow, runtime, changes={"wake_attempts": 0, "last_error": None})
        except Conflict:
            return False  # someone moved it on first; their commit stands
        except OperationalError:
            raise  # the database itself is unwell: not the instance's fault, so no attempt is counted
        except Exception as error:  # a failing step of any kind must not stop the other instances
            log.warning("Instance %s failed to move on: %s", instance_id, error)
            with self.db.write() as session:
                incidents.record_failure(session, instance_id, error)
            self.committed()
            return False
        self.committed()
        return True

    def due_instances(self, limit: int = 500) -> list[int]:
        """Ids of instances whose next timer is due, earliest first; reads the index, never the state."""
        with self.db.read() as session:
            return list(session.scalars(
                # Only running instances have a wake time, so the next_wake_at index alone answers this.
                select(Instance.id).where(Instance.next_wake_at < clock.now())
                .order_by(Instance.next_wake_at).limit(limit)))

    def next_wake_at(self) -> datetime | None:
        with self.db.read() as session:
            return session.scalar(select(func.min(Instance.next_wake_at)))

    def incidents(self, status: str | None = "open") -> list[Incident]:
        """Instances the scheduler gave up on, newest first, with the error (for the admin pages)."""
        with self.db.read() as session:
            return incidents.listing(session, status=status)

    def retry_incident(self, incident_id: int, actor: Actor) -> Incident:
        """Hand an instance with an incident back to the scheduler, with a fresh set of tries."""
        with self.db.write() as session:
            incident = incidents.retry(session, incident_id, actor.user_id)
        self.committed()
        return incident

    def running_count(self, process_id: str) -> int:
        """How many instances of a process are running (a timer-started process needs one waiting)."""
        with self.db.read() as session:
            return session.scalar(select(func.count()).select_from(Instance).where(
                Instance.process_id == process_id, Instance.status == "running")) or 0

    def instance(self, instance_id: int) -> Instance:
        with self.db.read() as session:
            return self._instance(session, instance_id)

    def waiting_timers(self, instance_id: int) -> list[spiff.WaitingTimer]:
        with self.db.read() as session:
            return spiff.waiting_timers(self.restore(session, self._instance(session, instance_id)))

    def instance_data(self, instance_id: int) -> dict[str, Any]:
        with self.db.read() as session:
            return spiff.data_of(self.restore(session, self._instance(session, instance_id)))

    # --- for the engine's own modules that read or move a workflow (engine/versions.py) --------

    def restore(self, session: Session, instance: Instance) -> Any:
        """The instance's workflow as it is stored, to look at (its scripts run as the system)."""
        return self._load(session, instance, _Runtime(self, session, None, instance.id, Actor.system()))

    def save_moved(self, session: Session, instance: Instance, workflow: Any, actor: Actor,
                   changes: Mapping[str, Any]) -> Case | None:
        """Write a workflow moved onto other specs, with the instance's `changes` (its version), as any step
        is written: state under the lock version, the task projection and its emails. Returns the case."""
        case = self._case(session, instance)
        runtime = _Runtime(self, session, case, instance.id, actor)
        workflow.script_engine = runtime.script_engine
        self._save(session, instance, workflow, runtime, changes=changes)
        return case

    def case(self, reference: str) -> Case:
        with self.db.read() as session:
            case = session.scalar(select(Case).where(Case.reference == _plain(reference, 20)))
            if case is None:
                raise NotFound("There is no such case.")
            return case

    def history(self, *, case_id: int | None = None, instance_id: int | None = None) -> list[Any]:
        with self.db.read() as session:
            return audit.history(session, case_id=case_id, instance_id=instance_id)

    def verify_audit(self) -> audit.ChainReport:
        with self.db.read() as session:
            return audit.verify(session)

    # --- internals -----------------------------------------------------------------------------

    def _instance(self, session: Session, instance_id: int) -> Instance:
        instance = session.get(Instance, instance_id)
        if instance is None:
            raise NotFound("There is no such process instance.")
        return instance

    def _case(self, session: Session, instance: Instance) -> Case | None:
        return session.get(Case, instance.case_id) if instance.case_id is not None else None

    def _bundle_hash(self, session: Session, bundle_id: int) -> str:
        # Bundles never change once written, but ids are per database: key by the database too.
        key = (str(self.db.url), bundle_id)
        digest = self._bundle_hashes.get(key)
        if digest is None:
            digest = session.scalar(select(SpecBundle.content_hash).where(SpecBundle.id == bundle_id))
            self._bundle_hashes[key] = digest
        return digest

    def _load(self, session: Session, instance: Instance, runtime: _Runtime) -> Any:
        digest = self._bundle_hash(session, instance.spec_bundle_id)
        spec, subprocess_specs = spiff.restored_specs(
            digest, lambda: session.scalar(select(SpecBundle.specs).where(SpecBundle.id == instance.spec_bundle_id)))
        return spiff.load(instance.state, spec, subprocess_specs, runtime.script_engine)

    def _form(self, session: Session, row: Task, ui: bool = False,
              bundle_id: int | None = None) -> dict[str, Any] | None:
        name = row.ui_form if ui else row.form
        if not name:
            return None
        instance_bundle = bundle_id if bundle_id is not None else session.scalar(
            select(Instance.spec_bundle_id).where(Instance.id == row.instance_id))
        digest = self._bundle_hash(session, instance_bundle)
        bundle_forms = self._forms.get(digest)
        if bundle_forms is None:
            bundle_forms = session.scalar(select(SpecBundle.forms).where(SpecBundle.id == instance_bundle)) or {}
            self._forms[digest] = bundle_forms
        return bundle_forms.get(name)

    def _save(self, session: Session, instance: Instance, workflow: Any, runtime: _Runtime,
              status: str | None = None, completed: tuple[Task, int | None] | None = None,
              changes: Mapping[str, Any] | None = None, open_ids: set[str] | None = None) -> Outcome:
        """Persist the workflow, its task projection and next wake time; `completed` is the task row just done
        and who did it, `changes` more of the instance's columns to write with its state, `open_ids` the ids of
        the instance's open task rows when the caller already knows them. Audit events appended in the same
        transaction are written when it commits (engine/audit.py)."""
        now = clock.now()
        done = spiff.is_completed(workflow)
        task_tree.prune(workflow)
        status = status or ("completed" if done else "running")
        values = {**(changes or {}), "state": spiff.dump(workflow), "updated_at": now, "status": status,
                  "next_wake_at": spiff.next_wake_at(workflow) if status == "running" else None}
        if done and instance.completed_at is None:
            values["completed_at"] = now
        try:
            session.flush()  # whatever the caller changed through the ORM goes first, under the lock version
        except StaleDataError:
            raise Conflict(_RACED) from None
        self._write_instance(session, instance, values)
        opened = self._project(session, instance, workflow, runtime, now, completed, open_ids)
        if status == "completed":
            audit.append(session, "instance.completed", actor_id=None, case_id=instance.case_id,
                         instance_id=instance.id, detail={"process_id": instance.process_id})
        return Outcome(instance.id, instance.case_id, opened, done)

    @staticmethod
    def _write_instance(session: Session, instance: Instance, values: Mapping[str, Any]) -> None:
        """One UPDATE guarded by the lock version: a writer that lost the race stops here, and its whole
        transaction rolls back. The loaded row is told what was written, so the ORM never writes it again."""
        seen = instance.lock_version
        parameters = {f"new_{name}": value for name, value in values.items()}
        if session.execute(_instance_update(frozenset(values)),
                           {**parameters, "instance_id": instance.id, "seen": seen}).rowcount != 1:
            raise Conflict(_RACED)
        for name, value in {**values, "lock_version": seen + 1}.items():
            set_committed_value(instance, name, value)

    def _project(self, session: Session, instance: Instance, workflow: Any, runtime: _Runtime, now: datetime,
                 completed: tuple[Task, int | None] | None, open_ids: set[str] | None) -> list[Task]:
        """Bring the instance's rows in the tasks table in line with the workflow's ready user tasks: close
        the task just done and those no longer ready, add rows for newly ready ones, and write the emails
        the new ones send. Returns the new rows."""
        ready = {t.id: t for t in spiff.ready_user_tasks(workflow)}
        open_ids = set(session.scalars(_OPEN_TASK_IDS, {"instance_id": instance.id})) if open_ids is None \
            else set(open_ids)
        if completed is not None:
            row, by = completed
            open_ids.discard(row.id)
            self._close(session, [row.id], "completed", now, by)
            for name, value in (("status", "completed"), ("completed_at", now), ("completed_by_id", by)):
                set_committed_value(row, name, value)
        self._close(session, sorted(open_ids - ready.keys()), "cancelled", now, None)
        opened = [self._new_row(session, instance, task, runtime, now)
                  for task_id, task in ready.items() if task_id not in open_ids]
        if opened:
            session.execute(_ADD_TASKS, [_columns(row) for row in opened])
        outbox.tasks_opened(session, opened, runtime.case.reference if runtime.case else None,
                            self.catalogue.personal_roles)
        return opened

    @staticmethod
    def _close(session: Session, ids: list[str], status: str, now: datetime, by: int | None) -> None:
        if ids:
            session.execute(_CLOSE_TASKS, {"ids": ids, "new_status": status, "at": now, "by": by})

    def _new_row(self, session: Session, instance: Instance, task: spiff.ReadyUserTask, runtime: _Runtime,
                 now: datetime) -> Task:
        role = self.catalogue.role_for_lane(task.lane)
        assignee = self.catalogue.assign(Assignment(session, role, runtime.case, task.spec_name, task.data)) \
            if role is not None else None
        return Task(id=task.id, instance_id=instance.id, case_id=instance.case_id, process_id=task.process_id,
                    spec_name=task.spec_name, title=task.title, lane=task.lane, role=role,
                    form=task.properties.get("formJsonSchemaFilename"),
                    ui_form=task.properties.get("formUiSchemaFilename"), assignee_id=assignee,
                    due_at=runtime.due_at(task), created_at=now, status="open", completed_at=None,
                    completed_by_id=None, reminded_at=None, escalated_at=None)

    def committed(self) -> None:
        """After a write's commit: tell whoever listens (the scheduler re-arms for the next timer)."""
        if self.after_commit is not None:
            self.after_commit()

    def _facts(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The answers that are categories, not personal data: they stay in the audit log for the
        statistics after retention removes the rest."""
        return {name: data[name] for name in self.catalogue.audit_facts if name in data}

    def expression_helpers(self) -> dict[str, Any]:
        """The deadline helpers a diagram's expressions may call, as the validator tries them."""
        return deadline_helpers(WorkingCalendar(self.catalogue.settings.get("bank_holiday_region",
                                                                            "england-and-wales")))


class _Runtime:
    """What one operation on one instance needs while SpiffWorkflow runs: the sandboxed script engine
    with settings and deadline helpers, and the bridge to service-task handlers."""

    def __init__(self, service: WorkflowService, session: Session, case: Case | None, instance_id: int | None,
                 actor: Actor) -> None:
        self.service = service
        self.session = session
        self.case = case
        self.instance_id = instance_id
        self.actor = actor
        self._settings: dict[str, Any] = {}
        helpers = {**deadline_helpers(self._calendar), **service.catalogue.helpers, "setting": self.setting}
        self.sandbox = Sandbox(helpers)
        self.script_engine = spiff.SandboxScriptEngine(self.sandbox, self.call_service)

    def _calendar(self) -> WorkingCalendar:
        if "bank_holiday_region" not in self.service.catalogue.settings:
            return WorkingCalendar()
        return WorkingCalendar(self.setting("bank_holiday_region"))

    def setting(self, name: str) -> Any:
        if name not in self._settings:
            try:
                self._settings[name] = self.service.setting(name, self.session)
            except KeyError as error:
                raise ScriptError(str(error.args[0])) from None
        return self._settings[name]

    def due_at(self, task: spiff.ReadyUserTask) -> datetime | None:
        expression = task.properties.get(DUE_PROPERTY)
        if not expression:
            return None
        value = self.sandbox.evaluate(expression, task.data)
        return clock.parse_instant(value) if value else None

    def call_service(self, operation: str, params: dict[str, Any], data: dict[str, Any]) -> Any:
        handler = self.service.catalogue.handlers.get(operation)
        if handler is None:
            raise ScriptError(f"No service task handler is registered as {operation!r}.")
        call = ServiceCall(session=self.session, case=self.case, instance_id=self.instance_id,
                           operation=operation, params=params, data=json.loads(json.dumps(data, default=str)),
                           now=clock.now(), setting=self.setting, start_case=self.start_case)
        return dict(handler(call))

    def start_case(self, data: Mapping[str, Any], *, councillor_id: int | None,
                   process_id: str = "support") -> Case:
        """Open another case from inside a service task, in the same transaction."""
        case = self.service._new_case(self.session, councillor_id, self.actor)
        self.service._start(self.session, process_id, data, self.actor, case)
        return case


def _columns(row: Task) -> dict[str, Any]:
    """A new task row's values for `_ADD_TASKS`."""
    return {column.key: getattr(row, column.key) for column in _TASKS.columns}


def _count_of(where: list[Any], *more: Any) -> Any:
    """`count(*)` (and `more` columns) over the tasks `where` picks, read straight off the table."""
    return select(func.count(), *more).select_from(Task).where(*where)


def _soonest_due_first(session: Session, due_at: Any = Task.due_at, created_at: Any = Task.created_at
                       ) -> tuple[Any, ...]:
    """Open tasks soonest due first, those without a deadline last, then oldest first. PostgreSQL's
    `NULLS LAST` is the inbox indexes' own order, so a page can be read off the index without a sort;
    SQLite sorts nulls first, so there it is said with an expression."""
    if session.get_bind().dialect.name == "postgresql":
        return due_at.asc().nulls_last(), created_at
    return due_at.is_(None), due_at, created_at


def _plain(value: object, longest: int) -> str:
    """An identifier from a URL or body as text the database can compare: a NUL byte or an absurd
    length can only be a guess, so it matches nothing rather than reaching the driver."""
    text = str(value)
    return "" if "\x00" in text or len(text) > longest else text


def _task_key(task_id: object) -> str:
    return _plain(task_id, 36)


def stored_setting(session: Session, name: str, defaults: Mapping[str, Any]) -> Any:
    """A setting's value as the council set it, or its default: read inside the caller's transaction."""
    row = session.get(Setting, name)
    return defaults[name] if row is None else row.value
