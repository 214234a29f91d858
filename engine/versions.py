"""Process model versions side by side: what changed between two versions, which running instances can
move to a newer version and why not, moving them, and what an instance's diagram shows (no case data).

Migration uses SpiffWorkflow's diff utilities. An instance moves only if every task it has done or is
waiting at still exists in the new version; anything else is refused and left exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit, clock, deployment, drafts, form_versions, spiff
from engine.catalogue import Assignment
from engine.errors import EngineError, NotFound, Problem
from engine.models import Incident, Instance, ProcessModelVersion, SpecBundle, Task
from engine.validation import check_catalogue

if TYPE_CHECKING:
    from engine.service import Actor, WorkflowService

_REGISTRY = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)

# Serialized spec attributes, grouped into what an admin would call the change.
_CHANGE_KINDS = {
    "bpmn_name": "name", "lane": "lane", "extensions": "properties", "inputs": "connections",
    "outputs": "connections", "cond_task_specs": "conditions", "default_task_spec": "conditions",
    "choice": "conditions", "event_definition": "event", "script": "script", "prescript": "script",
    "postscript": "script", "operation_name": "service", "operation_params": "service",
    "result_variable": "service", "typename": "type", "documentation": "documentation",
    "spec": "called process", "cancel_activity": "event",
}
# Where an instance is still at work: a task in one of these states must exist in the new version.
_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_DONE = TaskState.COMPLETED | TaskState.CANCELLED


# --- diff ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ElementChange:
    """One diagram element in a diff: its id and name, its kind, and (if changed) what changed."""

    element_id: str
    name: str
    kind: str
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class VersionDiff:
    process_id: str
    from_version: int
    to_version: int
    added: list[ElementChange]
    removed: list[ElementChange]
    changed: list[ElementChange]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def version_row(session: Session, process_id: str, version: int) -> ProcessModelVersion:
    row = session.scalar(select(ProcessModelVersion).where(ProcessModelVersion.process_id == process_id,
                                                           ProcessModelVersion.version == version))
    if row is None:
        raise NotFound(f"There is no version {version} of the process {process_id!r}.")
    return row


def diff_versions(session: Session, process_id: str, from_version: int, to_version: int) -> VersionDiff:
    """The elements added, removed and changed going from one version of a process to another."""
    old = _parse_spec(version_row(session, process_id, from_version))
    new = _parse_spec(version_row(session, process_id, to_version))
    diff = SpecDiff(_REGISTRY, old, new)
    changed = [_element(diff.alignment[spec], _change_kinds(changes)) for spec, changes in diff.changed.items()]
    return VersionDiff(process_id, from_version, to_version,
                       added=_elements(diff.added), removed=_elements(diff.removed),
                       changed=sorted((c for c in changed if c is not None), key=lambda e: e.element_id))


def _parse_spec(version: ProcessModelVersion) -> Any:
    parser = spiff.new_parser()
    spiff.add_diagram(parser, version.bpmn_xml.encode(), version.filename)
    return parser.get_spec(version.process_id)


def _change_kinds(attributes: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({_CHANGE_KINDS.get(a, a) for a in attributes}))


def _element(spec: Any, changes: tuple[str, ...] = ()) -> ElementChange | None:
    # SpiffWorkflow adds specs of its own (start, end, boundary splits) that are not in the diagram.
    if not spec.bpmn_id or "." in spec.name:
        return None
    return ElementChange(spec.bpmn_id, spec.bpmn_name or "", type(spec).__name__, changes)


def _elements(specs: Iterable[Any]) -> list[ElementChange]:
    return sorted((e for e in map(_element, specs) if e is not None), key=lambda e: e.element_id)


# --- versions at a glance ------------------------------------------------------------------------

@dataclass(frozen=True)
class VersionSummary:
    process_id: str
    name: str
    version: int
    filename: str
    created_at: datetime
    running: int


def process_versions(service: WorkflowService) -> dict[str, list[VersionSummary]]:
    """Every deployed version of every process, newest first, with how many instances run on each."""
    with service.db.read() as session:
        running = dict(session.execute(
            select(Instance.model_version_id, func.count()).where(Instance.status == "running")
            .group_by(Instance.model_version_id)).all())
        rows = session.scalars(select(ProcessModelVersion).order_by(ProcessModelVersion.process_id,
                                                                    ProcessModelVersion.version.desc()))
        result: dict[str, list[VersionSummary]] = {}
        for row in rows:
            result.setdefault(row.process_id, []).append(VersionSummary(
                row.process_id, row.name, row.version, row.filename, row.created_at, running.get(row.id, 0)))
    return result


def version_xml(service: WorkflowService, process_id: str, version: int | None = None) -> tuple[int, str, str]:
    """(version, filename, BPMN XML) of a version of a process, the latest if no version is given."""
    with service.db.read() as session:
        if version is None:
            row = deployment.latest_versions(session).get(process_id)
            if row is None:
                raise NotFound(f"There is no process called {process_id!r}.")
        else:
            row = version_row(session, process_id, version)
        return row.version, row.filename, row.bpmn_xml


# --- drafts from the editor ----------------------------------------------------------------------

def check_draft(service: WorkflowService, filename: str, content: bytes) -> list[Problem]:
    """Every problem deploying this diagram would meet, checked against the latest deployed versions of
    the other processes and every form a diagram may name. Nothing is stored."""
    with service.db.read() as session:
        latest = deployment.latest_versions(session).values()
        others = [deployment.Diagram(v.filename, v.bpmn_xml.encode(), v.forms) for v in latest
                  if v.filename != filename]
        forms = form_versions.available_forms(session)
    draft = deployment.Diagram(filename, content, {})
    return check_catalogue([*others, draft], forms, service.catalogue, service.expression_helpers()).problems


def deploy_draft(service: WorkflowService, filename: str, content: bytes, actor: Actor) -> list[deployment.Deployed]:
    """Deploy one diagram from the editor with the forms it may name, and remove its draft; raises
    DiagramInvalid, storing nothing, while a problem remains."""
    with service.db.read() as session:
        forms = form_versions.available_forms(session)
    deployed = service.deploy([deployment.Diagram(filename, content, {})], forms, actor)
    with service.db.write() as session:  # the draft it came from, if any, is done with
        drafts.discard_in(session, drafts.DIAGRAM, filename, actor)
    return deployed


# --- migration -----------------------------------------------------------------------------------

@dataclass
class MigrationCheck:
    """One instance in a migration: where it is now and, if it cannot move, why not."""

    instance_id: int
    from_version: int | None
    waiting_at: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def movable(self) -> bool:
        return not self.reasons


@dataclass
class MigrationPlan:
    process_id: str
    to_version: int
    movable: list[MigrationCheck] = field(default_factory=list)
    refused: list[MigrationCheck] = field(default_factory=list)


@dataclass
class MigrationResult:
    process_id: str
    to_version: int
    moved: list[MigrationCheck] = field(default_factory=list)
    refused: list[MigrationCheck] = field(default_factory=list)


def plan_migration(service: WorkflowService, process_id: str, to_version: int, *,
                   instance_ids: Iterable[int] | None = None, from_version: int | None = None) -> MigrationPlan:
    """A dry run: which of the chosen instances can move to `to_version`, which cannot and why.
    Chooses the given instances, or every running instance of `from_version`, or of any older version."""
    plan = MigrationPlan(process_id, to_version)
    with service.db.read() as session:
        target = version_row(session, process_id, to_version)
        bundle = bundle_for_version(session, target)
        for instance_id in _chosen(session, process_id, target, instance_ids, from_version):
            check, _ = _attempt(service, session, instance_id, target, bundle)
            (plan.movable if check.movable else plan.refused).append(check)
    return plan


def migrate(service: WorkflowService, process_id: str, to_version: int, actor: Actor, *,
            instance_ids: Iterable[int] | None = None, from_version: int | None = None) -> MigrationResult:
    """Move the chosen instances that can move, each in its own write transaction under its lock, with
    an audit event each. Instances that cannot move (checked again at that moment) are left untouched."""
    result = MigrationResult(process_id, to_version)
    with service.db.read() as session:
        target = version_row(session, process_id, to_version)
        chosen = _chosen(session, process_id, target, instance_ids, from_version)
    for instance_id in chosen:
        with service.db.write() as session:
            target = version_row(session, process_id, to_version)
            bundle = bundle_for_version(session, target)
            check, workflow = _attempt(service, session, instance_id, target, bundle)
            if not check.movable:
                result.refused.append(check)
                continue
            instance = session.get(Instance, instance_id)
            case = service.save_moved(session, instance, workflow, actor,
                                      {"model_version_id": target.id, "spec_bundle_id": bundle.id})
            _refresh_open_tasks(service, session, instance, workflow, case)
            audit.append(session, "instance.migrated", actor_id=actor.user_id, case_id=instance.case_id,
                         instance_id=instance.id,
                         detail={"process_id": process_id, "from_version": check.from_version,
                                 "to_version": to_version})
            result.moved.append(check)
    service.committed()
    return result


def bundle_for_version(session: Session, target: ProcessModelVersion) -> SpecBundle:
    """The spec bundle an instance of `target` runs on: that version, with the latest of every process
    it calls (as a new instance would get)."""
    versions = {**deployment.latest_versions(session), target.process_id: target}
    return deployment._build_bundle(session, target.process_id, versions)


def _chosen(session: Session, process_id: str, target: ProcessModelVersion, instance_ids: Iterable[int] | None,
            from_version: int | None) -> list[int]:
    if instance_ids is not None:
        return sorted({int(i) for i in instance_ids})
    query = select(Instance.id).where(Instance.process_id == process_id, Instance.status == "running",
                                      Instance.model_version_id != target.id)
    if from_version is not None:
        query = query.where(Instance.model_version_id == version_row(session, process_id, from_version).id)
    return list(session.scalars(query.order_by(Instance.id)))


def _attempt(service: WorkflowService, session: Session, instance_id: int, target: ProcessModelVersion,
             bundle: SpecBundle) -> tuple[MigrationCheck, Any]:
    """Migrate one instance's workflow in memory; nothing is written. Returns the check and the
    migrated workflow (None if it cannot move)."""
    instance = session.get(Instance, instance_id)
    if instance is None:
        return MigrationCheck(instance_id, None, reasons=["There is no such process instance."]), None
    current = session.get(ProcessModelVersion, instance.model_version_id)
    check = MigrationCheck(instance_id, current.version if current else None)
    if instance.process_id != target.process_id:
        check.reasons.append(f"It runs the process {instance.process_id!r}, not {target.process_id!r}.")
    elif instance.status == "incident":
        check.reasons.append("It is stopped by an incident; retry it first.")
    elif instance.status != "running":
        check.reasons.append("It has already ended.")
    elif instance.model_version_id == target.id:
        check.reasons.append(f"It is already on version {target.version}.")
    if check.reasons:
        return check, None
    workflow = service.restore(session, instance)
    check.waiting_at = sorted({_label(t.task_spec) for t in workflow.get_tasks(state=_ACTIVE)})
    spec, subprocess_specs = spiff.restored_specs(bundle.content_hash, lambda: bundle.specs)
    top_diff, subprocess_diffs = diff_workflow(_REGISTRY, workflow, spec, subprocess_specs)
    check.reasons.extend(_blockers(top_diff))
    for subprocess_id, sub_diff in subprocess_diffs.items():
        sub = workflow.subprocesses[subprocess_id]
        if sub_diff is None:
            check.reasons.append(f"The process {sub.spec.name!r} it is running inside is no longer called.")
        else:
            check.reasons.extend(_blockers(sub_diff))
    if check.reasons:
        return check, None
    timers = {t.id: dict(t.internal_data) for t in workflow.get_tasks(state=TaskState.WAITING)}
    migrate_workflow(top_diff, workflow, spec)
    for subprocess_id, sub_diff in subprocess_diffs.items():
        sub = workflow.subprocesses[subprocess_id]
        migrate_workflow(sub_diff, sub, subprocess_specs[sub.spec.name])
    _keep_timers(workflow, timers, top_diff)
    stale = sorted({_label(t.task_spec) for t in workflow.get_tasks()
                    if t.task_spec is None or t.workflow.spec.task_specs.get(t.task_spec.name) is not t.task_spec})
    if stale:
        check.reasons.append(f"It could not be moved safely: {', '.join(map(repr, stale))} would be left without a "
                             "place in the new version.")
        return check, None
    return check, workflow


def _blockers(diff: Any) -> list[str]:
    """Why a workflow cannot move: tasks it is at, or has done, whose elements the new version removed.
    Tasks only predicted are fine: they are predicted again from the new version."""
    removed = [t for t in diff.removed if _element(t.task_spec) is not None]
    at = sorted({_label(t.task_spec) for t in removed if t.has_state(_ACTIVE & ~TaskState.WAITING)})
    events = sorted({_label(t.task_spec) for t in removed if t.has_state(TaskState.WAITING)})
    done = sorted({_label(t.task_spec) for t in removed if t.has_state(_DONE)})
    reasons = [f"The task '{name}' it is waiting at was removed." for name in at]
    reasons += [f"The event '{name}' it is waiting for was removed." for name in events]
    reasons += [f"The step '{name}' it has already been through was removed, so its history would no longer "
                "match the diagram." for name in done]
    return reasons


def _keep_timers(workflow: Any, before: dict[Any, dict[str, Any]], diff: Any) -> None:
    """Timers that were already running keep their due time, unless the timer itself changed:
    migrate_workflow restarts every waiting task, which would push deadlines back."""
    changed = {t.id for t in diff.changed}
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if task.id in before and task.id not in changed:
            task.internal_data.update(before[task.id])


def _label(spec: Any) -> str:
    if spec is None:
        return "(unknown)"
    return spec.bpmn_name or spec.bpmn_id or spec.name


def _refresh_open_tasks(service: WorkflowService, session: Session, instance: Instance, workflow: Any,
                        case: Any) -> None:
    """Open inbox rows keep their id across a migration; bring their title, lane and form up to date."""
    ready = {t.id: t for t in spiff.ready_user_tasks(workflow)}
    for row in session.scalars(select(Task).where(Task.instance_id == instance.id, Task.status == "open")):
        task = ready.get(row.id)
        if task is None:
            continue
        role = service.catalogue.role_for_lane(task.lane)
        if role != row.role:
            row.assignee_id = service.catalogue.assign(Assignment(session, role, case, task.spec_name, task.data)) \
                if role is not None else None
        row.title, row.lane, row.role, row.spec_name = task.title, task.lane, role, task.spec_name
        row.form = task.properties.get("formJsonSchemaFilename")
        row.ui_form = task.properties.get("formUiSchemaFilename")
    session.flush()


# --- the instance viewer -------------------------------------------------------------------------

@dataclass(frozen=True)
class WaitingElement:
    element_id: str
    name: str
    due_at: datetime | None


@dataclass(frozen=True)
class InstanceView:
    """What the instance viewer draws: the diagram and where the instance is on it. No case data."""

    instance_id: int
    process_id: str
    version: int
    status: str
    bpmn_xml: str
    completed: list[str]
    current: list[str]
    waiting: list[WaitingElement]
    failed: list[str]
    incidents: list[Incident] = field(default_factory=list)
    """Newest first: the error and the number of tries, for an admin to retry. Never the case's data."""


