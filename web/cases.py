"""Case pages: the officer's view (tasks, timeline, documents, private notes) and the councillor's plain
view of the same case, both behind the need-to-know check; and "My cases" for councillors."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from engine import form_versions, records, retention
from engine.errors import EngineError
from processes.roles import ROLES
from web import evidence
from web.access import CaseAccess, case_access, database, me, require, workflow
from web.report import report_form
from web.schema_form import answer_text, questions

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page here needs someone signed in; each view then checks their access to the case."""


def report_summary(case_id: int) -> list[dict[str, Any]]:
    """What the reporter said, as summary-list rows, from the event that started the case."""
    started = next((e for e in workflow().history(case_id=case_id) if e.action == "instance.started"), None)
    if started is None:
        return []
    data = started.data
    # The questions as they were asked when the case started: a later edit of the form may have dropped some.
    asked = form_versions.start_form(workflow(), started.detail.get("process_id", ""), started.detail.get("version"))
    schema, ui = asked or report_form()
    return [{"key": {"text": q.label}, "value": {"text": answer_text(q, data[q.name]),
                                                   "classes": "app-pre-wrap"}}
            for q in questions(schema, ui) if q.name in data]


@bp.get("")
def mine() -> str:
    require(me().is_councillor)
    found = records.cases_of_councillor(database(), me().id)
    return render_template("cases/mine.html", cases=found)


@bp.get("/<reference>")
def show(reference: str) -> str:
    access = case_access(reference, me())
    case = access.case
    tasks = [t for t in records.open_tasks_of_case(database(), case.id) if access.shows_instance(t.instance_id)]
    events = [e for e in workflow().history(case_id=case.id) if access.shows_instance(e.instance_id)]
    with database().read() as session:
        anonymised = retention.ANONYMISED in retention.withheld(session, [case.id]).get(case.id, set())
    if anonymised:
        # Retention removed what was submitted; the steps that remain say nothing about the case.
        events = [e for e in events if e.action.startswith(("instance.", "case."))]
    notes = {n.id: n for n in records.notes(database(), case.id)} if access.as_officer else {}
    people = records.names(database(), {e.actor_id for e in events if e.actor_id}
                           | {t.assignee_id for t in tasks if t.assignee_id}
                           | {case.councillor_id} - {None})
    processes = {m.process_id: m.name for m in workflow().process_models()}
    timeline = [item for e in events if (item := _timeline_item(e, access, people, notes, processes))]
    return render_template(
        "cases/officer.html" if access.as_officer else "cases/councillor.html",
        case=case, tasks=tasks, timeline=list(reversed(timeline)), people=people,
        documents=records.documents(database(), case.id), roles=ROLES,
        report=report_summary(case.id) if access.as_officer and not anonymised else [])


def _timeline_item(event: Any, access: CaseAccess, people: dict[int, str], notes: dict[int, Any],
                   processes: dict[str, str]) -> dict[str, Any] | None:
    who = people.get(event.actor_id, _("The system")) if event.actor_id else _("The system")
    detail = event.detail or {}
    process = processes.get(detail.get("process_id", ""), detail.get("process_id", ""))
    task = detail.get("title") or detail.get("task", "")
    text: str | None = None
    body = ""
    if access.as_officer:
        match event.action:
            case "instance.started":
                text = _("%(process)s started by %(who)s", process=process, who=who)
            case "task.completed":
                text = _("“%(task)s” completed by %(who)s", task=task, who=who)
            case "task.claimed":
                text = _("“%(task)s” claimed by %(who)s", task=task, who=who)
            case "task.unclaimed":
                text = _("“%(task)s” given back by %(who)s", task=task, who=who)
            case "task.assigned":
                text = _("“%(task)s” assigned to %(name)s by %(who)s", task=task, who=who,
                         name=people.get(detail.get("assignee_id"), _("someone")))
            case "timer.fired":
                text = _("A deadline or scheduled step was reached")
            case "instance.completed":
                text = _("%(process)s finished", process=process)
            case "instance.cancelled":
                text = _("Process stopped by %(who)s: %(reason)s", who=who, reason=detail.get("reason", ""))
            case "case.note_added":
                note = notes.get(detail.get("note_id"))
                text, body = _("Note by %(who)s", who=who), note.body if note else ""
            case "document.added":
                text = _("Evidence added by %(who)s: %(file)s", who=who, file=detail.get("filename", ""))
    else:
        main = min(access.facts.processes, default=None)
        match event.action:
            case "instance.started" if event.instance_id == main:
                text = _("Your report was received")
            case "task.completed":
                text = _("Done: %(task)s", task=task)
            case "document.added":
                text = _("Evidence added: %(file)s", file=detail.get("filename", ""))
            case "instance.completed" if event.instance_id == main:
                text = _("The work on your case has finished")
    if text is None:
        return None
    return {"at": event.at, "text": text, "body": body}


@bp.post("/<reference>/notes")
def add_note(reference: str) -> Response:
    access = case_access(reference, me())
    require(access.as_officer)
    records.add_note(database(), access.case.id, me().id, request.form.get("body", "")[:20_000])
    flash(_("Your note was added."), "success")
    return redirect(url_for("cases.show", reference=reference) + "#timeline")


@bp.post("/<reference>/documents")
def add_document(reference: str) -> Response:
    access = case_access(reference, me())
    upload = request.files.get("evidence")
    if upload is None or not upload.filename:
        raise EngineError(_("Select a file"), field="evidence")
    document = evidence.store(upload, field="evidence", case_id=access.case.id, uploaded_by_id=me().id)
    flash(_("%(file)s was added to the case.", file=document.filename), "success")
    return redirect(url_for("cases.show", reference=reference) + "#documents")


@bp.get("/<reference>/documents/<int:document_id>")
def document(reference: str, document_id: int) -> Response:
    access = case_access(reference, me())
    found = records.document(database(), document_id)
    if found.case_id != access.case.id:
        abort(404)
    return send_file(evidence.path_of(found), mimetype=found.content_type, as_attachment=True,
                     download_name=found.filename, max_age=0)
