"""Task forms as an admin edits them: every form the latest process versions use, with the processes and
tasks that use it; checking a proposed JSON Schema and UI schema (the JSON itself, the metaschema, and what
the task page can show, by the rule in engine/forms.py); and publishing it.

Publishing a form that diagrams use is a deploy: a new version of every process whose latest version
uses the form, made by `deployment.deploy` from the unchanged diagrams and the new form, so the one
validator refuses a form that breaks a diagram (a gateway reading a field the form no longer has) and
nothing is stored. Running instances keep the spec bundle, and so the forms, they started with.

A form that no diagram uses yet (a new one) lives in the `unused_forms` table until a diagram names it.
Why a table: a process version holds only the forms its diagram names (hashed together with it), so an
unused form has no version to live in; writing it into bpmn/forms would need the code folder writable,
differ between workers and be lost at the next release; and a draft is not published, so a diagram could
not rely on it. Once a latest version uses the form, that version is where it lives: the row is only read
while no latest version has the form, and publishing the form through its processes removes it.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import audit, clock, deployment, drafts, spiff
from engine import forms as form_rules
from engine.errors import Conflict, DiagramInvalid, EngineError, NotFound, Problem
from engine.models import ProcessModelVersion, UnusedForm

if TYPE_CHECKING:
    from engine.service import Actor, WorkflowService

MAX_FORM_BYTES = 256 * 1024
"""Each of the JSON Schema and the UI schema: the biggest bundled form is under 4 KB."""
MAX_FORM_DEPTH = 20
"""Objects and lists inside each other: the bundled forms go 7 deep."""
SCHEMA_SUFFIX = ".schema.json"
UI_SUFFIX = ".uischema.json"
FORM_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}\.schema\.json$")
SCHEMA, UI_SCHEMA = "schema", "uischema"

_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_PROPERTY = f"{{{_BPMN}}}extensionElements/{{{_SPIFF}}}properties/{{{_SPIFF}}}property"
_SCALAR = re.compile(r'[^\s,:\[\]{}"]+')


# --- what uses which form --------------------------------------------------------------------------

@dataclass(frozen=True)
class FormUse:
    """One user task, in the latest version of a process, that shows the form."""

    process_id: str
    process_name: str
    version: int
    task_id: str
    task_name: str
    ui_name: str | None


@dataclass(frozen=True)
class ProcessUse:
    """A process whose latest version uses the form: publishing the form makes `version + 1`."""

    process_id: str
    name: str
    version: int
    tasks: tuple[str, ...]


@dataclass(frozen=True)
class FormSummary:
    name: str
    title: str
    uses: tuple[FormUse, ...]

    @property
    def processes(self) -> list[ProcessUse]:
        return _processes(self.uses)


@dataclass(frozen=True)
class FormDocument:
    """A published form as the editor opens it. `digest` identifies this content: publishing over a
    form someone else has changed since is refused."""

    name: str
    ui_name: str
    schema: dict[str, Any]
    ui_schema: dict[str, Any]
    uses: tuple[FormUse, ...]

    @property
    def processes(self) -> list[ProcessUse]:
        return _processes(self.uses)

    @property
    def digest(self) -> str:
        return form_digest(self.schema, self.ui_schema)


def form_digest(schema: Any, ui_schema: Any) -> str:
    return hashlib.sha256(json.dumps([schema, ui_schema], sort_keys=True).encode()).hexdigest()


def forms_in_use(service: WorkflowService) -> list[FormSummary]:
    """Every task form: those the latest process versions use, with their processes and tasks, and those
    published for diagrams to use later. By name."""
    with service.db.read() as session:
        latest = deployment.latest_versions(session)
        uses = _uses(latest.values())
        schemas = {name: schema for version in latest.values() for name, schema in version.forms.items()
                   if name.endswith(SCHEMA_SUFFIX)}
        for row in session.scalars(select(UnusedForm)):
            schemas.setdefault(row.name, row.schema)
    return [FormSummary(name, _title(schema), tuple(uses.get(name, ()))) for name, schema in sorted(schemas.items())]


def read_form(service: WorkflowService, name: str) -> FormDocument:
    """A published form and its UI schema, with the tasks that use it; raises NotFound."""
    with service.db.read() as session:
        document = _published(session, name)
    if document is None:
        raise NotFound(f"There is no form called {name!r}.")
    return document


def available_forms(session: Session) -> dict[str, Any]:
    """Every form a diagram may name when it is deployed: the latest versions' forms and the unused ones
    (each with its UI schema), the latest versions winning."""
    found: dict[str, Any] = {}
    for row in session.scalars(select(UnusedForm)):
        found[row.name] = row.schema
        if row.ui_schema:
            found[ui_name_for(row.name)] = row.ui_schema
    for version in deployment.latest_versions(session).values():
        found.update(version.forms)
    return found


def form_names(service: WorkflowService) -> list[str]:
    """The file names of every form (and UI schema) a diagram's user task may name, sorted."""
    with service.db.read() as session:
        return sorted(available_forms(session))


