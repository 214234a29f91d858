"""Report an incident: one question per page, check your answers, then a case reference. A councillor
reports for themselves; a support officer may report on a councillor's behalf."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from engine import directory, form_versions, forms, records
from engine.errors import EngineError, FormInvalid
from processes.catalogue import DIAGRAMS
from processes.roles import COUNCILLOR, SUPPORT_OFFICER
from web import evidence
from web.access import database, me, require, workflow
from web.schema_form import Question, answer_text, form_values, questions, read_answers

bp = Blueprint("report", __name__, url_prefix="/report")

DRAFT_KEY = "report_draft"
EVIDENCE = "_evidence"
COUNCILLOR_ID = "_councillor_id"
DANGER = "in_danger"


@dataclass(frozen=True)
class QuestionPage:
    slug: str
    title: Any
    fields: tuple[str, ...]


PAGES = (
    QuestionPage("danger", lazy_gettext("Your safety"), (DANGER,)),
    QuestionPage("when", lazy_gettext("When it happened"), ("incident_date",)),
    QuestionPage("how", lazy_gettext("Where or how it happened"), ("how", "platform", "link_or_handle")),
    QuestionPage("who", lazy_gettext("Who did it"), ("perpetrator", "perpetrator_name", "perpetrator_handle")),
    QuestionPage("what", lazy_gettext("What happened"), ("what_happened",)),
    QuestionPage("evidence", lazy_gettext("Evidence"), ()),
    QuestionPage("wellbeing", lazy_gettext("Your wellbeing"), ("wellbeing_support",)),
    QuestionPage("consent", lazy_gettext("Sharing your report"), ("share_with_group", "share_with_police")),
)


def report_form() -> tuple[dict[str, Any], dict[str, Any]]:
    """The report's JSON Schema and UI schema: the form the report process's start event asks, as deployed
    (an admin edits it in the forms editor like any other), else the product's bpmn/forms/report.*.json."""
    if "report_form" not in g:
        g.report_form = form_versions.start_form(workflow(), current_app.config["REPORT_PROCESS"]) \
            or _shipped_report_form()
    return g.report_form


def _shipped_report_form() -> tuple[dict[str, Any], dict[str, Any]]:
    cached = current_app.extensions.get("report_form")
    if cached is None:
        folder = DIAGRAMS / "forms"
        schema = json.loads((folder / "report.schema.json").read_text())
        ui_path = folder / "report.uischema.json"
        cached = (schema, json.loads(ui_path.read_text()) if ui_path.exists() else {})
        current_app.extensions["report_form"] = cached
    return cached


def _pages() -> list[QuestionPage]:
    """The question pages, with any field the schema has that no page asks about added at the end."""
    schema, _ui = report_form()
    known = set(schema.get("properties", {}))
    pages = [QuestionPage(p.slug, p.title, tuple(f for f in p.fields if f in known)) for p in PAGES]
    pages = [p for p in pages if p.fields or p.slug == "evidence"]
    asked = {f for p in pages for f in p.fields}
    rest = tuple(f for f in schema.get("properties", {}) if f not in asked and f != "evidence")
    if rest:
        pages.append(QuestionPage("more", lazy_gettext("More about the incident"), rest))
    if SUPPORT_OFFICER in me().roles:
        pages.insert(0, QuestionPage("councillor", lazy_gettext("Who you are reporting for"), ()))
    return pages


def _page_questions(page: QuestionPage) -> list[Question]:
    schema, ui = report_form()
    every = {q.name: q for q in questions(schema, ui)}
    return [every[name] for name in page.fields if name in every]


def _sub_schema(page: QuestionPage) -> dict[str, Any]:
    schema, _ui = report_form()
    return {"type": "object", "properties": {f: schema["properties"][f] for f in page.fields},
            "required": [f for f in schema.get("required", []) if f in page.fields]}


def _token() -> str:
    if DRAFT_KEY not in session:
        session[DRAFT_KEY] = secrets.token_urlsafe(32)
    return session[DRAFT_KEY]


def _answers() -> dict[str, Any]:
    return records.draft(database(), _token(), me().id)


