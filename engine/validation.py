"""One validator for diagrams and their forms, used by deploy, upload, the editor and `check-diagrams`.

It reports every problem it finds, each with the file, element id and name, so an admin can fix them all
in one pass. Nothing is deployed while a problem remains.
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
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
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
    known_fields = _form_fields(forms) | set(catalogue.initial_data)
    for process_id, filename in files_of.items():
        try:
            spec = parser.get_spec(process_id)
        except Exception as error:  # SpiffWorkflow raises several types while parsing; report, don't crash
            report.problems.append(Problem(_first_line(error), file=filename, element_id=process_id))
            continue
        report.names[process_id] = getattr(spec, "description", None) or process_id
        _check_process(spec, filename, files_of, forms, known_fields, catalogue, helpers or {}, report)
    return report


def _check_process(spec: Any, filename: str, files_of: Mapping[str, str], forms: Mapping[str, Any],
                   known_fields: set[str], catalogue: Catalogue, helpers: Mapping[str, Any],
                   report: CatalogueReport) -> None:
    known = known_fields | _script_assignments(spec)
    helper_names = set(helpers) | set(catalogue.helpers) | {"setting"}
    for task_spec in spec.task_specs.values():
        where = {"file": filename, "element_id": task_spec.bpmn_id or "",
                 "element_name": task_spec.bpmn_name or ""}
        if not task_spec.bpmn_id:
            continue
        problems = report.problems
        # A user task's form, or a start event's (the questions asked before the process starts).
        properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
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
                _check_expression(properties[DUE_PROPERTY], "due date", where, known, helper_names,
                                  catalogue, helpers, problems, evaluate=True)
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
                    _check_expression(expression, "condition", where, known, helper_names, catalogue,
                                      helpers, problems)
        definition = getattr(task_spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition):
            _check_expression(definition.expression, "timer", where, known, helper_names, catalogue,
                              helpers, problems, evaluate=True, timer=definition)
        for script in (getattr(task_spec, "prescript", None), getattr(task_spec, "postscript", None)):
            if script:
                message = sandbox.check(script, "exec")
                if message:
                    problems.append(Problem(message, **where))


def _check_expression(expression: str, what: str, where: dict[str, str], known: set[str],
                      helper_names: set[str], catalogue: Catalogue, helpers: Mapping[str, Any],
                      problems: list[Problem], *, evaluate: bool = False, timer: Any = None) -> None:
    message = sandbox.check(expression, "eval")
    if message:
        problems.append(Problem(f"The {what} expression is refused: {message}", **where))
        return
    unknown = sorted(_names_read(expression) - known - helper_names - set(sandbox.SAFE_BUILTINS))
    if unknown:
        problems.append(Problem(f"The {what} expression reads {', '.join(unknown)}, which no form, script or "
                                "service task sets.", **where))
        return
    if not evaluate:
        return
    runner = sandbox.Sandbox({**catalogue.helpers, **helpers, "setting": lambda name: catalogue.settings[name]})
    sample = {name: _SAMPLE for name in _names_read(expression) if name in known}
    try:
        value = runner.evaluate(expression, sample)
        if timer is not None:
            _parse_timer_value(timer, value)
    except (ScriptError, KeyError, ValueError, TypeError) as error:
        reason = error.message if isinstance(error, ScriptError) else f"{type(error).__name__}: {error}"
        problems.append(Problem(f"The {what} expression {expression!r} does not evaluate: {reason}", **where))


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


def _script_assignments(spec: Any) -> set[str]:
    names: set[str] = set()
    for task_spec in spec.task_specs.values():
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
    return names


def _form_fields(forms: Mapping[str, Any]) -> set[str]:
    fields: set[str] = set()
    for schema in forms.values():
        if isinstance(schema, dict):
            fields |= set(schema.get("properties", {}))
    return fields


def _first_line(error: Exception) -> str:
    return str(error).strip().split("\n")[0] or type(error).__name__