def ui_name_for(name: str) -> str:
    """The UI schema's file name that goes with a form's: triage.schema.json → triage.uischema.json."""
    return name.removesuffix(SCHEMA_SUFFIX) + UI_SUFFIX


def _published(session: Session, name: str) -> FormDocument | None:
    latest = deployment.latest_versions(session)
    uses = tuple(_uses(latest.values()).get(name, ()))
    ui_name = _ui_name(name, uses)
    schema = next((v.forms[name] for v in latest.values() if name in v.forms), None)
    if schema is not None:
        ui = next((v.forms[ui_name] for v in latest.values() if ui_name in v.forms), {})
        return FormDocument(name, ui_name, schema, ui, uses)
    row = session.get(UnusedForm, name)
    return None if row is None else FormDocument(name, ui_name, row.schema, row.ui_schema, ())


def _uses(versions: Iterable[ProcessModelVersion]) -> dict[str, list[FormUse]]:
    """Which user tasks (and start events) name which form, read from each latest version's own process in
    its diagram."""
    found: dict[str, list[FormUse]] = {}
    for version in sorted(versions, key=lambda v: (v.name, v.process_id)):
        for use in _form_uses(version):
            found.setdefault(use.schema_name, []).append(use.use)
    return found


@dataclass(frozen=True)
class _NamedForm:
    schema_name: str
    use: FormUse
    starts: bool  # the process's own start event: asked before the process starts


def _form_uses(version: ProcessModelVersion) -> list[_NamedForm]:
    root = spiff.parse_xml(version.bpmn_xml.encode(), version.filename)
    process = next((p for p in root.iter(f"{{{_BPMN}}}process") if p.get("id") == version.process_id), None)
    if process is None:
        return []
    elements = [(e, True) for e in process.findall(f"{{{_BPMN}}}startEvent")]
    elements += [(e, False) for e in process.iter(f"{{{_BPMN}}}userTask")]
    named = []
    for element, starts in elements:
        properties = {p.get("name"): p.get("value") for p in element.findall(_PROPERTY)}
        name = properties.get("formJsonSchemaFilename")
        if name:
            named.append(_NamedForm(name, FormUse(
                version.process_id, version.name, version.version, element.get("id", ""),
                element.get("name") or element.get("id", ""), properties.get("formUiSchemaFilename") or None),
                starts))
    return named


_start_forms: dict[str, tuple[dict[str, Any], dict[str, Any]] | None] = {}
"""A version's content hash (its diagram and forms) → its start form: a version's content never changes."""


