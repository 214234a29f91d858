"""Data protection pages for the Monitoring officer: find a person, download everything held about them
(subject access), correct their name or email, and erase an account that has no open work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from engine import directory, subject_access
from engine.errors import Conflict, EngineError
from processes.roles import MONITORING_OFFICER, ROLES
from web.access import database, me, require

bp = Blueprint("data_protection", __name__, url_prefix="/data-protection")


@bp.app_template_filter("role_name")
def role_name(slug: str) -> str:
    return ROLES.get(slug, slug)


@bp.before_request
@login_required
def _monitoring_officer_only() -> None:
    require(MONITORING_OFFICER in me().roles)


@bp.get("")
def search() -> str:
    text = request.args.get("q", "")[:200]
    return render_template("data_protection/search.html", q=text,
                           people=subject_access.find_people(database(), text) if text.strip() else None)


def _person_page(user_id: int, status: int = 200, errors: dict[str, str] | None = None,
                 values: dict[str, str] | None = None) -> tuple[str, int]:
    person = directory.user(database(), user_id)
    with database().read() as session:
        blocking = subject_access.open_work(session, user_id)
    return render_template("data_protection/person.html", person=person, roles=ROLES, blocking=blocking,
                           form_errors=errors or {}, values=values or {"name": person.name, "email": person.email}
                           ), status


@bp.get("/people/<int:user_id>")
def person(user_id: int) -> tuple[str, int]:
    return _person_page(user_id)


@bp.get("/people/<int:user_id>/export.zip")
def export(user_id: int) -> Response:
    data = subject_access.collect(database(), user_id)
    summary = render_template("data_protection/export_summary.html", data=data, roles=ROLES)
    content = subject_access.archive(data, summary, _read_document)
    subject_access.record_export(database(), user_id, me().id)
    return Response(content, mimetype="application/zip",
                    headers={"Content-Disposition": f"attachment; filename=subject-access-{user_id}.zip"})


def _read_document(storage_key: str) -> bytes | None:
    path = Path(current_app.config["UPLOAD_FOLDER"]) / Path(storage_key).name
    return path.read_bytes() if path.is_file() else None


@bp.post("/people/<int:user_id>/rectify")
def rectify(user_id: int) -> Response | tuple[str, int]:
    values: dict[str, Any] = {"name": request.form.get("name", "")[:300], "email": request.form.get("email", "")[:400]}
    try:
        changed = subject_access.rectify(database(), user_id, name=values["name"], email=values["email"],
                                         actor_id=me().id)
    except EngineError as error:
        if error.status == 404:
            raise
        return _person_page(user_id, 400, {error.field or "name": _error_text(error)}, values)
    flash(_("The details were corrected.") if changed else _("Nothing was changed."), "success")
    return redirect(url_for("data_protection.person", user_id=user_id))


def _error_text(error: EngineError) -> str:
    texts = {"name": _("Enter the person's name, in 200 characters or fewer"),
             "email": _("Enter an email address in the correct format, like name@example.org, that no other "
                        "account uses")}
    return texts.get(error.field or "", error.message)


@bp.post("/people/<int:user_id>/erase")
def erase(user_id: int) -> Response | tuple[str, int]:
    if request.form.get("confirm") != "yes":
        return _person_page(user_id, 400, {"confirm": _("Confirm that the account should be erased")})
    try:
        subject_access.erase(database(), user_id, me().id)
    except Conflict:
        return _person_page(user_id, 409, {"confirm": _("This account cannot be erased while it has open cases "
                                                        "or tasks")})
    flash(_("The account was erased."), "success")
    return redirect(url_for("data_protection.search"))
