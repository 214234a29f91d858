"""Directories: admins keep the police forces (named police officer, Force Elected Official Adviser) and the
council's resource links; councillors and officers read them, with each group's support contact, on the
Resources page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from engine import directory
from engine.errors import EngineError, FormInvalid
from web.access import database, me, require

bp = Blueprint("directories", __name__)

FORCE_FIELDS = ("name", "officer_name", "officer_collar_number", "officer_contact", "adviser_name",
                "adviser_contact")
LINK_FIELDS = ("title", "url", "description", "position")
# Form fields are capped before validation so an oversized post cannot make a huge error page.
FIELD_CAP = 5000


@bp.before_request
@login_required
def _who_may_see() -> None:
    person = me()
    if request.endpoint == "directories.resources":
        require(person.is_councillor or person.is_officer)
    else:
        require(person.is_admin)


@bp.get("/resources")
def resources() -> str:
    db = database()
    return render_template("directories/resources.html", links=directory.resource_links(db),
                           forces=directory.police_forces(db), groups=directory.group_contacts(db))


@bp.get("/admin/directories")
def index() -> str:
    db = database()
    return render_template("directories/admin.html", forces=directory.police_forces(db),
                           links=directory.resource_links(db), groups=directory.group_contacts(db))


def _submitted(fields: tuple[str, ...]) -> dict[str, str]:
    return {field: request.form.get(field, "")[:FIELD_CAP] for field in fields}


def _errors(error: EngineError) -> dict[str, str]:
    return error.errors if isinstance(error, FormInvalid) else {error.field or "": error.message}


@bp.route("/admin/directories/forces/new", methods=["GET", "POST"], defaults={"force_id": None})
@bp.route("/admin/directories/forces/<int:force_id>", methods=["GET", "POST"])
def force(force_id: int | None) -> Response | tuple[str, int]:
    current = directory.police_force(database(), force_id) if force_id else None
    values: dict[str, Any] = {f: getattr(current, f) for f in FORCE_FIELDS} if current else {}
    if request.method == "POST":
        values = _submitted(FORCE_FIELDS)
        try:
            saved = directory.save_police_force(database(), directory.ForceDetails(**values), force_id=force_id,
                                                actor_id=me().id)
        except EngineError as error:
            if error.status == 404:
                raise
            return _page("directories/force.html", _errors(error), force=current, values=values)
        flash(_("%(name)s was saved.", name=saved.name), "success")
        return redirect(url_for("directories.index"))
    return _page("directories/force.html", {}, force=current, values=values)


@bp.route("/admin/directories/links/new", methods=["GET", "POST"], defaults={"link_id": None})
@bp.route("/admin/directories/links/<int:link_id>", methods=["GET", "POST"])
def link(link_id: int | None) -> Response | tuple[str, int]:
    current = directory.resource_link(database(), link_id) if link_id else None
    if current:
        values: dict[str, Any] = {f: str(getattr(current, f)) for f in LINK_FIELDS}
    else:
        values = {"position": str(len(directory.resource_links(database())) + 1)}
    if request.method == "POST":
        values = _submitted(LINK_FIELDS)
        try:
            saved = directory.save_resource_link(database(), directory.LinkDetails(**values), link_id=link_id,
                                                 actor_id=me().id)
        except EngineError as error:
            if error.status == 404:
                raise
            return _page("directories/link.html", _errors(error), link=current, values=values)
        flash(_("The link “%(title)s” was saved.", title=saved.title), "success")
        return redirect(url_for("directories.index"))
    return _page("directories/link.html", {}, link=current, values=values)


@bp.route("/admin/directories/forces/<int:force_id>/remove", methods=["GET", "POST"])
def remove_force(force_id: int) -> Response | tuple[str, int]:
    found = directory.police_force(database(), force_id)
    if request.method == "POST":
        directory.remove_police_force(database(), force_id, actor_id=me().id)
        flash(_("%(name)s was removed.", name=found.name), "success")
        return redirect(url_for("directories.index"))
    return _page("directories/remove.html", {}, heading=_("Remove %(name)s?", name=found.name),
                 back=url_for("directories.force", force_id=force_id),
                 advice=_("Councillors will no longer see this force's contacts on the Resources page."))


@bp.route("/admin/directories/links/<int:link_id>/remove", methods=["GET", "POST"])
def remove_link(link_id: int) -> Response | tuple[str, int]:
    found = directory.resource_link(database(), link_id)
    if request.method == "POST":
        directory.remove_resource_link(database(), link_id, actor_id=me().id)
        flash(_("The link “%(title)s” was removed.", title=found.title), "success")
        return redirect(url_for("directories.index"))
    return _page("directories/remove.html", {}, heading=_("Remove the link “%(title)s”?", title=found.title),
                 back=url_for("directories.link", link_id=link_id),
                 advice=_("Councillors will no longer see this link on the Resources page."))


def _page(template: str, errors: dict[str, str], **context: Any) -> tuple[str, int]:
    return render_template(template, form_errors=errors, **context), 400 if errors else 200

