"""The application factory: configuration, extensions, the workflow service and the blueprints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, current_app, request, send_from_directory
from flask_babel import gettext as _
from flask_login import current_user
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.db import Database
from engine.service import WorkflowService
from processes import CATALOGUE
from processes.roles import ROLES
from web import (
    access,
    account,
    admin,
    api,
    auth,
    briefings,
    cases,
    check_in,
    directories,
    errors,
    health,
    inbox,
    pages,
    privacy_data,
    registers,
    report,
    templating,
)
from web.config import from_environment
from web.diagrams import bp as diagrams_bp
from web.extensions import CONTENT_SECURITY_POLICY, babel, csrf, limiter, login_manager, talisman

HERE = Path(__file__).resolve().parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, static_folder="static", static_url_path="/static")
    app.config.update(from_environment(Path(app.instance_path)))
    app.config.update(config or {})
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Only behind a proxy we run: trusting X-Forwarded-For from anyone would let a client pick its address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(HERE / "templates"),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    database = Database(app.config["DATABASE_URL"])
    app.extensions["database"] = database
    app.extensions["workflow"] = WorkflowService(database, CATALOGUE)

    babel.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = None
    limiter.init_app(app)
    talisman.init_app(app, force_https=app.config["FORCE_HTTPS"],
                      session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
                      content_security_policy=CONTENT_SECURITY_POLICY,
                      content_security_policy_nonce_in=["script-src"],
                      referrer_policy="same-origin",
                      permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"})

    for blueprint in (health.bp, pages.bp, auth.bp, report.bp, inbox.bp, cases.bp, admin.bp, diagrams_bp,
                      registers.bp, briefings.bp, privacy_data.bp, check_in.bp, directories.bp, account.bp,
                      api.blueprint):
        app.register_blueprint(blueprint)
    # GOV.UK Frontend's stylesheet asks for its fonts and images at /assets/.
    app.add_url_rule("/assets/<path:filename>", "govuk_assets", _govuk_asset)
    errors.register(app)
    templating.register(app)

    @app.context_processor
    def layout() -> dict[str, Any]:
        return {"navigation": access.navigation(current_user, request.endpoint), "role_names": ROLES,
                "service_name": _("Councillor Support")}

    @app.after_request
    def no_store(response: Any) -> Any:
        # Case pages are sensitive: never keep them in a shared browser's cache.
        if not request.path.startswith(("/static/", "/assets/")):
            response.headers["Cache-Control"] = "no-store"
        return response

    return app


def _govuk_asset(filename: str) -> Any:
    return send_from_directory(Path(current_app.static_folder or "") / "vendor" / "assets", filename)
