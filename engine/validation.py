"""One validator for diagrams and their forms, used by deploy, upload, the editor and `check-diagrams`.

It reports every problem it finds, each with the file, element id and name, so an admin can fix them all
in one pass. Nothing is deployed while a problem remains.

An expression (a gateway's condition, a due date, a timer) may read only fields that something sets, and a
field its own process sets must be set on every path to the expression, the first time round a loop
included: a gateway placed ahead of the form that answers its question, or after a branch that skips it,
would otherwise fail only when a case reaches it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity, SubWorkflowTask
from SpiffWorkflow.specs.MultiChoice import MultiChoice
from SpiffWorkflow.spiff.specs.defaults import ScriptTask, ServiceTask

from engine import forms as form_rules
from engine import sandbox, spiff
from engine.catalogue import Catalogue
from engine.errors import DiagramInvalid, Problem, ScriptError

if TYPE_CHECKING:
    from engine.deployment import Diagram

FORM_PROPERTIES = ("formJsonSchemaFilename", "formUiSchemaFilename")
DUE_PROPERTY = "dueAt"


@dataclass
class CatalogueReport:
    problems: list[Problem] = field(default_factory=list)
    processes_by_file: dict[str, list[str]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)


def check_catalogue(diagrams: Iterable[Diagram], forms: Mapping[str, Any], catalogue: Catalogue,
                    helpers: Mapping[str, Any] | None = None) -> CatalogueReport:
    """Parse the diagrams together and check everything the engine will rely on when running them."""
    report = CatalogueReport()
    parser = spiff.new_parser()
    files_of: dict[str, str] = {}
    for diagram in diagrams:
        try:
            process_ids = spiff.add_diagram(parser, diagram.content, diagram.filename)
        except DiagramInvalid as error:
            report.problems.extend(error.problems)
            continue
        report.processes_by_file[diagram.filename] = process_ids
        for process_id in process_ids:
            files_of[process_id] = diagram.filename
    for name, schema in forms.items():
        if name.endswith(".schema.json") or "uischema" not in name:
            report.problems.extend(Problem(m, file=name) for m in form_rules.schema_problems(schema))
    specs = _parse_processes(parser, files_of, report)
    setters = {spec_id: _setters(spec, forms) for spec_id, (spec, _file) in specs.items()}
    # What some form, script or service task sets: a subprocess's fields reach the process around it, and
    # a called process's reach its caller.
    known = _form_fields(forms.values()) | set(catalogue.initial_data) | {name for steps in setters.values()
                                                                          for name in steps}
    for spec_id, (spec, filename) in specs.items():
        order = _FieldOrder(setters[spec_id], _set_elsewhere(spec_id, setters, catalogue))
        _check_process(spec, filename, files_of, forms, known, catalogue, helpers or {}, report, order)
    return report


def _parse_processes(parser: Any, files_of: Mapping[str, str], report: CatalogueReport
                     ) -> dict[str, tuple[Any, str]]:
    """Each process's spec and file, and those of the subprocesses drawn inside it (at any depth); names each
    process in the report."""
    specs: dict[str, tuple[Any, str]] = {}
    for process_id, filename in files_of.items():
        spec = _parse(parser, process_id, filename, report)
        if spec is None:
            continue
        report.names[process_id] = getattr(spec, "description", None) or process_id
        waiting = [(process_id, spec)]
        while waiting:
            spec_id, spec = waiting.pop()
            specs[spec_id] = (spec, filename)
            for embedded_id in _embedded_subprocesses(spec):
                embedded = _parse(parser, embedded_id, filename, report)
                if embedded is not None:
                    waiting.append((embedded_id, embedded))
    return specs


def _parse(parser: Any, spec_id: str, filename: str, report: CatalogueReport) -> Any:
    try:
        return parser.get_spec(spec_id)
    except Exception as error:  # SpiffWorkflow raises several types while parsing; report, don't crash
        report.problems.append(Problem(_first_line(error), file=filename, element_id=spec_id))
        return None


def _embedded_subprocesses(spec: Any) -> list[str]:
    """The ids of the subprocesses drawn directly inside a process. SpiffWorkflow parses each as a process
    of its own (with the process around it), so their steps are checked as one; a call activity's process
    is checked where it is defined."""
    return [task_spec.spec for task_spec in spec.task_specs.values()
            if isinstance(task_spec, SubWorkflowTask) and not isinstance(task_spec, CallActivity)]


@dataclass(frozen=True)
class _FieldOrder:
    """Which steps of one process set each field, and which fields a case may have from outside it."""

    steps: Mapping[str, list[Any]]
    elsewhere: set[str]

    def unset_on_some_path(self, names: Iterable[str], at: Any) -> dict[str, tuple[list[Any], list[Any]]]:
        """Of `names`, those that only steps of this process set and that a case can reach `at` without
        having passed one of them: each with all its setters, and those of them on some path to `at`."""
        own = [name for name in names if name in self.steps and name not in self.elsewhere]
        if not own:
            return {}
        before = _steps_before(at)
        found = {}
        for name in own:
            setters = self.steps[name]
            if not _always_set_on_arrival(at, set(setters), before):
                found[name] = (setters, [s for s in setters if s in before and s is not at])
        return found


def _steps_before(at: Any) -> set[Any]:
    """Every step a case can pass through on its way to `at`, loops included."""
    seen: set[Any] = set()
    waiting = list(at.inputs)
    while waiting:
        step = waiting.pop()
        if step not in seen:
            seen.add(step)
            waiting.extend(step.inputs)
    return seen


def _always_set_on_arrival(at: Any, setters: set[Any], steps: set[Any]) -> bool:
    """Whether every case that reaches `at` has passed one of `setters` first: a definite-assignment
    analysis over the process's flow. A parallel join goes on only once all its branches have arrived, so
    one branch setting the field is enough there; anywhere else a case may have come along any one path.
    Starting from "set everywhere" and narrowing until nothing changes treats a loop's first time round as
    the path from the start it is. `steps`: every step before `at` (`_steps_before`)."""
    set_after = {step: True for step in steps}
    changed = True
    while changed:
        changed = False
        for step in steps:
            value = step in setters or _set_on_arrival(step, set_after)
            if value != set_after[step]:
                set_after[step], changed = value, True
    return _set_on_arrival(at, set_after)


def _set_on_arrival(step: Any, set_after: Mapping[Any, bool]) -> bool:
    if not step.inputs:
        return False  # the start of the process: nothing is set yet
    arrivals = [set_after[before] for before in step.inputs]
    return any(arrivals) if isinstance(step, ParallelGateway) else all(arrivals)


def _check_process(spec: Any, filename: str, files_of: Mapping[str, str], forms: Mapping[str, Any],
                   known: set[str], catalogue: Catalogue, helpers: Mapping[str, Any],
                   report: CatalogueReport, order: _FieldOrder) -> None:
    check = _ExpressionCheck(known, set(helpers) | set(catalogue.helpers) | {"setting"}, catalogue, helpers,
                             order, report.problems)
    for task_spec in spec.task_specs.values():
        where = {"file": filename, "element_id": task_spec.bpmn_id or "",
                 "element_name": task_spec.bpmn_name or ""}
        if not task_spec.bpmn_id:
            continue
        problems = report.problems
        # A user task's form, or a start event's (the questions asked before the process starts).
        properties = spiff.spec_properties(task_spec)
        schema_name = properties.get("formJsonSchemaFilename")
        if schema_name and schema_name not in forms:
            problems.append(Problem(f"The form {schema_name!r} does not exist.", **where))
        ui_name = properties.get("formUiSchemaFilename")
        if ui_name and ui_name not in forms:
            problems.append(Problem(f"The form layout {ui_name!r} does not exist.", **where))
        if task_spec.manual:
            if task_spec.lane is None:
                problems.append(Problem("This user task is not in a lane; put it in the lane of the role "
                                        "that does it.", **where))
            elif catalogue.role_for_lane(task_spec.lane) is None:
                problems.append(Problem(f'Lane "{task_spec.lane}" has no role mapped. Rename it to one of: '
                                        f"{', '.join(sorted(catalogue.lane_roles_display))}.", **where))
            if not schema_name:
                problems.append(Problem("This user task has no form (formJsonSchemaFilename).", **where))
            if properties.get(DUE_PROPERTY):
                check(properties[DUE_PROPERTY], "due date", task_spec, where, evaluate=True)
        if isinstance(task_spec, ServiceTask) and task_spec.operation_name not in catalogue.handlers:
            problems.append(Problem(f"The service task handler {task_spec.operation_name!r} is not "
                                    f"registered. Known handlers: {', '.join(sorted(catalogue.handlers))}.",
                                    **where))
        if isinstance(task_spec, ScriptTask):
            message = sandbox.check(task_spec.script or "", "exec")
            if message:
                problems.append(Problem(message, **where))
        if isinstance(task_spec, CallActivity) and task_spec.spec not in files_of:
            problems.append(Problem(f"The called process {task_spec.spec!r} does not exist.", **where))
        if isinstance(task_spec, MultiChoice):
            for condition, _ in task_spec.cond_task_specs:
                expression = getattr(condition, "args", [None])[0]
                if isinstance(expression, str):
                    check(expression, "condition", task_spec, where)
        definition = getattr(task_spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition):
            check(definition.expression, "timer", task_spec, where, evaluate=True, timer=definition)
        for script in (getattr(task_spec, "prescript", None), getattr(task_spec, "postscript", None)):
            if script:
                message = sandbox.check(script, "exec")
                if message:
                    problems.append(Problem(message, **where))


@dataclass(frozen=True)
class _ExpressionCheck:
    """Checks one process's expressions: each is safe, reads only fields something sets (its own process's
    fields set on every path to it) and, where its value is used at once, evaluates."""

    known: set[str]
    helper_names: set[str]
    catalogue: Catalogue
    helpers: Mapping[str, Any]
    order: _FieldOrder
    problems: list[Problem]

    def __call__(self, expression: str, what: str, step: Any, where: dict[str, str], *,
                 evaluate: bool = False, timer: Any = None) -> None:
        message = sandbox.check(expression, "eval")
        if message:
            self.problems.append(Problem(f"The {what} expression is refused: {message}", **where))
            return
        read = _names_read(expression)
        unknown = sorted(read - self.known - self.helper_names - set(sandbox.SAFE_BUILTINS))
        if unknown:
            self.problems.append(Problem(f"The {what} expression reads {', '.join(unknown)}, which no form, "
                                         "script or service task sets.", **where))
            return
        too_early = self.order.unset_on_some_path(read, step)
        for name, (steps, on_some_paths) in sorted(too_early.items()):
            if on_some_paths:
                message = (f"The {what} expression reads {name}, but a case can reach it without {name} being "
                           f"set: {_step_names(on_some_paths)} set it on some paths to the expression, not on "
                           f"every one. Set {name} on every path, or move the expression to where it is always "
                           "set.")
            else:
                message = (f"The {what} expression reads {name}, but no step before it sets {name}: only "
                           f"{_step_names(steps)}, which a case reaches later or on another path. Move the "
                           "expression after a step that sets it.")
            self.problems.append(Problem(message, **where))
        if too_early or not evaluate:
            return
        runner = sandbox.Sandbox({**self.catalogue.helpers, **self.helpers,
                                  "setting": lambda name: self.catalogue.settings[name]})
        sample = {name: _SAMPLE for name in read if name in self.known}
        try:
            value = runner.evaluate(expression, sample)
            if timer is not None:
                _parse_timer_value(timer, value)
        except (ScriptError, KeyError, ValueError, TypeError) as error:
            reason = error.message if isinstance(error, ScriptError) else f"{type(error).__name__}: {error}"
            self.problems.append(Problem(f"The {what} expression {expression!r} does not evaluate: {reason}",
                                         **where))


def _step_names(steps: Iterable[Any]) -> str:
    return ", ".join(sorted(f'"{s.bpmn_name or s.bpmn_id}"' for s in steps))


class _Sample(str):
    """Stands in for any form value when trying an expression: a string that is also truthy."""


_SAMPLE = _Sample("sample")


def _parse_timer_value(timer: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise ValueError(f"a timer needs an ISO 8601 text value, got {type(value).__name__}")
    if isinstance(timer, CycleTimerEventDefinition):
        TimerEventDefinition.parse_iso_recurring_interval(value)
    elif isinstance(timer, TimeDateEventDefinition):
        TimerEventDefinition.get_datetime(value)
    else:
        TimerEventDefinition.parse_iso_duration(value)


def _names_read(expression: str) -> set[str]:
    tree = ast.parse(expression.strip(), mode="eval")
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    bound |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.Lambda) for a in n.args.args}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound


def _set_by(task_spec: Any, forms: Mapping[str, Any]) -> set[str]:
    """The fields one step sets: its form's questions, its scripts' assignments, its service task's result
    and its data outputs."""
    names = _form_fields([forms.get(spiff.spec_properties(task_spec).get("formJsonSchemaFilename", ""))])
    scripts = [getattr(task_spec, "script", None), getattr(task_spec, "prescript", None),
               getattr(task_spec, "postscript", None)]
    for script in filter(None, scripts):
        try:
            tree = ast.parse(script)
        except SyntaxError:
            continue
        names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    if isinstance(task_spec, ServiceTask):
        names.add(task_spec.result_variable)
    names |= {data.bpmn_id for data in getattr(task_spec, "data_output_associations", None) or []}
    return names


def _setters(spec: Any, forms: Mapping[str, Any]) -> dict[str, list[Any]]:
    steps: dict[str, list[Any]] = {}
    for task_spec in spec.task_specs.values():
        for name in _set_by(task_spec, forms):
            steps.setdefault(name, []).append(task_spec)
    return steps


def _set_elsewhere(process_id: str, setters: Mapping[str, Mapping[str, Any]], catalogue: Catalogue) -> set[str]:
    """Fields a case of this process may have before any of its steps sets them: the data every case starts
    with, and whatever another process sets (a caller's data reaches what it calls, and a service task may
    start a case with its own process's answers)."""
    fields = set(catalogue.initial_data)
    for other, steps in setters.items():
        if other != process_id:
            fields |= set(steps)
    return fields


def _form_fields(schemas: Iterable[Any]) -> set[str]:
    fields: set[str] = set()
    for schema in schemas:
        if isinstance(schema, dict):
            fields |= set(schema.get("properties", {}))
    return fields


def _first_line(error: Exception) -> str:
    return str(error).strip().split("\n")[0] or type(error).__name__
