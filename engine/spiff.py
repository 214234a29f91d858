"""The adapter to SpiffWorkflow 3.2: parsing, (de)serialising, the sandboxed script engine, and reading
what a workflow waits for. Nothing outside `engine/` sees a SpiffWorkflow object."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine import clock
from engine.errors import DiagramInvalid, Problem, ScriptError
from engine.sandbox import Sandbox

MAX_DIAGRAM_BYTES = 2 * 1024 * 1024

ServiceCaller = Callable[[str, dict[str, Any], dict[str, Any]], Any]


class _SpecsOutsideStateConverter(BpmnWorkflowConverter):
    """Keeps specs out of an instance's state: they are stored once per bundle and cached in memory,
    so saving and loading an instance costs only its own tasks and data."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        workflow = self.target_class(dct.pop("spec"), dct.pop("subprocess_specs"), deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_CONFIG = dict(SPIFF_CONFIG)
_CONFIG[BpmnWorkflow] = _SpecsOutsideStateConverter
_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_CONFIG))
_SPEC_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
STATE_VERSION = _SERIALIZER.VERSION


# --- parsing -----------------------------------------------------------------------------------

_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                            remove_comments=False)


def parse_xml(content: bytes, filename: str) -> etree._Element:
    """Parse a diagram's XML safely: size-capped, no DTD, no entities, no network."""
    if len(content) > MAX_DIAGRAM_BYTES:
        raise DiagramInvalid([Problem(f"The file is {len(content) / 1_048_576:.1f} MB; the limit is "
                                      f"{MAX_DIAGRAM_BYTES // 1_048_576} MB.", file=filename)])
    if b"<!DOCTYPE" in content[:4096].upper() or b"<!ENTITY" in content.upper():
        raise DiagramInvalid([Problem("Document type declarations and entities are not allowed in a "
                                      "diagram.", file=filename)])
    try:
        root = etree.fromstring(content, _SAFE_XML)
    except etree.XMLSyntaxError as error:
        raise DiagramInvalid([Problem(f"This is not well-formed XML: {error.msg}", file=filename,
                                      line=error.lineno)]) from None
    if root.getroottree().docinfo.doctype:
        raise DiagramInvalid([Problem("Document type declarations are not allowed in a diagram.",
                                      file=filename)])
    return root


def new_parser() -> SpiffBpmnParser:
    return SpiffBpmnParser()


def add_diagram(parser: SpiffBpmnParser, content: bytes, filename: str) -> list[str]:
    """Add one diagram to a parser; returns the ids of the executable processes it defines."""
    root = parse_xml(content, filename)
    try:
        parser.add_bpmn_xml(root, filename)
    except ValidationException as error:
        raise DiagramInvalid([_problem_from(error, filename)]) from None
    namespaces = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    return [p.get("id") for p in root.xpath(".//bpmn:process", namespaces=namespaces)
            if p.get("isExecutable", "true") != "false"]


def _problem_from(error: SpiffWorkflowException, filename: str) -> Problem:
    return Problem(str(getattr(error, "message", None) or error).split("\n")[0],
                   file=getattr(error, "file_name", None) or filename,
                   element_id=getattr(error, "id", "") or "", element_name=getattr(error, "name", "") or "",
                   line=getattr(error, "line_number", None) or None)


def build_specs(parser: SpiffBpmnParser, process_id: str) -> dict[str, Any]:
    """The serialized spec of a process and of every process it calls, ready to store in a bundle."""
    try:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as error:
        raise DiagramInvalid([_problem_from(error, getattr(error, "file_name", ""))]) from None
    registry = _SPEC_SERIALIZER.registry
    return {"spec": registry.convert(spec),
            "subprocess_specs": {name: registry.convert(s) for name, s in subprocess_specs.items()}}


