"""The form editor's pages, on the diagrams blueprint: the list of task forms and the processes using each,
a new form, and editing a form's JSON Schema and UI schema with a preview drawn by the task page's own
macro, drafts, and publishing (a new version of each process that uses the form).

Everything works without JavaScript: Preview, Save draft and Publish are submit buttons. With it,
web/static/diagrams/form-editor.mjs asks `form_preview` for the preview fragment as the admin types."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from engine import drafts, form_versions
from engine.errors import Conflict, DiagramInvalid, EngineError, NotFound, Problem
from web.access import workflow
from web.diagrams.blueprint import admin_only, bp
from web.schema_form import Question, questions

# Two documents at the size limit, the name and the token: a bigger body is refused before it is read.
MAX_BODY_BYTES = 2 * form_versions.MAX_FORM_BYTES + 64 * 1024
FIELDS = {"name": "form-name", form_versions.SCHEMA: "form-schema", form_versions.UI_SCHEMA: "form-uischema"}
PLACEHOLDER_NAME = "new_form.schema.json"


@dataclass
class Editor:
    """What the edit page shows: the texts being edited, where they came from, and what checking found."""

    name: str
    schema_text: str
    ui_text: str
    new: bool = False
    document: form_versions.FormDocument | None = None
    draft: drafts.Draft | None = None
    checked: form_versions.FormCheck | None = None
    listed: list[str] = field(default_factory=list)
    """What checking found, said as the error summary would say it, for the list beside the preview."""
    given_ui_name: str = ""
    """The UI schema's name as the page sends it to the preview, which says which box a problem is in."""
    errors: dict[str, str] = field(default_factory=dict)
    """The error summary: one entry a problem, keyed uniquely; `anchors` sends each to its field."""
    anchors: dict[str, str] = field(default_factory=dict)
    field_errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return self.document.digest if self.document else ""

    @property
    def draft_version(self) -> int:
        return self.draft.version if self.draft else 0

    @property
    def ui_name(self) -> str:
        if self.document:
            return self.document.ui_name
        if self.given_ui_name.endswith(form_versions.UI_SUFFIX) and _nameable(
                self.given_ui_name.replace(form_versions.UI_SUFFIX, form_versions.SCHEMA_SUFFIX)):
            return self.given_ui_name
        return form_versions.ui_name_for(self.name or PLACEHOLDER_NAME)

    def refuse(self, field_name: str, message: str) -> None:
        key = f"{field_name}-{len(self.errors) + 1}"
        self.errors[key] = message
        self.anchors[key] = FIELDS.get(field_name, FIELDS[form_versions.SCHEMA])
        self.field_errors.setdefault(field_name, []).append(message)

    def report(self, problems: list[Problem]) -> None:
        for problem in problems:
            self.refuse(*self.said(problem))

    def said(self, problem: Problem) -> tuple[str, str]:
        """The box a problem is about, and the problem as the error summary says it."""
        if problem.file == self.ui_name:
            return form_versions.UI_SCHEMA, _describe(problem, _("The UI schema"))
        if problem.file in ("", self.name, PLACEHOLDER_NAME):
            return form_versions.SCHEMA, _describe(problem, _("The JSON Schema"))
        # A diagram this form would break: the fix is in the form, so that is where it points.
        return form_versions.SCHEMA, _("%(diagram)s would break: %(problem)s", diagram=problem.file,
                                       problem=str(problem))

    def error_html(self, field_name: str) -> dict[str, Any] | None:
        messages = self.field_errors.get(field_name)
        return {"html": Markup("<br>").join(messages)} if messages else None


def _describe(problem: Problem, where: str) -> str:
    """A problem in the form as the error summary says it: which document, the line and the question."""
    if problem.line and problem.element_name:
        return _("%(where)s, line %(line)s, question “%(question)s”: %(message)s", where=where, line=problem.line,
                 question=problem.element_name, message=problem.message)
    if problem.line:
        return _("%(where)s, line %(line)s: %(message)s", where=where, line=problem.line, message=problem.message)
    if problem.element_name:
        return _("%(where)s, question “%(question)s”: %(message)s", where=where, question=problem.element_name,
                 message=problem.message)
    return _("%(where)s: %(message)s", where=where, message=problem.message)


