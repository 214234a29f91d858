"""The API's routes. Each view authenticates (before_request), checks need-to-know, calls the workflow
service once, and returns a representation; errors are turned into problems by the handlers at the end."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from engine import forms, versions
from engine.deployment import Diagram
from engine.errors import EngineError, Forbidden, FormInvalid, NotFound
from engine.models import Task
from engine.service import TaskQuery
from processes.roles import ADMIN, COUNCILLOR, SUPPORT_OFFICER
from web.api import access, openapi, problems, reads, representations
from web.api.auth import authenticate, caller, workflow
from web.api.bodies import validated_body
from web.api.problems import ApiProblem
from web.api.uploads import read_upload
from web.report import report_form

blueprint = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates")

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MAX_BODY_BYTES = 1024 * 1024
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_PER_PAGE = 100
_PUBLIC: set[str] = set()
_RULES: dict[str, list[str]] = {}


PLAIN_ID = re.compile(r"[A-Za-z0-9-]{1,40}")
# A BPMN process id, as the diagrams name their processes (e.g. online_meeting_safety).
PROCESS_ID = re.compile(openapi.PROCESS_ID_PATTERN)


def plain_id(value: str, message: str, pattern: re.Pattern[str] = PLAIN_ID) -> str:
    """A reference, task or process id from the path; anything else cannot exist (and NUL would upset
    PostgreSQL)."""
    if not pattern.fullmatch(value):
        raise NotFound(message)
    return value


def route(rule: str, methods: list[str], *, public: bool = False) -> Callable[[Callable[..., Any]], Any]:
    """Register a view, and remember its methods so other methods on the same path get a 405."""
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        blueprint.add_url_rule(rule, view_func=view, methods=methods)
        _RULES.setdefault(rule, []).extend(methods)
        if public:
            _PUBLIC.add(f"{blueprint.name}.{view.__name__}")
        return view
    return decorator


@blueprint.record_once
def _exempt_from_csrf(state: Any) -> None:
    # Requests here carry a bearer token, never the session cookie, so cross-site forgery cannot use them.
    csrf = state.app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(blueprint)


@blueprint.before_request
def _authenticate() -> None:
    limit = MAX_UPLOAD_BYTES if request.endpoint == "api.deploy_process_models" else MAX_BODY_BYTES
    configured = current_app.config.get("MAX_CONTENT_LENGTH")
    request.max_content_length = min(limit, configured) if configured else limit
    if request.endpoint in _PUBLIC:
        return
    g.api_caller = authenticate(request.headers.get("Authorization"))


# --- reports and cases -----------------------------------------------------------------------------


@route("/reports", ["POST"])
def create_report() -> tuple[Response, int, dict[str, str]]:
    who = caller()
    if not who.actor.roles & {COUNCILLOR, SUPPORT_OFFICER}:
        raise Forbidden(_("Only councillors and support officers can report incidents."))
    body = validated_body("ReportRequest")
    councillor_id = _councillor_for_report(body.get("councillor_email"))
    # The same report form the web pages ask, so a report is never accepted here that they would refuse.
    forms.validate(report_form()[0], body["data"])
    outcome = workflow().open_case(body["data"], councillor_id=councillor_id, actor=who.actor,
                                   process_id=current_app.config["REPORT_PROCESS"])
    with workflow().db.read() as session:
        reference = reads.case_references(session, [outcome.case_id])[outcome.case_id]
    location = url_for("api.get_case", reference=reference)
    return jsonify(reference=reference, case_url=location), 201, {"Location": location}


def _councillor_for_report(email: str | None) -> int:
    """Councillors report for themselves; a support officer reports for the councillor they name."""
    who = caller()
    if email is None or email.strip().lower() == who.email:
        if COUNCILLOR in who.actor.roles:
            return who.user_id
        raise FormInvalid({"councillor_email": _("Give the email address of the councillor you are reporting for.")})
    if SUPPORT_OFFICER not in who.actor.roles:
        raise Forbidden(_("Only a support officer can report for another councillor."), field="councillor_email")
    with workflow().db.read() as session:
        councillor = reads.councillor_by_email(session, email)
    if councillor is None:
        raise FormInvalid({"councillor_email": _("There is no councillor with this email address.")})
    return councillor.id


@route("/cases/<reference>", ["GET"])
def get_case(reference: str) -> Response:
    actor = caller().actor
    case = workflow().case(plain_id(reference, _("There is no such case.")))
    with workflow().db.read() as session:
        if not access.may_see_case(session, case, actor):
            raise NotFound(_("There is no such case."))
        councillor = reads.user(session, case.councillor_id)
        tasks = reads.visible_case_tasks(session, case.id, actor)
    return jsonify(representations.case(case, councillor, tasks, actor))


# --- tasks -----------------------------------------------------------------------------------------


def _int_argument(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise ApiProblem(400, "bad-request", _("%(name)s must be a whole number from 1 to %(maximum)d.",
                                               name=name, maximum=maximum), field=name)
    return int(raw)


@route("/tasks", ["GET"])
def list_tasks() -> Response:
    actor = caller().actor
    scope = request.args.get("scope", "mine")
    if scope not in ("mine", "claimable"):
        raise ApiProblem(400, "bad-request", _("scope must be mine or claimable."), field="scope")
    query = TaskQuery(scope=scope, process_id=request.args.get("process_id") or None,
                      page=_int_argument("page", 1, 100_000), per_page=_int_argument("per_page", 25, MAX_PER_PAGE))
    # Claimable means a shared queue: never another councillor's or group's personal task.
    page = workflow().tasks(query, actor if scope == "mine" else access.queue_actor(actor))
    return jsonify(representations.task_page(page, actor, page.references))


def _references(rows: list[Task]) -> dict[int, str]:
    with workflow().db.lookup() as session:
        return reads.case_references(session, [r.case_id for r in rows])


def _visible_task(task_id: str) -> tuple[Task, dict[str, Any] | None, dict[str, Any] | None]:
    actor = caller().actor
    row, schema, ui_schema = workflow().task(plain_id(task_id, _("There is no such task.")), actor)
    if not access.may_see_task(row, actor):
        raise NotFound(_("There is no such task."))
    return row, schema, ui_schema


@route("/tasks/<task_id>", ["GET"])
def get_task(task_id: str) -> Response:
    row, schema, ui_schema = _visible_task(task_id)
    return jsonify(representations.task_detail(row, schema, ui_schema, caller().actor, _references([row])))


@route("/tasks/<task_id>/claim", ["POST"])
def claim_task(task_id: str) -> Response:
    actor = caller().actor
    with _need_to_know(task_id) as may_see:
        row = workflow().claim(task_id, actor, visible=may_see)
    return jsonify(representations.task(row, actor, _references([row])))


@route("/tasks/<task_id>/unclaim", ["POST"])
def unclaim_task(task_id: str) -> Response:
    actor = caller().actor
    with _need_to_know(task_id) as may_see:
        row = workflow().unclaim(task_id, actor, visible=may_see)
    return jsonify(representations.task(row, actor, _references([row])))


@contextmanager
def _need_to_know(task_id: str) -> Iterator[Callable[[Task], bool]]:
    """The API's need-to-know rule for a write on one task, for the service to check on the locked row
    inside the write's own transaction; a task the caller may not see is a 404 in the caller's language."""
    plain_id(task_id, _("There is no such task."))
    actor = caller().actor
    try:
        yield lambda row: access.may_see_task(row, actor)
    except NotFound:
        raise NotFound(_("There is no such task.")) from None


@route("/tasks/<task_id>/complete", ["POST"])
def complete_task(task_id: str) -> Response:
    actor = caller().actor
    plain_id(task_id, _("There is no such task."))
    try:
        body = validated_body("CompleteRequest")
    except (ApiProblem, FormInvalid, HTTPException):
        _visible_task(task_id)  # a task the caller may not see is a 404, whatever the body
        raise
    with _need_to_know(task_id) as may_see:
        outcome = workflow().complete_task(task_id, body["data"], actor, visible=may_see)
    visible = {t.id for t in outcome.opened if access.may_see_task(t, actor)}
    return jsonify(representations.completion(task_id, outcome, actor, visible))


# --- process models and instances ------------------------------------------------------------------


@route("/process-models", ["GET"])
def list_process_models() -> Response:
    return jsonify(process_models=[representations.process_model(v) for v in workflow().process_models()])


@route("/process-models", ["POST"])
def deploy_process_models() -> tuple[Response, int]:
    actor = caller().actor
    if ADMIN not in actor.roles:
        raise Forbidden(_("Only admins can deploy process models."))
    diagrams, forms = read_upload()
    deployed = workflow().deploy([Diagram(name, content, {}) for name, content in diagrams], forms, actor)
    return jsonify(deployed=[{"process_id": d.process_id, "version": d.version, "created": d.created}
                             for d in deployed]), 201


def _known_process(process_id: str) -> str:
    message = _("There is no such process.")
    plain_id(process_id, message, PROCESS_ID)
    if not any(v.process_id == process_id for v in workflow().process_models()):
        raise NotFound(message)
    return process_id


@route("/process-models/<process_id>/versions", ["GET"])
def list_process_versions(process_id: str) -> Response:
    if not access.may_see_versions(caller().actor):
        raise Forbidden(_("Only officers and admins can see the versions of a process."))
    summaries = versions.process_versions(workflow()).get(plain_id(process_id, _("There is no such process."),
                                                                   PROCESS_ID))
    if not summaries:
        raise NotFound(_("There is no such process."))
    return jsonify(representations.process_versions(process_id, summaries))


@route("/process-models/<process_id>/instances", ["POST"])
def start_instance(process_id: str) -> tuple[Response, int, dict[str, str]]:
    actor = caller().actor
    # Which processes exist is no secret (every caller may list them), so an unknown one is a 404 for all.
    _known_process(process_id)
    if not access.may_start(process_id, actor):
        raise Forbidden(_("Your roles do not allow you to start this process."))
    body = validated_body("StartRequest")
    outcome = workflow().start(process_id, body["data"], actor)
    visible = {t.id for t in outcome.opened if access.may_see_task(t, actor)}
    location = url_for("api.get_instance", instance_id=outcome.instance_id)
    return jsonify(representations.started(outcome, process_id, actor, visible)), 201, {"Location": location}


@route("/instances/<int:instance_id>/migrate", ["POST"])
def migrate_instance(instance_id: int) -> Response:
    actor = caller().actor
    if ADMIN not in actor.roles:
        raise Forbidden(_("Only admins can move a process instance to another version."))
    if instance_id > openapi.MAX_ID:
        raise NotFound(_("There is no such process instance."))
    process_id = workflow().instance(instance_id).process_id
    body = validated_body("MigrateRequest")
    to_version = int(body["to_version"])  # JSON Schema counts 2.0 as an integer
    if to_version not in {v.version for v in versions.process_versions(workflow()).get(process_id, [])}:
        raise FormInvalid({"to_version": _("There is no version %(version)d of this process.", version=to_version)})
    if body.get("dry_run", True):
        plan = versions.plan_migration(workflow(), process_id, to_version, instance_ids=[instance_id])
        [check] = plan.movable + plan.refused
        return jsonify(representations.migration(check, process_id, to_version, dry_run=True, moved=False))
    result = versions.migrate(workflow(), process_id, to_version, actor, instance_ids=[instance_id])
    [check] = result.moved + result.refused
    return jsonify(representations.migration(check, process_id, to_version, dry_run=False, moved=bool(result.moved)))


@route("/instances/<int:instance_id>", ["GET"])
def get_instance(instance_id: int) -> Response:
    actor = caller().actor
    with workflow().db.read() as session:
        # Past the database's integer range nothing can exist; asking would be a database error.
        if instance_id > openapi.MAX_ID or not access.may_see_instance(session, instance_id, actor):
            raise NotFound(_("There is no such process instance."))
    instance = workflow().instance(instance_id)
    timers = workflow().waiting_timers(instance_id)
    with workflow().db.read() as session:
        version = reads.version_number(session, instance.model_version_id)
        open_tasks = reads.open_tasks_of_instance(session, instance_id)
        references = reads.case_references(session, [instance.case_id])
    return jsonify(representations.instance(instance, version, open_tasks, timers, actor, references))


# --- the description, the docs page, and what is not here ------------------------------------------


@route("/", ["GET"], public=True)
def index() -> Response:
    return jsonify(openapi=url_for("api.openapi_description"), docs=url_for("api.docs"))


@route("/openapi.json", ["GET"], public=True)
def openapi_description() -> Response:
    return jsonify(openapi.description())


@route("/docs", ["GET"], public=True)
def docs() -> str:
    locale = get_locale()
    return render_template("api/docs.html", operations=openapi.operations(), problem_kinds=openapi.problem_kinds(),
                           lang=str(locale).replace("_", "-") if locale else "en")


def _method_not_allowed(allowed: list[str]) -> Callable[..., Response]:
    def view(**_ignored: Any) -> Response:
        return problems.problem("method-not-allowed",
                                _("This address accepts %(methods)s.", methods=", ".join(allowed)),
                                headers={"Allow": ", ".join(allowed)})
    return view


for _number, (_rule, _methods) in enumerate(_RULES.items()):
    _endpoint = f"not_allowed_{_number}"
    blueprint.add_url_rule(_rule, endpoint=_endpoint, view_func=_method_not_allowed(_methods),
                           methods=[m for m in METHODS if m not in _methods])
    _PUBLIC.add(f"{blueprint.name}.{_endpoint}")


@blueprint.route("/<path:unknown>", methods=list(METHODS))
def not_found(unknown: str) -> Response:
    return problems.problem("not-found", _("There is nothing at this address in the API."))


_PUBLIC.add("api.not_found")


# --- errors: one place -----------------------------------------------------------------------------


@blueprint.errorhandler(ApiProblem)
def _api_problem(error: ApiProblem) -> Response:
    return problems.from_api(error)


@blueprint.errorhandler(EngineError)
def _engine_error(error: EngineError) -> Response:
    return problems.from_engine(error)


@blueprint.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return problems.from_http(error)


@blueprint.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    return problems.from_unexpected(error)
