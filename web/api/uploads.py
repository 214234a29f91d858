"""Reading a process-model upload: multipart with `diagram` (.bpmn) and `forms` (.json) files, plain file
names only, UTF-8 diagrams, forms that are JSON objects. The engine validates the rest before storing."""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask_babel import gettext as _

from engine.errors import FormInvalid
from web.api.bodies import decode
from web.api.problems import ApiProblem

DIAGRAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,95}\.bpmn")
FORM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,150}\.json")


def read_upload() -> tuple[list[tuple[str, bytes]], dict[str, Any]]:
    """The uploaded diagrams as (file name, content) and the forms by file name."""
    if request.mimetype != "multipart/form-data":
        raise ApiProblem(400, "bad-request", _("Send the files as multipart/form-data: one or more diagram "
                                               "files and any forms files."))
    uploads = request.files.getlist("diagram")
    if not uploads:
        raise FormInvalid({"diagram": _("Choose a .bpmn file to deploy.")})
    diagrams: list[tuple[str, bytes]] = []
    for upload in uploads:
        name = upload.filename or ""
        if not DIAGRAM_NAME.fullmatch(name) or name in {n for n, _content in diagrams}:
            raise FormInvalid({"diagram": _("Each diagram needs its own plain file name ending .bpmn, like "
                                            "support.bpmn.")})
        content = upload.read()
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise FormInvalid({"diagram": _("%(name)s is not UTF-8 text.", name=name)}) from None
        diagrams.append((name, content))
    forms: dict[str, Any] = {}
    for upload in request.files.getlist("forms"):
        name = upload.filename or ""
        if not FORM_NAME.fullmatch(name) or ".." in name or name in forms:
            raise FormInvalid({"forms": _("Each form needs its own plain file name ending .json, like "
                                          "triage.schema.json.")})
        try:
            form = decode(upload.read())
        except ValueError as error:
            raise FormInvalid({"forms": _("%(name)s is not JSON we can accept: %(reason)s.", name=name,
                                          reason=str(error))}) from None
        if not isinstance(form, dict):
            raise FormInvalid({"forms": _("%(name)s must be a JSON object.", name=name)})
        forms[name] = form
    return diagrams, forms