def start_form(service: WorkflowService, process_id: str, version: int | None = None
               ) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The JSON Schema and UI schema a process asks before it starts (its start event's form, which the forms
    editor publishes like any other), in its latest version or the one given; None if it names none.
    Shared: read only."""
    chosen = (select(ProcessModelVersion.id, ProcessModelVersion.content_hash)
              .where(ProcessModelVersion.process_id == process_id))
    chosen = chosen.where(ProcessModelVersion.version == version) if version is not None \
        else chosen.order_by(ProcessModelVersion.version.desc()).limit(1)
    with service.db.read() as session:
        found = session.execute(chosen).one_or_none()
        if found is None:
            return None
        version_id, digest = found
        if digest not in _start_forms:
            version = session.get(ProcessModelVersion, version_id)
            first = next((n for n in _form_uses(version) if n.starts), None)
            _start_forms[digest] = None if first is None else (
                version.forms.get(first.schema_name, {}),
                version.forms.get(first.use.ui_name, {}) if first.use.ui_name else {})
    return _start_forms[digest]


def _ui_name(name: str, uses: Iterable[FormUse]) -> str:
    """The UI schema the tasks pair with this form: the conventional name if any task uses it (or none names
    one yet), else the one they name."""
    named = sorted({u.ui_name for u in uses if u.ui_name})
    conventional = ui_name_for(name)
    return conventional if conventional in named or not named else named[0]


def _processes(uses: Iterable[FormUse]) -> list[ProcessUse]:
    grouped: dict[str, list[FormUse]] = {}
    for use in uses:
        grouped.setdefault(use.process_id, []).append(use)
    return [ProcessUse(pid, found[0].process_name, found[0].version, tuple(u.task_name for u in found))
            for pid, found in grouped.items()]


def _title(schema: Any) -> str:
    title = schema.get("title") if isinstance(schema, dict) else None
    return title if isinstance(title, str) else ""


# --- checking --------------------------------------------------------------------------------------

@dataclass
class FormCheck:
    """A proposed form, read and checked. Each problem's `file` says which of the two documents it is in
    (the form's name or its UI schema's), `line` where, `element_id` the JSON pointer and `element_name`
    the question. `previewable` when the task page can be drawn from it, problems or not."""

    name: str
    ui_name: str
    schema: dict[str, Any] | None
    ui_schema: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)
    previewable: bool = False


def check_name(name: str) -> None:
    """Raise unless `name` may name a form file: it becomes part of a page address and a diagram property."""
    if not FORM_NAME.match(name):
        raise EngineError("Give the form a file name of lower-case letters, digits, dashes or underscores ending "
                          f"in {SCHEMA_SUFFIX}, like check_in{SCHEMA_SUFFIX} (up to 92 characters).", field="name")


def check_form(name: str, schema_text: str, ui_text: str, *, ui_name: str | None = None) -> FormCheck:
    """Read and check a form as the editor sends it: JSON (with line numbers), size and depth, the JSON
    Schema metaschema, then what the task page can show. Nothing is stored."""
    ui_name = ui_name or ui_name_for(name)
    schema, schema_lines, problems = _read_json(schema_text, name, required=True)
    ui, ui_lines, ui_problems = _read_json(ui_text, ui_name, required=False)
    checked = FormCheck(name, ui_name, schema, ui, [*problems, *ui_problems])
    if schema is None or ui is None:
        return checked
    # The rendering rule reads the schema as JSON Schema, so it runs only on one that is.
    issues = form_rules.metaschema_issues(schema) or form_rules.rendering_problems(schema, ui)
    lines = {SCHEMA: (name, schema_lines), UI_SCHEMA: (ui_name, ui_lines)}
    checked.problems.extend(_located(issue, *lines[issue.document]) for issue in issues)
    checked.previewable = not any(issue.blocks_preview for issue in issues)
    return checked


def _located(issue: form_rules.FormIssue, file: str, lines: Mapping[tuple[Any, ...], int]) -> Problem:
    path = issue.path
    known = next((path[:n] for n in range(len(path), -1, -1) if path[:n] in lines), ())
    if issue.document == SCHEMA:
        question = str(path[1]) if len(path) > 1 and path[0] == "properties" else ""
    else:
        question = str(path[0]) if path and path[0] != form_rules.UI_ORDER else ""
    pointer = "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)
    return Problem(issue.message, file=file, element_id=pointer, element_name=question, line=lines.get(known))


def _read_json(text: str, file: str, *, required: bool) -> tuple[dict[str, Any] | None, dict[Any, int],
                                                                   list[Problem]]:
    if not text.strip():
        if required:
            return None, {}, [Problem("Enter the form's JSON Schema: a JSON object starting with {.", file=file)]
        return {}, {}, []
    size = len(text.encode("utf-8"))
    if size > MAX_FORM_BYTES:
        return None, {}, [Problem(f"This is {size / 1024:.0f} KB; a form may be at most {MAX_FORM_BYTES // 1024} "
                                  "KB. Split it into smaller forms.", file=file)]
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        return None, {}, [Problem(f"This is not valid JSON: {error.msg} (column {error.colno}).", file=file,
                                  line=error.lineno)]
    except _NotJson as error:
        return None, {}, [Problem(f"{error} is not a JSON number; write a number or a string.", file=file)]
    except RecursionError:
        return None, {}, [_too_deep(file)]
    if not isinstance(value, dict):
        return None, {}, [Problem("This must be a JSON object, starting with { and ending with }.", file=file,
                                  line=1)]
    depth, has_nul = _shape(value)
    if depth > MAX_FORM_DEPTH:
        return None, {}, [_too_deep(file)]
    if has_nul:  # PostgreSQL cannot store it in JSON, and no question needs it
        where = text.find("\\u0000")
        return None, {}, [Problem("Text in a form cannot contain \\u0000.", file=file,
                                  line=text.count("\n", 0, where) + 1 if where >= 0 else None)]
    lines, repeated = _lines(text)
    problems = [Problem(f"“{key}” is given twice in the same object; keep one.", file=file, line=line)
                for key, line in repeated]
    return (None if problems else value), lines, problems


class _NotJson(ValueError):
    pass


def _no_constant(word: str) -> Any:
    # Python's json module accepts NaN and Infinity; JSON (and PostgreSQL's JSONB) do not.
    raise _NotJson(word)


def _too_deep(file: str) -> Problem:
    return Problem(f"This is nested too deeply: at most {MAX_FORM_DEPTH} objects and lists inside each other.",
                   file=file)


def _shape(value: Any) -> tuple[int, bool]:
    """How deeply objects and lists nest, and whether any key or text holds a NUL character."""
    deepest, has_nul, stack = 0, False, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        children = list(node.values()) if isinstance(node, dict) else node
        has_nul = has_nul or any("\x00" in k for k in node if isinstance(node, dict)) \
            or any(isinstance(c, str) and "\x00" in c for c in children)
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest, has_nul


def _lines(text: str) -> tuple[dict[tuple[Any, ...], int], list[tuple[str, int]]]:
    """The line each key and value of a JSON document is on, by its path, and the keys given twice in one
    object. Only for text that json.loads has accepted and that is at most MAX_FORM_DEPTH deep."""
    newlines = [i for i, c in enumerate(text) if c == "\n"]
    lines: dict[tuple[Any, ...], int] = {}
    repeated: list[tuple[str, int]] = []

    def line(position: int) -> int:
        return bisect.bisect_left(newlines, position) + 1

    def skip(position: int) -> int:
        while text[position] in " \t\r\n":
            position += 1
        return position

    def value(position: int, path: tuple[Any, ...]) -> int:
        position = skip(position)
        lines.setdefault(path, line(position))
        opener = text[position]
        if opener == '"':
            return json.decoder.scanstring(text, position + 1)[1]  # type: ignore[attr-defined]
        if opener not in "{[":
            return _SCALAR.match(text, position).end()  # type: ignore[union-attr]
        closer, position, index, seen = ("}" if opener == "{" else "]"), skip(position + 1), 0, set()
        while text[position] != closer:
            if opener == "{":
                key_line = line(position)
                key, position = json.decoder.scanstring(text, position + 1)  # type: ignore[attr-defined]
                if key in seen:
                    repeated.append((key, key_line))
                seen.add(key)
                lines[(*path, key)] = key_line
                position = value(skip(position) + 1, (*path, key))  # past the colon
            else:
                position = value(position, (*path, index))
                index += 1
            position = skip(position)
            if text[position] == ",":
                position = skip(position + 1)
        return position + 1

    value(0, ())
    return lines, repeated


# --- publishing ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Published:
    name: str
    deployed: list[deployment.Deployed]
    """The processes that got a new version (or kept theirs when nothing changed); empty for an unused form."""


def publish_form(service: WorkflowService, name: str, schema_text: str, ui_text: str, actor: Actor, *,
                 expected_digest: str | None = None, new: bool = False) -> Published:
    """Publish a form: a new version of every process whose latest version uses it, through the deploy
    validator, or (used by none) into the unused forms. `new` refuses a name that is taken; an
    `expected_digest` other than the current one means someone else published first. Raises
    DiagramInvalid listing every problem, Conflict, or EngineError for a bad name; whichever, nothing is
    stored. Removes the form's draft."""
    with service.db.write() as session:
        current = _published(session, name)
        if current is None:
            check_name(name)
        elif new:
            raise Conflict(f"A form called {name!r} already exists. Open it from the list of forms to change it.",
                           field="name")
        uses = current.uses if current else ()
        checked = check_form(name, schema_text, ui_text, ui_name=_ui_name(name, uses))
        if checked.problems or checked.schema is None or checked.ui_schema is None:
            raise DiagramInvalid(checked.problems)
        if expected_digest is not None and (current.digest if current else "") != expected_digest:
            raise Conflict("Someone else published this form after you opened it. Reload it to see their "
                           "changes; yours were not published.", field="schema")
        if uses:
            deployed = _deploy_with(session, service, checked, uses, actor)
            session.execute(delete(UnusedForm).where(UnusedForm.name == name))
        else:
            deployed = []
            session.merge(UnusedForm(name=name, schema=checked.schema, ui_schema=checked.ui_schema,
                                     updated_at=clock.now(), updated_by_id=actor.user_id))
        audit.append(session, "form.published", actor_id=actor.user_id, detail={
            "name": name, "versions": [{"process_id": d.process_id, "version": d.version} for d in deployed
                                       if d.created]})
        drafts.discard_in(session, drafts.FORM, name, actor)
    return Published(name, deployed)


