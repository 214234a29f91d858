"""Routes for the diagram pages. Admins only; every engine call goes through `engine.versions` with the
app's workflow service. The editor and viewer scripts are static files (the CSP allows no inline script)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from engine import drafts, form_versions, versions
from engine.errors import DiagramInvalid, EngineError, Problem
from web.access import workflow
from web.diagrams.labels import change_labels

bp = Blueprint("diagrams", __name__, url_prefix="/admin/diagrams", template_folder="templates",
               static_folder=None)

ADMIN_ROLE = "admin"
MAX_DIAGRAM_BYTES = 2 * 1024 * 1024
# The multipart envelope around an uploaded file; a body larger than the file limit plus this is refused unread.
ENVELOPE_BYTES = 64 * 1024
SAFE_FILENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}\.bpmn$")


def admin_only(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    @login_required
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if ADMIN_ROLE not in getattr(current_user, "roles", frozenset()):
            abort(403)
        return view(*args, **kwargs)

    return guarded


# --- pages ---------------------------------------------------------------------------------------

@bp.get("/")
@admin_only
def index() -> str:
    return render_template("diagrams/index.html", page_title=_("Process diagrams"),
                           processes=versions.process_versions(workflow()),
                           drafts=drafts.drafts(workflow(), drafts.DIAGRAM))


@bp.get("/<process_id>/v<int:version>")
@admin_only
def version(process_id: str, version: int) -> str:
    all_versions = versions.process_versions(workflow()).get(process_id, [])
    this = next((v for v in all_versions if v.version == version), None)
    if this is None:
        abort(404)
    diff = None
    if version > 1:
        with workflow().db.read() as session:
            diff = versions.diff_versions(session, process_id, version - 1, version)
    older = [v for v in all_versions if v.version < version and v.running]
    return render_template("diagrams/version.html", page_title=_("%(name)s, version %(version)s",
                                                                name=this.name, version=version),
                           this=this, diff=diff, labels=change_labels(), older=older)


@bp.get("/<process_id>/v<int:version>.bpmn")
@admin_only
def version_file(process_id: str, version: int) -> Response:
    _number, _filename, xml = versions.version_xml(workflow(), process_id, version)
    return Response(xml, mimetype="application/xml")


@bp.get("/editor")
@admin_only
def editor() -> str:
    process_id = request.args.get("process", "")
    draft_name = request.args.get("draft", "")
    source = filename = ""
    draft = None
    if draft_name:
        draft = drafts.draft(workflow(), drafts.DIAGRAM, draft_name)
        if draft is None:
            abort(404)
        filename, source = draft.name, url_for(".draft_file", name=draft.name)
    elif process_id:
        number, filename, _xml = versions.version_xml(workflow(), process_id)
        source = url_for(".version_file", process_id=process_id, version=number)
    catalogue = workflow().catalogue
    forms = form_versions.form_names(workflow())
    return render_template("diagrams/editor.html", page_title=_("Edit a diagram"), process_id=process_id,
                           source=source, filename=filename, draft=draft,
                           blank=url_for("static", filename="diagrams/blank.bpmn"),
                           roles=catalogue.lane_roles_display, handlers=sorted(catalogue.handlers),
                           forms=[f for f in forms if "uischema" not in f],
                           ui_forms=[f for f in forms if "uischema" in f])


@bp.get("/drafts/<name>")
@admin_only
def draft_file(name: str) -> Response:
    draft = drafts.draft(workflow(), drafts.DIAGRAM, name)
    if draft is None:
        abort(404)
    return Response(draft.content, mimetype="application/xml")


@bp.post("/drafts/<name>/discard")
@admin_only
def discard_draft(name: str) -> Response:
    drafts.discard_draft(workflow(), drafts.DIAGRAM, name, current_user.actor)
    flash(_("The draft %(name)s was discarded.", name=name), "success")
    return redirect(url_for(".index"))  # type: ignore[return-value]


@bp.get("/instances/<int:instance_id>")
@admin_only
def instance(instance_id: int) -> str:
    view = versions.instance_view(workflow(), instance_id)
    return render_template("diagrams/instance.html", page_title=_("Process instance %(id)s", id=instance_id),
                           view=view)


@bp.post("/instances/<int:instance_id>/incidents/<int:incident_id>/retry")
@admin_only
def retry_incident(instance_id: int, incident_id: int) -> Response:
    workflow().retry_incident(incident_id, current_user.actor)
    flash(_("The instance will be tried again within a minute."), "success")
    return redirect(url_for(".instance", instance_id=instance_id))  # type: ignore[return-value]


@bp.get("/instances/<int:instance_id>.json")
@admin_only
def instance_data(instance_id: int) -> Response:
    view = versions.instance_view(workflow(), instance_id)
    return jsonify(xml=view.bpmn_xml, completed=view.completed, current=view.current, failed=view.failed,
                   waiting=[{"element_id": w.element_id, "due_at": w.due_at.isoformat() if w.due_at else None}
                            for w in view.waiting])


@bp.route("/<process_id>/migrate", methods=["GET", "POST"])
@admin_only
def migrate(process_id: str) -> Any:
    all_versions = versions.process_versions(workflow()).get(process_id)
    if not all_versions:
        abort(404)
    latest = all_versions[0].version
    errors: dict[str, str] = {}
    source = request.values.get("from_version", "")
    chosen = request.values.get("instances", "").strip()
    plan = result = None
    if request.method == "POST":
        ids = _instance_ids(chosen, errors)
        from_version = _int(source) if source else None
        if source and from_version is None:
            errors["from_version"] = _("Choose the version to move instances from.")
        if ids is None and from_version is None and "instances" not in errors:
            errors["instances"] = _("Choose a version, or enter the numbers of the instances to move.")
        if not errors:
            if request.form.get("action") == "migrate":
                result = versions.migrate(workflow(), process_id, latest, current_user.actor, instance_ids=ids,
                                          from_version=from_version)
            else:
                plan = versions.plan_migration(workflow(), process_id, latest, instance_ids=ids,
                                               from_version=from_version)
    status = 422 if errors else 200
    return render_template("diagrams/migrate.html", page_title=_("Move running instances to version %(v)s",
                                                                 v=latest),
                           process_id=process_id, latest=latest, versions=all_versions, source=source,
                           chosen=chosen, plan=plan, result=result, form_errors=errors), status


# --- the editor's JSON endpoints -----------------------------------------------------------------

@bp.post("/check")
@admin_only
def check() -> tuple[Response, int]:
    filename, content = _draft()
    problems = versions.check_draft(workflow(), filename, content)
    return _problems(problems) if problems else (jsonify(problems=[], message=_("No problems found.")), 200)


@bp.post("/deploy")
@admin_only
def deploy() -> tuple[Response, int]:
    filename, content = _draft()
    try:
        deployed = versions.deploy_draft(workflow(), filename, content, current_user.actor)
    except DiagramInvalid as error:
        return _problems(error.problems)
    return jsonify(problems=[], deployed=[{"process_id": d.process_id, "version": d.version, "new": d.created,
                                           "url": url_for(".version", process_id=d.process_id,
                                                          version=d.version)} for d in deployed]), 200


@bp.post("/drafts")
@admin_only
def save_draft() -> tuple[Response, int]:
    """Keep the editor's diagram on the server as it is, problems and all; it is checked when deployed."""
    filename, content = _draft()
    body = request.get_json(silent=True) if request.is_json else None
    expected = body.get("version") if isinstance(body, dict) else None
    if expected is not None and (not isinstance(expected, int) or isinstance(expected, bool) or expected < 0):
        raise _Refused(_("The draft's version must be a whole number."), field="version")
    try:
        saved = drafts.save_draft(workflow(), drafts.DIAGRAM, filename, content.decode("utf-8"),
                                  current_user.actor, expected_version=expected)
    except UnicodeDecodeError:
        raise _Refused(_("The diagram must be saved as UTF-8 text.")) from None
    except DiagramInvalid as error:
        return _problems(error.problems)
    except EngineError as error:
        raise _Refused(error.message, error.status, error.field or "diagram") from None
    return jsonify(saved={"name": saved.name, "version": saved.version, "updated_at": saved.updated_at.isoformat(),
                          "url": url_for(".editor", draft=saved.name)},
                   message=_("Draft saved. It is not deployed yet.")), 200


