"""The officer's inbox and task pages: what is theirs, what they could claim, and (for leads) everything
open in their roles; then claiming, assigning and completing a task through its form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required
from werkzeug.wrappers import Response

from engine import clock, directory, records
from engine.errors import EngineError, FormInvalid
from engine.models import Task
from engine.service import TaskQuery
from web import evidence
from web.access import database, me, require, workflow
from web.cases import report_summary
from web.schema_form import questions, read_answers

bp = Blueprint("inbox", __name__)
PER_PAGE = 20
DUE_FILTERS = ("overdue", "today", "week")


@bp.before_request
@login_required
def _signed_in() -> None:
    """Task pages are for anyone the task is for (a councillor has tasks too); the engine checks who."""


def _tabs() -> list[tuple[str, str]]:
    tabs = [("mine", _("My tasks")), ("claimable", _("Unassigned tasks for my roles"))]
    if me().is_lead:
        tabs.append(("all", _("All open tasks")))
    return tabs


def _due_before(choice: str) -> Any:
    now = clock.now()
    if choice == "overdue":
        return now
    if choice == "today":
        return now.replace(hour=23, minute=59, second=59)
    if choice == "week":
        return now + timedelta(days=7)
    return None


def _process_names() -> dict[str, str]:
    return workflow().process_names()


@bp.get("/inbox")
def index() -> str:
    require(me().is_officer)
    tabs = _tabs()
    tab = request.args.get("tab", "mine")
    if tab not in dict(tabs):
        abort(404)
    process = request.args.get("process", "")
    due = request.args.get("due", "")
    due = due if due in DUE_FILTERS else ""
    page_number = request.args.get("page", "1")
    page_number = int(page_number) if page_number.isdigit() and 0 < int(page_number) < 10_000 else 1
    # One read for the whole page: counts, tasks, their case references and the process names.
    view = workflow().inbox(TaskQuery(scope=tab, process_id=process or None, due_before=_due_before(due),
                                      page=page_number, per_page=PER_PAGE), me().actor,
                            [scope for scope, _label in tabs])
    page = view.page
    return render_template("inbox/index.html", tabs=tabs, tab=tab, counts=view.counts, page=page, process=process,
                           due=due, processes=view.process_names, references=page.references,
                           pagination=_pagination(page, tab, process, due))


def _pagination(page: Any, tab: str, process: str, due: str) -> dict[str, Any]:
    def link(number: int) -> str:
        return url_for("inbox.index", tab=tab, process=process or None, due=due or None, page=number)

    # GOV.UK pagination: the first, last and nearby pages, with ellipses between, however many pages there are.
    shown = sorted({1, page.pages, *range(max(1, page.page - 1), min(page.pages, page.page + 1) + 1)})
    items: list[dict[str, Any]] = []
    previous = 0
    for number in shown:
        if number > previous + 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": link(number), "current": number == page.page})
        previous = number
    result: dict[str, Any] = {"items": items}
    if page.page > 1:
        result["previous"] = {"href": link(page.page - 1)}
    if page.page < page.pages:
        result["next"] = {"href": link(page.page + 1)}
    return result


@bp.get("/tasks/<task_id>")
def task(task_id: str) -> str:
    row, schema, ui = workflow().task(task_id, me().actor)
    return _task_page(row, schema, ui)


def _task_page(row: Task, schema: Any, ui: Any, values: dict[str, Any] | None = None,
               errors: dict[str, str] | None = None) -> str:
    found = questions(schema, ui)
    reference = records.case_references(database(), {row.case_id}).get(row.case_id) if row.case_id else None
    people = records.names(database(), {row.assignee_id} if row.assignee_id else set())
    holders = directory.holders_of(database(), row.role) if row.role and row.status == "open" else []
    return render_template(
        "inbox/task.html", task=row, questions=found, values=values or {}, form_errors=errors or {},
        anchors={q.name: q.anchor for q in found}, reference=reference, assignee=people.get(row.assignee_id),
        mine=row.assignee_id == me().id, holders=holders, process=_process_names().get(row.process_id, ""),
        report=report_summary(row.case_id) if row.case_id else [])


@bp.post("/tasks/<task_id>")
def complete(task_id: str) -> Response | tuple[str, int]:
    row, schema, ui = workflow().task(task_id, me().actor)
    found = questions(schema, ui)
    data, errors = read_answers(found, request.form)
    for question in (q for q in found if q.widget == "file"):
        upload = request.files.get(question.name)
        if upload is None or not upload.filename:
            continue
        try:
            document = evidence.store(upload, field=question.name, case_id=row.case_id, uploaded_by_id=me().id)
        except EngineError as error:
            errors[question.name] = error.message
            continue
        data[question.name] = _document_value(question.schema, document.id)
    if not errors:
        try:
            outcome = workflow().complete_task(task_id, data, me().actor)
        except FormInvalid as invalid:
            errors = invalid.errors
        else:
            flash(_next_step_message(row, outcome.opened, outcome.completed), "success")
            return redirect(url_for("inbox.index"))
    values: dict[str, Any] = request.form.to_dict()
    values |= {q.name: request.form.getlist(q.name) for q in found if q.widget == "checkboxes"}
    return _task_page(row, schema, ui, values=values, errors=errors), 400


def _document_value(schema: dict[str, Any], document_id: int) -> Any:
    """An uploaded file's id, typed as the form's field wants it."""
    if schema.get("type") == "array":
        return [_document_value(schema.get("items") or {}, document_id)]
    return document_id if schema.get("type") == "integer" else str(document_id)


def _next_step_message(row: Task, opened: list[Task], finished: bool) -> str:
    done = _("You completed “%(task)s”.", task=row.title)
    if opened:
        titles = ", ".join(f"“{t.title}”" for t in opened)
        return done + " " + ngettext("Next step: %(titles)s.", "Next steps: %(titles)s.", len(opened), titles=titles)
    if finished:
        return done + " " + _("This process has finished.")
    return done + " " + _("The case is now waiting for other work to finish.")


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Response:
    row = workflow().claim(task_id, me().actor)
    flash(_("You claimed “%(task)s”.", task=row.title), "success")
    return redirect(url_for("inbox.task", task_id=task_id))


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str) -> Response:
    row = workflow().unclaim(task_id, me().actor)
    flash(_("You gave back “%(task)s”. Anyone in its role can now claim it.", task=row.title), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<task_id>/assign")
def assign(task_id: str) -> Response:
    chosen = request.form.get("assignee", "")
    if not chosen.isdigit():
        raise EngineError(_("Choose someone who holds this task's role."), field="assignee")
    row = workflow().assign(task_id, int(chosen), me().actor)
    name = records.names(database(), {int(chosen)}).get(int(chosen), "")
    flash(_("“%(task)s” is now assigned to %(name)s.", task=row.title, name=name), "success")
    return redirect(url_for("inbox.task", task_id=task_id))