def _save(answers: dict[str, Any]) -> None:
    records.save_draft(database(), _token(), me().id, answers)


@bp.before_request
@login_required
def _may_report() -> None:
    require(me().may_report)


@bp.get("")
def start() -> str:
    return render_template("report/start.html", first=_pages()[0].slug)


@bp.route("/<slug>", methods=["GET", "POST"])
def question(slug: str) -> Response | str | tuple[str, int]:
    pages = _pages()
    page = next((p for p in pages if p.slug == slug), None)
    if page is None:
        abort(404)
    answers = _answers()
    errors: dict[str, str] = {}
    anchors: dict[str, str] = {}
    found = _page_questions(page)
    values = form_values(found, answers)
    if request.method == "POST":
        if page.slug == "councillor":
            errors = _read_councillor(answers)
        elif page.slug == "evidence":
            errors = _read_evidence(answers)
        else:
            data, errors = read_answers(found, request.form)
            if not errors:
                try:
                    forms.validate(_sub_schema(page), data)
                except FormInvalid as invalid:
                    errors = invalid.errors
            values = form_values(found, data) | _raw_dates(found)
            if not errors:
                answers = {k: v for k, v in answers.items() if k not in page.fields} | data
        anchors = {q.name: q.anchor for q in found}
        if not errors:
            _save(answers)
            return redirect(_next_url(pages, page))
    context = {"page": page, "questions": found, "values": values, "form_errors": errors, "anchors": anchors,
               "answers": answers, "back": _back_url(pages, page), "in_danger": answers.get(DANGER) == "yes",
               "councillors": _councillors() if page.slug == "councillor" else [],
               "evidence": _evidence_documents(answers) if page.slug == "evidence" else []}
    return render_template("report/question.html", **context), 400 if errors else 200


def _raw_dates(found: list[Question]) -> dict[str, str]:
    """Dates exactly as typed, so a wrong one is shown back for correcting rather than lost."""
    return {f"{q.name}-{part}": request.form.get(f"{q.name}-{part}", "")
            for q in found if q.widget == "date" for part in ("day", "month", "year")}


def _read_councillor(answers: dict[str, Any]) -> dict[str, str]:
    chosen = request.form.get("councillor", "")
    ids = {str(u.id) for u in directory.holders_of(database(), COUNCILLOR)}
    if chosen not in ids:
        return {"councillor": _("Select the councillor you are reporting for")}
    answers[COUNCILLOR_ID] = int(chosen)
    return {}


def _read_evidence(answers: dict[str, Any]) -> dict[str, str]:
    remove = request.form.get("remove")
    if remove:
        answers[EVIDENCE] = [d for d in answers.get(EVIDENCE, []) if str(d) != remove]
        return {}
    upload = request.files.get("evidence")
    if upload is None or not upload.filename:
        return {}
    if len(answers.get(EVIDENCE, [])) >= 10:
        return {"evidence": _("You can add up to 10 files")}
    try:
        document = evidence.store(upload, field="evidence", case_id=None, uploaded_by_id=me().id)
    except EngineError as error:
        return {"evidence": error.message}
    answers[EVIDENCE] = [*answers.get(EVIDENCE, []), document.id]
    if request.form.get("action") == "add-another":
        answers["_stay"] = True
    return {}


def _evidence_documents(answers: dict[str, Any]) -> list[records.Document]:
    wanted = set(answers.get(EVIDENCE, []))
    return [records.document(database(), d) for d in sorted(wanted)]


def _councillors() -> list[dict[str, Any]]:
    return [{"value": "", "text": _("Choose a councillor")}] + [
        {"value": str(u.id), "text": f"{u.name} ({u.email})"} for u in directory.holders_of(database(), COUNCILLOR)]


def _next_url(pages: list[QuestionPage], page: QuestionPage) -> str:
    answers = _answers()
    if answers.pop("_stay", False):
        _save(answers)
        return url_for("report.question", slug=page.slug)
    if request.args.get("change"):
        return url_for("report.check")
    index = pages.index(page)
    return url_for("report.question", slug=pages[index + 1].slug) if index + 1 < len(pages) \
        else url_for("report.check")