class _Refused(Exception):
    def __init__(self, message: str, status: int = 422, field: str = "diagram") -> None:
        super().__init__(message)
        self.message, self.status, self.field = message, status, field


@bp.errorhandler(_Refused)
def _refused(error: _Refused) -> tuple[Response, int]:
    problem = {"message": error.message, "file": "", "element_id": "", "element_name": "", "line": None,
               "field": error.field}
    return jsonify(problems=[problem], message=error.message), error.status


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> tuple[Response, int]:
    return _refused(_Refused(_too_large_message(), 413))


def _too_large_message() -> str:
    return _("The diagram must be smaller than %(mb)s MB.", mb=MAX_DIAGRAM_BYTES // 1_048_576)


def _draft() -> tuple[str, bytes]:
    """The diagram sent by the editor (JSON: filename, xml) or uploaded as a file (field `diagram`)."""
    if (request.content_length or 0) > MAX_DIAGRAM_BYTES + ENVELOPE_BYTES:
        raise _Refused(_too_large_message(), 413)
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("xml"), str):
            raise _Refused(_("Send the diagram as JSON with its XML in \"xml\"."), field="xml")
        filename, content = str(body.get("filename") or ""), body["xml"].encode("utf-8")
    else:
        upload = request.files.get("diagram")
        if upload is None or not upload.filename:
            raise _Refused(_("Choose a .bpmn file to upload."))
        filename, content = upload.filename, upload.stream.read(MAX_DIAGRAM_BYTES + 1)
    if not content.strip():
        raise _Refused(_("The diagram is empty."))
    if len(content) > MAX_DIAGRAM_BYTES:
        raise _Refused(_too_large_message(), 413)
    filename = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if not SAFE_FILENAME.match(filename):
        raise _Refused(_("The file name must end in .bpmn and use only letters, numbers, dots, dashes and "
                         "underscores, like support.bpmn."), field="filename")
    return filename, content


def _problems(problems: list[Problem]) -> tuple[Response, int]:
    listed = [{**p.as_dict(), "field": "diagram"} for p in problems]
    return jsonify(problems=listed, message=_("Fix these problems; nothing was saved.")), 422


def _instance_ids(text: str, errors: dict[str, str]) -> list[int] | None:
    if not text:
        return None
    parts = [p for p in re.split(r"[\s,]+", text) if p]
    ids = [_int(p) for p in parts]
    if any(i is None for i in ids) or len(ids) > 1000:
        errors["instances"] = _("Enter instance numbers separated by commas, like 12, 15, 31.")
        return None
    return [i for i in ids if i is not None]


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 10 else None


from web.diagrams import forms as _form_editor  # noqa: E402, F401  (registers the form editor's routes on bp)