# --- pages ---------------------------------------------------------------------------------------

@bp.get("/forms/")
@admin_only
def forms() -> str:
    listed = form_versions.forms_in_use(workflow())
    saved = {d.name: d for d in drafts.drafts(workflow(), drafts.FORM)}
    published = {f.name for f in listed}
    return render_template("diagrams/forms.html", page_title=_("Task forms"), forms=listed, drafts=saved,
                           unpublished=[d for name, d in saved.items() if name not in published])


@bp.route("/forms/new", methods=["GET", "POST"])
@admin_only
def new_form() -> Any:
    if request.method == "GET":
        schema, ui = _starter()
        return _page(Editor("", schema, ui, new=True))
    return _act(Editor(_posted("name").strip(), _posted(form_versions.SCHEMA), _posted(form_versions.UI_SCHEMA),
                       new=True))


@bp.route("/forms/<name>", methods=["GET", "POST"])
@admin_only
def form(name: str) -> Any:
    document = _document(name)
    draft = drafts.draft(workflow(), drafts.FORM, name) if _nameable(name) else None
    if document is None and draft is None:
        abort(404)
    if request.method == "GET":
        schema, ui = _draft_texts(draft) if draft else (_pretty(document.schema), _pretty(document.ui_schema))
        return _page(Editor(name, schema, ui, document=document, draft=draft))
    return _act(Editor(name, _posted(form_versions.SCHEMA), _posted(form_versions.UI_SCHEMA), document=document,
                       draft=draft))


@bp.post("/forms/preview")
@admin_only
def form_preview() -> tuple[str, int]:
    """The preview as an HTML fragment, for the editor's script; problems come inside it."""
    editor = _checked(Editor(_posted("name").strip() or PLACEHOLDER_NAME, _posted(form_versions.SCHEMA),
                             _posted(form_versions.UI_SCHEMA), given_ui_name=request.form.get("ui_name", "")))
    return render_template("diagrams/form_preview.html", editor=editor, questions=_questions(editor),
                           problems=editor.listed), 200


# --- what the buttons do -------------------------------------------------------------------------

def _act(editor: Editor) -> Any:
    action = request.form.get("action", "preview")
    if action == "publish":
        return _publish(editor)
    if action == "save-draft":
        return _save_draft(editor)
    if action == "discard-draft" and not editor.new:
        drafts.discard_draft(workflow(), drafts.FORM, editor.name, current_user.actor)
        flash(_("The draft was discarded."), "success")
        return redirect(url_for(".form", name=editor.name) if editor.document else url_for(".forms"))
    checked = _checked(editor).checked
    editor.report(checked.problems if checked else [])
    return _page(editor, 422 if editor.errors else 200)


def _publish(editor: Editor) -> Any:
    try:
        published = form_versions.publish_form(
            workflow(), editor.name, editor.schema_text, editor.ui_text, current_user.actor, new=editor.new,
            expected_digest=None if editor.new else request.form.get("digest", ""))
    except DiagramInvalid as error:
        editor.report(error.problems)
    except Conflict as error:
        editor.refuse(error.field if error.field in FIELDS else form_versions.SCHEMA, error.message)
        return _page(editor, 409)
    except EngineError as error:
        editor.refuse(error.field if error.field in FIELDS else form_versions.SCHEMA, error.message)
    else:
        names = {p.process_id: p.name for p in editor.document.processes} if editor.document else {}
        flash(_published_message(published, names), "success")
        return redirect(url_for(".form", name=published.name))
    return _page(editor, 422)