def _back_url(pages: list[QuestionPage], page: QuestionPage) -> str:
    index = pages.index(page)
    return url_for("report.question", slug=pages[index - 1].slug) if index else url_for("report.start")


@bp.route("/check", methods=["GET", "POST"])
def check() -> Response | str | tuple[str, int]:
    answers = _answers()
    schema, _ui = report_form()
    pages = _pages()
    data = {k: v for k, v in answers.items() if not k.startswith("_")}
    errors: dict[str, str] = {}
    if SUPPORT_OFFICER in me().roles and COUNCILLOR_ID not in answers:
        errors["councillor"] = _("Select the councillor you are reporting for")
    try:
        forms.validate(schema, data)
    except FormInvalid as invalid:
        errors |= invalid.errors
    if request.method == "POST" and not errors:
        return _submit(answers, data)
    anchors = {f: url_for("report.question", slug=p.slug, change=1) for p in pages for f in p.fields}
    rows = _summary_rows(pages, answers)
    return render_template("report/check.html", rows=rows, form_errors=errors, anchors=anchors,
                           in_danger=answers.get(DANGER) == "yes"), 400 if errors and request.method == "POST" else 200


def _summary_rows(pages: list[QuestionPage], answers: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for page in pages:
        change = url_for("report.question", slug=page.slug, change=1)
        if page.slug == "councillor":
            names = records.names(database(), {answers.get(COUNCILLOR_ID, 0)})
            rows.append(_row(_("Councillor"), names.get(answers.get(COUNCILLOR_ID, 0), ""), change))
        elif page.slug == "evidence":
            files = ", ".join(d.filename for d in _evidence_documents(answers)) or _("None")
            rows.append(_row(_("Evidence"), files, change))
        for q in _page_questions(page):
            rows.append(_row(q.label, answer_text(q, answers.get(q.name)), change))
    return rows


def _row(key: str, value: str, href: str) -> dict[str, Any]:
    return {"key": {"text": key}, "value": {"text": value or _("Not answered")},
            "actions": {"items": [{"href": href, "text": _("Change"), "visuallyHiddenText": key.lower()}]}}


def _submit(answers: dict[str, Any], data: dict[str, Any]) -> Response:
    person = me()
    councillor_id = answers.get(COUNCILLOR_ID) if SUPPORT_OFFICER in person.roles else person.id
    documents = list(answers.get(EVIDENCE, []))
    start_data = {**data, "evidence": [str(d) for d in documents], "reported_on_behalf": councillor_id != person.id}
    if data.get(DANGER) == "yes":
        start_data["severity"] = "severe"  # DOMAIN.md: someone in danger skips the queue
    outcome = workflow().open_case(start_data, councillor_id=councillor_id, actor=person.actor,
                                   process_id=current_app.config["REPORT_PROCESS"])
    if documents:
        records.attach_documents(database(), documents, outcome.case_id, person.id)
    records.discard_draft(database(), _token())
    session.pop(DRAFT_KEY, None)
    reference = records.case_references(database(), {outcome.case_id}).get(outcome.case_id, "")
    session["reported"] = reference
    session["reported_in_danger"] = data.get(DANGER) == "yes"
    return redirect(url_for("report.sent"))


@bp.get("/sent")
def sent() -> str:
    reference = session.get("reported")
    if not reference:
        abort(404)
    return render_template("report/sent.html", reference=reference, in_danger=session.get("reported_in_danger"),
                           hours=_setting("triage_due_hours_in_danger", 4),
                           days=_setting("triage_due_working_days", 1))


def _setting(name: str, default: int) -> int:
    try:
        return workflow().setting(name)
    except KeyError:
        return default


@bp.app_template_filter()
def evidence_row(document: records.Document) -> dict[str, Any]:
    """A file added to the report, with a button to take it off again."""
    button = Markup('<button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" '
                    'name="remove" value="{}">{} <span class="govuk-visually-hidden">{}</span></button>'
                    ).format(document.id, _("Remove"), document.filename)
    return {"key": {"text": document.filename}, "value": {"html": button}}
