"""Admin pages: people and their roles, political groups and each group's support contact, the council's
settings, and incidents the scheduler gave up on. Admins see no case content here or anywhere else."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from engine import directory
from engine.errors import EngineError, FormInvalid
from processes.roles import GROUP_SUPPORT_CONTACT, ROLES
from web.access import database, me, require, workflow
from web.setting_labels import LABELS

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only() -> None:
    require(me().is_admin)


def _group_id(field: str) -> int | None:
    raw = request.form.get(field, "")
    if raw == "":
        return None
    if not raw.isdigit():
        raise EngineError(_("Choose a political group from the list."), field=field)
    return int(raw)


def _form_page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, roles=ROLES, groups=directory.groups(database()), **context), status


@bp.get("/users")
def users() -> str:
    return render_template("admin/users.html", users=directory.users(database()), roles=ROLES,
                           groups={g.id: g.name for g in directory.groups(database())})


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> Response | tuple[str, int]:
    form = request.form
    if request.method == "POST":
        try:
            directory.add_user(database(), email=form.get("email", "")[:320], name=form.get("name", "")[:200],
                               password=form.get("password") or None, roles=form.getlist("roles"),
                               known_roles=ROLES, political_group_id=_group_id("political_group_id"),
                               actor_id=me().id)
        except EngineError as error:
            return _form_page("admin/user_new.html", 400, form=form,
                              form_errors={error.field or "email": error.message})
        flash(_("The account for %(email)s was created.", email=form.get("email", "")), "success")
        return redirect(url_for("admin.users"))
    return _form_page("admin/user_new.html", form=form, form_errors={})


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int) -> Response | tuple[str, int]:
    person = directory.user(database(), user_id)
    if request.method == "POST":
        try:
            directory.change_user(database(), user_id, roles=request.form.getlist("roles"), known_roles=ROLES,
                                  political_group_id=_group_id("political_group_id"),
                                  active=request.form.get("active") == "yes", actor_id=me().id)
        except EngineError as error:
            return _form_page("admin/user_edit.html", 400, person=person,
                              form_errors={error.field or "roles": error.message})
        flash(_("%(name)s's account was updated.", name=person.name), "success")
        return redirect(url_for("admin.users"))
    return _form_page("admin/user_edit.html", person=person, form_errors={})


@bp.route("/groups", methods=["GET", "POST"])
def groups() -> Response | tuple[str, int]:
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            directory.add_group(database(), request.form.get("name", ""), me().id)
        except EngineError as error:
            errors = {error.field or "name": error.message}
        else:
            flash(_("The group was added."), "success")
            return redirect(url_for("admin.groups"))
    contacts = directory.holders_of(database(), GROUP_SUPPORT_CONTACT)
    return _form_page("admin/groups.html", 400 if errors else 200, contacts=contacts, form_errors=errors,
                      names={u.id: u.name for u in directory.users(database())})


@bp.post("/groups/<int:group_id>/contact")
def group_contact(group_id: int) -> Response:
    raw = request.form.get("support_contact_id", "")
    contact = int(raw) if raw.isdigit() else None
    if raw and contact is None:
        raise EngineError(_("Choose someone who holds the group support contact role."), field="support_contact_id")
    directory.set_support_contact(database(), group_id, contact, contact_role=GROUP_SUPPORT_CONTACT,
                                  actor_id=me().id)
    flash(_("The group's support contact was saved."), "success")
    return redirect(url_for("admin.groups"))


@bp.route("/settings", methods=["GET", "POST"])
def settings() -> Response | tuple[str, int]:
    current = workflow().settings()
    errors: dict[str, str] = {}
    values = dict(current)
    if request.method == "POST":
        changes = {}
        for name, value in current.items():
            raw = request.form.get(name, "").strip()[:40]
            wanted: object = raw if isinstance(value, str) else (int(raw) if raw.isdigit() else raw)
            values[name] = wanted
            if wanted != value:
                changes[name] = wanted
        try:
            workflow().change_settings(changes, me().actor)
        except FormInvalid as error:
            errors = error.errors
        else:
            flash(_("%(count)s settings were changed. New deadlines and timers use them; running ones keep theirs.",
                    count=len(changes)) if changes else _("Nothing was changed."), "success")
            return redirect(url_for("admin.settings"))
    groups: dict[str, list[dict[str, object]]] = {}
    for name, (group, label) in LABELS.items():
        groups.setdefault(str(group), []).append({"name": name, "label": label, "value": values[name],
                                                  "default": workflow().catalogue.settings[name],
                                                  "choices": workflow().catalogue.setting_choices.get(name)})
    return render_template("admin/settings.html", groups=groups, form_errors=errors), 400 if errors else 200


@bp.get("/incidents")
def incidents() -> str:
    return render_template("admin/incidents.html", incidents=workflow().incidents(status="open"))