def _deploy_with(session: Session, service: WorkflowService, checked: FormCheck, uses: Iterable[FormUse],
                 actor: Actor) -> list[deployment.Deployed]:
    """Deploy the unchanged diagrams of the processes that use the form, with the new form."""
    named_ui = {u.ui_name for u in uses if u.ui_name}
    if checked.ui_schema and checked.ui_name not in named_ui:
        raise DiagramInvalid([Problem(
            f"No task that shows this form names a UI schema, so the task page would not use this one. In the "
            f"diagram editor, set the task's UI schema to {checked.ui_name}, or leave the UI schema empty.",
            file=checked.ui_name)])
    latest = deployment.latest_versions(session)
    users = {u.process_id for u in uses}
    diagrams = {v.filename: deployment.Diagram(v.filename, v.bpmn_xml.encode(), {})
                for pid, v in latest.items() if pid in users}
    forms = {name: form for version in latest.values() for name, form in version.forms.items()}
    forms[checked.name] = checked.schema
    if checked.ui_name in named_ui:
        forms[checked.ui_name] = checked.ui_schema
    deployed = deployment.deploy(session, service.catalogue, diagrams.values(), forms,
                                 helpers=service.expression_helpers(), actor_id=actor.user_id)
    for d in deployed:
        if d.created:  # as every deploy records it (WorkflowService.deploy)
            audit.append(session, "model.deployed", actor_id=actor.user_id,
                         detail={"process_id": d.process_id, "version": d.version})
    return deployed
