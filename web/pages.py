"""The pages every GOV.UK service has: the start page, accessibility statement, privacy notice and cookies."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from engine.retention import retention_summary
from web.access import home_endpoint, workflow

bp = Blueprint("pages", __name__)


@bp.get("/")
def start() -> Response | str:
    if current_user.is_authenticated:
        endpoint = home_endpoint(current_user)  # type: ignore[arg-type]
        if endpoint != "pages.start":
            return redirect(url_for(endpoint))
    return render_template("pages/start.html")


@bp.get("/accessibility")
def accessibility() -> str:
    return render_template("pages/accessibility.html")


@bp.get("/privacy")
def privacy() -> str:
    return render_template("pages/privacy.html", retention=retention_summary(workflow()))


@bp.get("/cookies")
def cookies() -> str:
    return render_template("pages/cookies.html")
