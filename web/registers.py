"""The persistent-offender register: its entries with their linked cases, and merging two entries found to
be the same person. Only the Support officer, Police liaison and Monitoring officer see it (admins too need
one of those roles)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from engine.errors import EngineError
from processes import register
from processes.roles import REGISTER_ROLES
from web.access import database, me, require

bp = Blueprint("registers", __name__, url_prefix="/registers")


@bp.before_request
@login_required
def _register_roles_only() -> None:
    require(bool(me().roles & REGISTER_ROLES))


@bp.get("/offenders")
def offenders() -> str:
    return render_template("registers/offenders.html", entries=register.entries(database()))


@bp.get("/offenders/<int:offender_id>")
def offender(offender_id: int) -> str:
    return _offender_page(offender_id)[0]


def _offender_page(offender_id: int, errors: dict[str, str] | None = None) -> tuple[str, int]:
    entry = register.entry(database(), offender_id)
    chosen = request.form.get("other_id", "")
    others = [{"value": str(e.id), "text": f"{e.label} ({e.platform})" if e.platform else e.label,
               "selected": str(e.id) == chosen} for e in register.entries(database()) if e.id != offender_id]
    return render_template("registers/offender.html", entry=entry, others=bool(others), other_items=others,
                           form_errors=errors or {}), 400 if errors else 200


@bp.post("/offenders/<int:offender_id>/merge")
def merge(offender_id: int) -> Response | tuple[str, int]:
    raw = request.form.get("other_id", "")
    errors: dict[str, str] = {}
    if not raw.isdigit():
        errors["other_id"] = _("Choose the entry to merge into this one")
    elif request.form.get("confirm") != "yes":
        errors["confirm"] = _("Confirm that both entries are the same person")
    if errors:
        return _offender_page(offender_id, errors)
    try:
        entry = register.merge(database(), offender_id, int(raw), actor_id=me().id)
    except EngineError as error:
        if error.status == 404 and error.field is None:
            raise
        return _offender_page(offender_id, {error.field or "other_id": _("Choose the entry to merge into this one")})
    flash(_("The entries were merged. %(label)s is now linked to %(count)d cases.", label=entry.label,
            count=len(entry.cases)), "success")
    return redirect(url_for("registers.offender", offender_id=offender_id))