def restored_specs(content_hash: str, load: Callable[[], dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
    """Spec objects for a bundle, restored once per process and shared by every instance using it
    (SpiffWorkflow never changes a spec while running a workflow). Keyed by content, so any database
    holding the same bundle shares the entry."""
    cached = _BUNDLE_CACHE.get(content_hash)
    if cached is None:
        specs = load()
        registry = _SPEC_SERIALIZER.registry
        cached = (registry.restore(specs["spec"]),
                  {name: registry.restore(s) for name, s in specs["subprocess_specs"].items()})
        if len(_BUNDLE_CACHE) >= 256:
            _BUNDLE_CACHE.pop(next(iter(_BUNDLE_CACHE)))
        _BUNDLE_CACHE[content_hash] = cached
    return cached


_BUNDLE_CACHE: dict[str, tuple[Any, dict[str, Any]]] = {}


# --- the script engine -------------------------------------------------------------------------

class _SandboxEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self, sandbox: Sandbox, call_service: ServiceCaller | None) -> None:
        super().__init__()
        self.sandbox = sandbox
        self._call_service = call_service

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        return self.sandbox.evaluate(expression, context, external_context)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        self.sandbox.execute(script, context, external_context)
        return True

    def call_service(self, context: dict[str, Any], operation_name: str = "",
                     operation_params: dict[str, Any] | None = None, **_: Any) -> str:
        if self._call_service is None:
            raise ScriptError(f"Service task {operation_name!r} cannot run here.")
        params = {name: p["value"] for name, p in (operation_params or {}).items()}
        return json.dumps(self._call_service(operation_name, params, context), default=str)


class SandboxScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine with every script and expression run in the sandbox. Our own errors
    pass through unwrapped so their messages reach the person."""

    def __init__(self, sandbox: Sandbox, call_service: ServiceCaller | None = None) -> None:
        super().__init__(environment=_SandboxEnvironment(sandbox, call_service))

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        return self.environment.evaluate(expression, task.data, external_context)

    def execute(self, task: Any, script: str, external_context: Any = None) -> bool:
        return self.environment.execute(script, task.data, external_context or {})

    def call_service(self, task: Any, **kwargs: Any) -> str:
        return self.environment.call_service(task.data, **kwargs)


# --- instances ---------------------------------------------------------------------------------

def create_workflow(spec: Any, subprocess_specs: dict[str, Any], script_engine: SandboxScriptEngine,
                    data: Mapping[str, Any]) -> BpmnWorkflow:
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
    workflow.data.update(data)
    start = workflow.task_tree
    start.data.update(data)
    return workflow


def dump(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The instance's state as JSON-ready data, without its specs."""
    registry = _SERIALIZER.registry
    registry._encoder_mode = True
    try:
        dct = _SERIALIZER.to_dict(workflow)
    finally:
        registry._encoder_mode = False
    dct[_SERIALIZER.VERSION_KEY] = STATE_VERSION
    # A round trip through json makes sure nothing unserialisable reaches the database.
    return json.loads(json.dumps(dct, cls=_SERIALIZER._encoder_cls))


def load(state: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any],
         script_engine: SandboxScriptEngine) -> BpmnWorkflow:
    """Restore an instance and attach the sandboxed script engine (SpiffWorkflow would attach its own,
    unrestricted one)."""
    dct = _restorable(state)
    if dct.get(_SERIALIZER.VERSION_KEY) != STATE_VERSION:
        _SERIALIZER.migrate(dct)
    else:
        dct.pop(_SERIALIZER.VERSION_KEY, None)
    dct["spec"] = spec
    dct["subprocess_specs"] = subprocess_specs
    workflow = _SERIALIZER.from_dict(dct)
    workflow.script_engine = script_engine
    return workflow


def _restorable(state: dict[str, Any]) -> dict[str, Any]:
    """A copy of a stored state that SpiffWorkflow can restore without changing the stored one.

    SpiffWorkflow stores each task's data as a change from its parent's and rebuilds it while restoring
    tasks in the order of the `tasks` object, so a parent must come before its children. PostgreSQL's
    JSONB does not keep key order, so put the tasks back in tree order. The restore also pops keys from
    the workflow and subprocess objects: copy those (not the tasks, which it only reads)."""
    dct = dict(state)
    dct["tasks"] = _in_tree_order(state["tasks"], state["root"])
    dct["subprocesses"] = {task_id: {**sub, "tasks": _in_tree_order(sub["tasks"], sub["root"])}
                           for task_id, sub in state.get("subprocesses", {}).items()}
    return dct