def _published_message(published: form_versions.Published, names: dict[str, str]) -> str:
    made = [d for d in published.deployed if d.created]
    if made:
        versions = ", ".join(_("%(process)s version %(version)s", process=names.get(d.process_id, d.process_id),
                               version=d.version) for d in made)
        return _("The form was published. New process versions: %(versions)s. Cases already running keep the "
                 "form they started with.", versions=versions)
    if published.deployed:
        return _("Nothing changed, so no process got a new version.")
    return _("The form was published. No diagram uses it yet: name it as a task's form in the diagram editor.")


def _save_draft(editor: Editor) -> Any:
    content = json.dumps({form_versions.SCHEMA: editor.schema_text, form_versions.UI_SCHEMA: editor.ui_text})
    try:
        if editor.new:
            form_versions.check_name(editor.name)
            if _document(editor.name) is not None:
                raise Conflict(_("A form called %(name)s already exists. Open it from the list of forms to change "
                                 "it.", name=editor.name), field="name")
        drafts.save_draft(workflow(), drafts.FORM, editor.name, content, current_user.actor,
                          expected_version=_int(request.form.get("draft_version", "")))
    except EngineError as error:
        editor.refuse(error.field if error.field in FIELDS else form_versions.SCHEMA, error.message)
        return _page(editor, error.status)
    flash(_("Draft saved. It is not published: tasks still show the published form."), "success")
    return redirect(url_for(".form", name=editor.name))


# --- helpers -------------------------------------------------------------------------------------

def _checked(editor: Editor) -> Editor:
    """The editor with its texts checked, for the preview; the problems go in the error summary only
    when the admin asked (Preview or Publish), and are listed beside the preview otherwise."""
    editor.checked = form_versions.check_form(editor.name or PLACEHOLDER_NAME, editor.schema_text, editor.ui_text,
                                              ui_name=editor.ui_name)
    editor.listed = [editor.said(problem)[1] for problem in editor.checked.problems]
    return editor


def _page(editor: Editor, status: int = 200) -> tuple[str, int]:
    if editor.checked is None:
        editor = _checked(editor)
    title = _("New task form") if editor.new else _("Edit the form %(name)s", name=editor.name)
    # Problems in the error summary are not listed again beside the preview.
    return render_template("diagrams/form.html", page_title=title, editor=editor, questions=_questions(editor),
                           problems=[] if editor.errors else editor.listed, form_errors=editor.errors,
                           anchors=editor.anchors), status


def _questions(editor: Editor) -> list[Question]:
    checked = editor.checked
    if checked is None or not checked.previewable or checked.schema is None:
        return []
    return questions(checked.schema, checked.ui_schema)


def _posted(name: str) -> str:
    """A field of the edit form, once the body is known to be small enough to read."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise EngineError(_("The form is too large: the JSON Schema and the UI schema may each be at most "
                            "%(kb)s KB.", kb=form_versions.MAX_FORM_BYTES // 1024), field=FIELDS["schema"])
    return request.form.get(FIELDS.get(name, name), "").replace("\r\n", "\n")


def _document(name: str) -> form_versions.FormDocument | None:
    try:
        return form_versions.read_form(workflow(), name)
    except NotFound:
        return None


def _nameable(name: str) -> bool:
    return bool(form_versions.FORM_NAME.match(name))


def _draft_texts(draft: drafts.Draft) -> tuple[str, str]:
    """The two texts of a saved draft (kept as typed; an object from elsewhere is shown indented)."""
    saved = json.loads(draft.content)
    texts = [saved.get(key, "") if isinstance(saved, dict) else "" for key in (form_versions.SCHEMA,
                                                                               form_versions.UI_SCHEMA)]
    schema, ui = (t if isinstance(t, str) else _pretty(t) for t in texts)
    return schema, ui


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) if value else ""


def _starter() -> tuple[str, str]:
    """A form with one question to change: easier to start from than an empty box."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": _("New form"), "type": "object",
              "properties": {"notes": {"title": _("Notes"), "type": "string", "maxLength": 5000}},
              "required": ["notes"], "additionalProperties": False}
    return _pretty(schema), _pretty({"notes": {"ui:widget": "textarea"}, "ui:order": ["notes"]})


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 10 else None
