"""Signing in and out: email and password (Argon2), a fresh session at each sign-in, and a rate limit."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from engine import people
from processes.roles import ROLES
from web.access import SESSION_VERSION, SignedIn, database, home_endpoint, load_user
from web.extensions import limiter, login_manager

bp = Blueprint("auth", __name__)
login_manager.user_loader(load_user)


def _sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


def _demo_accounts() -> list[list[dict[str, str]]]:
    """Table rows: one demo account per role, shown only when the demo data was loaded."""
    if not current_app.config.get("DEMO_MODE"):
        return []
    return [[{"text": name}, {"text": f"{slug}@example.org"}] for slug, name in ROLES.items()]


def _sign_in_email() -> str:
    """Sign-in attempts are also counted per account, so guessing one person's password from many
    addresses is throttled too."""
    return "email:" + request.form.get("email", "").strip().lower()[:320]


def _safe_next() -> str | None:
    """Where to go after signing in (a check-in link, a page that asked for sign-in): only a path on this
    site, never another site (`//host`, `/\\host` or a full URL)."""
    target = request.args.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target and len(target) < 2000:
        return target
    return None


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
@limiter.limit(_sign_in_limit, methods=["POST"], key_func=_sign_in_email, scope="sign-in-email")
def sign_in() -> Response | tuple[str, int] | str:
    errors: dict[str, str] = {}
    email = request.form.get("email", "").strip()[:320]
    if request.method == "POST":
        password = request.form.get("password", "")[:1000]
        if not email:
            errors["email"] = _("Enter your email address")
        if not password:
            errors["password"] = _("Enter your password")
        if not errors:
            with database().write() as db_session:
                user = people.authenticate(db_session, email, password)
                signed_in = SignedIn(user) if user is not None else None
            if signed_in is None:
                errors["email"] = _("Enter a correct email address and password")
            else:
                # A new session at sign-in: nothing from before it (a planted session, a draft) carries over.
                session.clear()
                login_user(signed_in)
                session[SESSION_VERSION] = signed_in.session_version
                session.permanent = True
                # The form token goes into the very cookie sign-in sets. Made later, by the first page with a
                # form, it could be lost when a response to a request sent with the older cookie (an image,
                # a stylesheet) lands after that page and sets its own copy of the session.
                generate_csrf()
                return redirect(_safe_next() or url_for(home_endpoint(signed_in)))
    status = 200 if not errors else 400
    return render_template("auth/sign_in.html", email=email, form_errors=errors, demo_accounts=_demo_accounts(),
                           demo_password=current_app.config["DEMO_PASSWORD"]), status


@bp.get("/sign-out")
def sign_out() -> Response:
    if current_user.is_authenticated:
        # Not just this browser's cookie: any copy of this session (and every other one) stops working.
        with database().write() as db_session:
            people.end_sessions(db_session, current_user.id)
    logout_user()
    session.clear()
    return redirect(url_for("auth.signed_out"))


@bp.get("/signed-out")
def signed_out() -> str:
    return render_template("auth/signed_out.html")