def _in_tree_order(tasks: dict[str, Any], root: str) -> dict[str, Any]:
    ordered: dict[str, Any] = {}
    stack = [root]
    while stack:
        task_id = stack.pop()
        task = tasks.get(task_id)
        if task is None or task_id in ordered:
            continue
        ordered[task_id] = task
        stack.extend(reversed(task["children"]))
    if len(ordered) != len(tasks):  # tasks outside the tree: keep them, after it
        ordered.update((k, v) for k, v in tasks.items() if k not in ordered)
    return ordered


def run_engine_steps(workflow: BpmnWorkflow) -> None:
    """Run until the workflow waits for a person or a timer."""
    with translated_errors():
        workflow.refresh_timers()
        workflow.do_engine_steps()


def complete(workflow: BpmnWorkflow, task_id: str, data: Mapping[str, Any]) -> bool:
    """Complete a ready user task with data; False if it is not ready (someone else got there first)."""
    task = find_task(workflow, task_id)
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        return False
    with translated_errors():
        task.set_data(**data)
        task.run()
        workflow.do_engine_steps()
    return True


def find_task(workflow: BpmnWorkflow, task_id: str) -> Any:
    try:
        return workflow.get_task_from_id(UUID(task_id))
    except (ValueError, TypeError, SpiffWorkflowException):
        return None


def cancel(workflow: BpmnWorkflow) -> None:
    workflow.cancel()


class translated_errors:
    """Turns SpiffWorkflow's exceptions into ours, keeping the message and where it happened."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: Any, tb: Any) -> bool:
        if error is None or isinstance(error, ScriptError):
            return False
        if isinstance(error, WorkflowTaskException):
            inner = error.exception if isinstance(getattr(error, "exception", None), ScriptError) else None
            where = getattr(error.task_spec, "bpmn_name", None) or getattr(error.task_spec, "bpmn_id", "")
            message = inner.message if inner else str(error.error if hasattr(error, "error") else error)
            raise ScriptError(f'{where}: {message}') from error
        if isinstance(error, SpiffWorkflowException):
            raise ScriptError(str(error)) from error
        return False


@dataclass(frozen=True)
class ReadyUserTask:
    id: str
    spec_name: str
    title: str
    lane: str | None
    process_id: str
    properties: dict[str, str]
    data: dict[str, Any]


def ready_user_tasks(workflow: BpmnWorkflow) -> list[ReadyUserTask]:
    tasks = []
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        spec = task.task_spec
        tasks.append(ReadyUserTask(
            id=str(task.id), spec_name=spec.bpmn_id or spec.name, title=spec.bpmn_name or spec.bpmn_id,
            lane=spec.lane, process_id=_process_of(task.workflow),
            properties=dict(spec_properties(spec)), data=task.data))
    return tasks


def spec_properties(spec: Any) -> Mapping[str, str]:
    """A step's `spiffworkflow:property` values (its form, its due date); helper steps have none."""
    return (getattr(spec, "extensions", None) or {}).get("properties", {})


def _process_of(workflow: Any) -> str:
    """The process a task belongs to, as the catalogue knows processes: a called process is one of its own,
    but a subprocess drawn inside a process is part of it (SpiffWorkflow runs both as subworkflows)."""
    while isinstance(workflow, BpmnSubWorkflow):
        caller = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        if isinstance(caller.task_spec, CallActivity):
            break
        workflow = caller.workflow
    return workflow.spec.name


@dataclass(frozen=True)
class WaitingTimer:
    name: str
    kind: str
    due_at: datetime | None


def waiting_timers(workflow: BpmnWorkflow) -> list[WaitingTimer]:
    timers = []
    for event in workflow.waiting_events():
        if "Timer" not in event.event_type and "Time" not in event.event_type:
            continue
        value = event.value
        due = clock.parse_instant(value) if isinstance(value, str) else None
        timers.append(WaitingTimer(name=event.name, kind=event.event_type, due_at=due))
    return timers


def next_wake_at(workflow: BpmnWorkflow) -> datetime | None:
    dues = [t.due_at for t in waiting_timers(workflow) if t.due_at is not None]
    return min(dues) if dues else None


def is_completed(workflow: BpmnWorkflow) -> bool:
    return bool(workflow.completed)


def data_of(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The data at the end of the workflow (or the latest completed task's data while it runs)."""
    if workflow.completed:
        return dict(workflow.data)
    last = workflow.last_task
    return dict(last.data) if last is not None else dict(workflow.data)
