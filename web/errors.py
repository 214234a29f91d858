"""Every error becomes a GOV.UK page: HTTP errors get their own page, an engine error gets the error
summary naming the field. Nobody ever sees a stack trace."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from engine.errors import EngineError, FormInvalid


def _titles() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Sorry, there is a problem with your request"),
              _("Check what you entered and try again.")),
        403: (_("You do not have permission to see this page"),
              _("If you think you should, ask your council's Councillor Support administrator.")),
        404: (_("Page not found"),
              _("If you typed the web address, check it is correct. If you followed a link, it may have been "
                "removed, or you may not have access to it.")),
        405: (_("Sorry, you cannot do that here"), _("Go back and use the buttons on the page.")),
        409: (_("Someone else changed this first"),
              _("Nothing you entered was saved. Go back, reload the page and try again.")),
        413: (_("The file is too large"), _("Files must be 10MB or smaller. Go back and choose a smaller file.")),
        422: (_("There is a problem with what you entered"), _("Go back, correct it and try again.")),
        429: (_("Too many attempts"),
              _("You have tried too many times. Wait a few minutes, then try again.")),
        500: (_("Sorry, there is a problem with the service"),
              _("Try again later. Nothing you entered was lost, unless this page says so.")),
    }


def error_page(status: int, message: str | None = None, field: str | None = None,
               errors: dict[str, str] | None = None) -> tuple[str, int]:
    title, advice = _titles().get(status, _titles()[400 if status < 500 else 500])
    if errors is None and message:
        errors = {field or "": message}
    return render_template("errors/page.html", status=status, title=title, advice=advice,
                           errors=errors or {}), status


def register(app: Flask) -> None:
    @app.errorhandler(EngineError)
    def engine_error(error: EngineError) -> tuple[str, int]:
        errors = error.errors if isinstance(error, FormInvalid) else None
        return error_page(error.status, error.message, error.field, errors)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return error_page(400, _("This form has expired or was not sent from this service. Go back, reload the "
                                 "page and try again. Nothing was saved."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if request.path.startswith("/api/"):
            # Errors raised before the API's own handlers run (the rate limiter, routing) are problems too.
            from web.api.problems import from_http

            return from_http(error)
        if request.path == "/healthz":
            return {"status": error.code, "title": error.name}, error.code or 500
        message = _("You have tried to sign in too many times. Wait a minute, then try again.") \
            if error.code == 429 else None
        return error_page(error.code or 500, message)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[str, int]:
        app.logger.exception("Unhandled error on %s", request.path)
        return error_page(InternalServerError.code)
