"""Every API error becomes an RFC 9457 `application/problem+json` response here, and only here."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, json
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from engine.errors import Conflict, DiagramInvalid, EngineError, Forbidden, FormInvalid, NotFound, ScriptError

MEDIA_TYPE = "application/problem+json"
DOCS = "/api/v1/docs"


class ApiProblem(Exception):
    """A problem the API itself finds (bad body, missing token) rather than the engine."""

    def __init__(self, status: int, kind: str, detail: str, *, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.field = field
        self.headers = headers or {}


def titles() -> dict[str, str]:
    # One title per problem type, as RFC 9457 asks; built per request so they follow the locale.
    return {
        "bad-request": _("The request is not valid"),
        "not-json": _("The body is not JSON"),
        "unauthorised": _("A valid API token is needed"),
        "forbidden": _("You may not do this"),
        "not-found": _("Not found"),
        "method-not-allowed": _("Method not allowed"),
        "conflict": _("Someone else changed it first"),
        "too-large": _("The request is too large"),
        "invalid-data": _("The data is not valid"),
        "invalid-diagram": _("The diagram cannot be deployed"),
        "script-error": _("A script in the diagram failed"),
        "server-error": _("Something went wrong on our side"),
    }


KINDS: dict[str, int] = {
    "bad-request": 400, "not-json": 400, "unauthorised": 401, "forbidden": 403, "not-found": 404,
    "method-not-allowed": 405, "conflict": 409, "too-large": 413, "invalid-data": 422,
    "invalid-diagram": 422, "script-error": 422, "server-error": 500,
}

_ENGINE_KINDS: list[tuple[type[EngineError], str]] = [
    (NotFound, "not-found"), (Forbidden, "forbidden"), (Conflict, "conflict"), (FormInvalid, "invalid-data"),
    (DiagramInvalid, "invalid-diagram"), (ScriptError, "script-error"),
]

_HTTP_KINDS = {400: "bad-request", 401: "unauthorised", 403: "forbidden", 404: "not-found",
               405: "method-not-allowed", 409: "conflict", 413: "too-large", 415: "not-json"}


def problem(kind: str, detail: str, *, status: int | None = None, field: str | None = None,
            errors: dict[str, str] | None = None, headers: dict[str, str] | None = None,
            **extra: Any) -> Response:
    status = status or KINDS[kind]
    body: dict[str, Any] = {"type": f"{DOCS}#problem-{kind}", "title": titles()[kind], "status": status,
                            "detail": detail}
    if field:
        body["field"] = field
        body["errors"] = errors or {field: detail}
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    response.headers.update(headers or {})
    return response


def from_engine(error: EngineError) -> Response:
    kind = next((k for cls, k in _ENGINE_KINDS if isinstance(error, cls)), "bad-request")
    if isinstance(error, FormInvalid):
        return problem(kind, error.message, field=error.field, errors=error.errors)
    if isinstance(error, DiagramInvalid):
        return problem(kind, error.message, problems=[p.as_dict() for p in error.problems])
    return problem(kind, error.message, status=error.status if kind == "bad-request" else None,
                   field=error.field)


def from_api(error: ApiProblem) -> Response:
    return problem(error.kind, error.detail, status=error.status, field=error.field, headers=error.headers)


def from_http(error: HTTPException) -> Response:
    status = error.code or 500
    kind = _HTTP_KINDS.get(status, "bad-request" if status < 500 else "server-error")
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    if status == 413:
        detail = _("The body is larger than this API accepts.")
    elif status == 415 or kind == "not-json":
        detail = _("Send the body as JSON with the header Content-Type: application/json.")
    else:
        detail = error.description or titles()[kind]
    return problem(kind, detail, status=status, headers=headers)


def from_unexpected(error: Exception) -> Response:
    # Logged in full for the operators; the caller gets no stack trace.
    current_app.logger.exception("Unexpected error in the API", exc_info=error)
    return problem("server-error", _("The request could not be completed. It has been logged; try again later."))
