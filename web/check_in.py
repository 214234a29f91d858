"""The link in a wellbeing check-in email: checked here, then the councillor goes straight to their check-in
form. A link that was changed, has expired or is someone else's gets a page saying what to do instead."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import NotFound
from engine.outbox import LinkExpired, LinkInvalid
from processes import notices
from web.access import me, workflow

bp = Blueprint("check_in", __name__, url_prefix="/check-in")
LONGEST_TOKEN = 1000  # a genuine token is about 150 characters; anything far longer is not one of ours


def _problem(status: int, title: str, advice: str, *, offer_sign_out: bool = False) -> tuple[str, int]:
    return render_template("errors/page.html", title=title, advice=advice, errors={},
                           offer_sign_out=offer_sign_out), status


def _invalid() -> tuple[str, int]:
    return _problem(403, _("This check-in link is not valid"),
                    _("Check you copied the whole link from your email. Or sign in and open your case: your "
                      "check-in is listed there."))


@bp.get("/<token>")
def open_check_in(token: str) -> Response | tuple[str, int]:
    if len(token) > LONGEST_TOKEN:
        return _invalid()
    try:
        link = notices.read_check_in_link(token, secret=current_app.config["SECRET_KEY"])
    except LinkExpired:
        return _problem(410, _("This check-in link has expired"),
                        _("Check-in links work until the check-in closes. If you still want to tell us how you "
                          "are doing, sign in and open your case, or contact your wellbeing champion."))
    except LinkInvalid:
        return _invalid()
    if not me().is_authenticated:
        # Back here after signing in: the link is checked again then, against whoever signed in.
        return redirect(url_for("auth.sign_in", next=request.path))
    if me().id != link.councillor_id:
        return _problem(403, _("This check-in is for someone else"),
                        _("The link in a check-in email only works for the councillor it was sent to. If you "
                          "are signed in as someone else, sign out, then open the link again."),
                        offer_sign_out=True)
    try:
        task, _schema, _ui = workflow().task(link.task_id, me().actor)
    except NotFound:
        task = None
    if task is None or task.status != "open":
        return _problem(410, _("This check-in has closed"),
                        _("You may have answered it already, or its time to answer has passed. Your wellbeing "
                          "champion will be in touch about your next check-in."))
    return redirect(url_for("inbox.task", task_id=task.id))