def instance_view(service: WorkflowService, instance_id: int) -> InstanceView:
    with service.db.read() as session:
        instance = session.get(Instance, instance_id)
        if instance is None:
            raise NotFound("There is no such process instance.")
        version = session.get(ProcessModelVersion, instance.model_version_id)
        workflow = service.restore(session, instance)
        tasks = [t for t in workflow.get_tasks() if t.task_spec is not None and t.task_spec.bpmn_id]

        def ids(mask: int) -> list[str]:
            return sorted({t.task_spec.bpmn_id for t in tasks if t.has_state(mask)})

        waiting = [WaitingElement(t.task_spec.bpmn_id, t.task_spec.bpmn_name or "", _due(t))
                   for t in tasks if t.has_state(TaskState.WAITING)]
        incidents = list(session.scalars(select(Incident).where(Incident.instance_id == instance.id)
                                         .order_by(Incident.created_at.desc(), Incident.id.desc())))
        return InstanceView(instance.id, instance.process_id, version.version, instance.status, version.bpmn_xml,
                            completed=ids(TaskState.COMPLETED), current=ids(TaskState.READY | TaskState.STARTED),
                            waiting=sorted(waiting, key=lambda w: w.element_id), failed=ids(TaskState.ERROR),
                            incidents=incidents)


def _due(task: Any) -> datetime | None:
    value = task.internal_data.get("event_value")
    if not isinstance(value, str):
        return None
    try:
        return clock.parse_instant(value)
    except (ValueError, TypeError, EngineError):
        return None
