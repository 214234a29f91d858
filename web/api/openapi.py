"""The OpenAPI 3.1 description of /api/v1, kept by hand next to the routes. Request bodies are checked
against the same schemas (see `web.api.bodies`), so the description and the checks cannot drift apart."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from web.api.problems import KINDS, titles

VERSION = "1.0.0"
DATE_TIME = {"type": "string", "format": "date-time"}
MAYBE_DATE_TIME = {"type": ["string", "null"], "format": "date-time"}
MAX_ID = 2_147_483_647
PROCESS_ID_PATTERN = r"[A-Za-z_][A-Za-z0-9_.-]{0,99}"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], *, optional: tuple[str, ...] = (), closed: bool = True) -> dict[str, Any]:
    """An object schema whose properties are all required except `optional`."""
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "required": [name for name in properties if name not in optional]}
    if closed:
        schema["additionalProperties"] = False
    return schema


def _request_schemas() -> dict[str, Any]:
    return {
        "ReportRequest": {**obj({
            "data": {"type": "object", "description": _("The report, as the report form's fields.")},
            "councillor_email": {"type": "string", "minLength": 3, "maxLength": 320,
                                 "description": _("For a support officer reporting for a councillor: the "
                                                  "councillor's email address.")},
        }, optional=("councillor_email",)), "description": _("A report of an incident.")},
        "CompleteRequest": obj({
            "data": {"type": "object", "description": _("The task form's fields; see the task's form schema.")},
        }),
        "StartRequest": {**obj({
            "data": {"type": "object", "description": _("The new instance's starting data.")},
        }), "description": _("Start a process instance.")},
        "MigrateRequest": {**obj({
            "to_version": {"type": "integer", "minimum": 1, "maximum": MAX_ID,
                           "description": _("The version of the instance's process to move it to.")},
            "dry_run": {"type": "boolean", "default": True,
                        "description": _("If true (the default), only say whether it can move; nothing changes.")},
        }, optional=("dry_run",)), "description": _("Move a process instance to another version of its process.")},
    }


def _schemas() -> dict[str, Any]:
    task = obj({
        "id": {"type": "string"},
        "title": {"type": "string"},
        "process_id": {"type": "string"},
        "instance_id": {"type": "integer"},
        "case_reference": {"type": ["string", "null"]},
        "role": {"type": ["string", "null"], "description": _("The role whose lane the task is in.")},
        "lane": {"type": ["string", "null"]},
        "status": {"enum": ["open", "completed", "cancelled"]},
        "assignee_id": {"type": ["integer", "null"]},
        "assigned_to_me": {"type": "boolean"},
        "due_at": MAYBE_DATE_TIME,
        "created_at": DATE_TIME,
        "completed_at": MAYBE_DATE_TIME,
    })
    task_detail = {**task, "properties": {**task["properties"], "form": obj({
        "name": {"type": ["string", "null"]},
        "schema": {"type": ["object", "null"], "description": _("The form's JSON Schema (draft 2020-12).")},
        "ui_schema": {"type": ["object", "null"], "description": _("Hints for showing the form.")},
    })}, "required": [*task["required"], "form"]}
    return {
        **_request_schemas(),
        "Problem": {**obj({
            "type": {"type": "string", "format": "uri-reference"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "field": {"type": "string", "description": _("The first field that failed.")},
            "errors": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": _("Every failing field with its message.")},
            "problems": {"type": "array", "items": ref("DiagramProblem")},
        }, optional=("field", "errors", "problems")), "description": _("An RFC 9457 problem.")},
        "DiagramProblem": obj({
            "message": {"type": "string"},
            "file": {"type": "string"},
            "element_id": {"type": "string"},
            "element_name": {"type": "string"},
            "line": {"type": ["integer", "null"]},
        }),
        "ReportCreated": obj({"reference": {"type": "string", "pattern": r"^CS-\d{4}-\d{4,}$"},
                              "case_url": {"type": "string"}}),
        "Case": obj({
            "reference": {"type": "string"},
            "status": {"type": "string"},
            "created_at": DATE_TIME,
            "closed_at": MAYBE_DATE_TIME,
            "councillor": {"oneOf": [obj({"id": {"type": "integer"}, "name": {"type": "string"}}),
                                     {"type": "null"}]},
            "tasks": {"type": "array", "items": ref("Task"),
                      "description": _("The case's tasks that you work or may work on.")},
        }),
        "Task": task,
        "TaskDetail": task_detail,
        "TaskPage": obj({
            "tasks": {"type": "array", "items": ref("Task")},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 1},
        }),
        "NextTask": {**obj({
            "id": {"type": ["string", "null"], "description": _("Null if the task is not yours to open.")},
            "title": {"type": "string"},
            "role": {"type": ["string", "null"]},
            "due_at": MAYBE_DATE_TIME,
            "assigned_to_me": {"type": "boolean"},
        }), "description": _("A task that a request opened.")},
        "Completion": obj({
            "task_id": {"type": "string"},
            "instance": obj({"id": {"type": "integer"}, "completed": {"type": "boolean"}}),
            "next_tasks": {"type": "array", "items": ref("NextTask")},
        }),
        "ProcessModel": obj({
            "process_id": {"type": "string"},
            "name": {"type": "string"},
            "version": {"type": "integer", "minimum": 1},
            "filename": {"type": "string"},
            "created_at": DATE_TIME,
        }),
        "ProcessModelList": obj({"process_models": {"type": "array", "items": ref("ProcessModel")}}),
        "ProcessModelUpload": obj({
            "diagram": {"type": "array", "items": {"type": "string", "contentMediaType": "application/xml"},
                        "description": _("One or more .bpmn files.")},
            "forms": {"type": "array", "items": {"type": "string", "contentMediaType": "application/json"},
                      "description": _("The JSON Schema and UI schema files the diagrams name.")},
        }, optional=("forms",), closed=False),
        "Deployed": obj({"deployed": {"type": "array", "items": obj({
            "process_id": {"type": "string"},
            "version": {"type": "integer"},
            "created": {"type": "boolean", "description": _("False if the content had not changed.")},
        })}}),
        "ProcessVersions": obj({
            "process_id": {"type": "string"},
            "name": {"type": "string"},
            "versions": {"type": "array", "description": _("Newest first."), "items": obj({
                "version": {"type": "integer", "minimum": 1},
                "filename": {"type": "string"},
                "deployed_at": DATE_TIME,
                "running_instances": {"type": "integer", "minimum": 0,
                                      "description": _("How many instances are running on this version.")},
            })},
        }),
        "Started": obj({
            "instance_id": {"type": "integer"},
            "process_id": {"type": "string"},
            "completed": {"type": "boolean", "description": _("True if the instance ran to its end at once.")},
            "open_tasks": {"type": "array", "items": ref("NextTask")},
        }),
        "Migration": obj({
            "instance_id": {"type": "integer"},
            "process_id": {"type": "string"},
            "from_version": {"type": ["integer", "null"]},
            "to_version": {"type": "integer"},
            "dry_run": {"type": "boolean"},
            "can_move": {"type": "boolean"},
            "moved": {"type": "boolean", "description": _("Always false for a dry run.")},
            "waiting_at": {"type": "array", "items": {"type": "string"},
                           "description": _("The tasks and events the instance is at now.")},
            "reasons": {"type": "array", "items": {"type": "string"},
                        "description": _("Why it cannot move; empty if it can.")},
        }),
        "Instance": obj({
            "id": {"type": "integer"},
            "process_id": {"type": "string"},
            "version": {"type": ["integer", "null"]},
            "status": {"enum": ["running", "completed", "cancelled", "error"]},
            "case_reference": {"type": ["string", "null"]},
            "created_at": DATE_TIME,
            "updated_at": DATE_TIME,
            "completed_at": MAYBE_DATE_TIME,
            "next_wake_at": MAYBE_DATE_TIME,
            "open_tasks": {"type": "array", "items": ref("Task")},
            "waiting_timers": {"type": "array", "items": obj({
                "name": {"type": "string"},
                "kind": {"type": "string"},
                "due_at": MAYBE_DATE_TIME,
            })},
        }),
        "Index": obj({"openapi": {"type": "string"}, "docs": {"type": "string"}}),
    }


def _problem_responses() -> dict[str, Any]:
    def response(description: str) -> dict[str, Any]:
        return {"description": description, "content": {"application/problem+json": {"schema": ref("Problem")}}}

    return {
        "400": response(_("The request is malformed: not JSON, the wrong content type, or a bad parameter.")),
        "401": {**response(_("No API token, or one that is not valid.")),
                "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}},
        "403": response(_("Your roles do not allow this.")),
        "404": response(_("It does not exist, or you may not know that it does.")),
        "405": response(_("This address does not accept that method.")),
        "409": response(_("Someone else changed it first. Nothing was written; reload and try again.")),
        "413": response(_("The body is too large.")),
        "422": response(_("The data is not valid; `errors` names every failing field.")),
    }


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": ref(schema)}}


def _operation(operation_id: str, summary: str, ok: tuple[str, str, str | None], problems: tuple[str, ...], *,
               tag: str, body: str | None = None, parameters: list[dict[str, Any]] | None = None,
               public: bool = False, description: str = "") -> dict[str, Any]:
    status, ok_description, ok_schema = ok
    responses: dict[str, Any] = {status: {"description": ok_description}}
    if ok_schema:
        responses[status]["content"] = _json(ok_schema)
    for code in (*problems, *(() if public else ("401",)), "405"):
        responses[code] = {"$ref": f"#/components/responses/{code}"}
    operation: dict[str, Any] = {"operationId": operation_id, "summary": summary, "tags": [tag],
                                 "responses": dict(sorted(responses.items()))}
    if description:
        operation["description"] = description
    if body:
        operation["requestBody"] = {"required": True, "content": _json(body)}
    if parameters:
        operation["parameters"] = parameters
    if public:
        operation["security"] = []
    return operation


def _path(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def description() -> dict[str, Any]:
    """The whole OpenAPI document, with descriptions in the request's language."""
    task_id = _path("task_id", {"type": "string", "minLength": 1, "maxLength": 36}, _("The task's id."))
    process_id = _path("process_id", {"type": "string", "pattern": f"^{PROCESS_ID_PATTERN}$"},
                       _("The process's id, like online_meeting_safety."))
    instance_id = _path("instance_id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, _("The instance's id."))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": _("Councillor Support API"),
            "version": VERSION,
            "description": _("Report incidents, work tasks and follow cases from other systems. Every request "
                             "except this description carries a personal API token: Authorization: Bearer "
                             "<token>. A token acts with its owner's roles and nothing more. Errors are "
                             "application/problem+json (RFC 9457)."),
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "tags": [{"name": "cases"}, {"name": "tasks"}, {"name": "processes"}, {"name": "about"}],
        "paths": {
            "/": {"get": _operation("index", _("Where the description and the docs are"),
                                    ("200", _("Links."), "Index"), (), tag="about", public=True)},
            "/openapi.json": {"get": _operation(
                "openapi", _("This description"), ("200", _("The OpenAPI 3.1 document."), None), (),
                tag="about", public=True)},
            "/docs": {"get": _operation("docs", _("The human page for this API"),
                                        ("200", _("An HTML page."), None), (), tag="about", public=True)},
            "/reports": {"post": _operation(
                "createReport", _("Report an incident"), ("201", _("The case is open."), "ReportCreated"),
                ("400", "403", "413", "422"), tag="cases", body="ReportRequest",
                description=_("Councillors report for themselves. Support officers report for a councillor "
                              "named by councillor_email."))},
            "/cases/{reference}": {"get": _operation(
                "getCase", _("A case"), ("200", _("The case."), "Case"), ("404",), tag="cases",
                parameters=[_path("reference", {"type": "string", "minLength": 1, "maxLength": 40},
                                  _("The case reference, like CS-2026-0042."))],
                description=_("Councillors see their own cases; officers see cases with a task in their "
                              "role or assigned to them. Anything else is 404."))},
            "/tasks": {"get": _operation(
                "listTasks", _("Your tasks, or tasks you may claim"), ("200", _("A page of tasks."), "TaskPage"),
                ("400",), tag="tasks",
                parameters=[_query("scope", {"enum": ["mine", "claimable"], "default": "mine"},
                                   _("mine: assigned to you; claimable: waiting in your role's queue.")),
                            _query("process_id", {"type": "string", "maxLength": 100}, _("Only this process.")),
                            _query("page", {"type": "integer", "minimum": 1, "maximum": 100_000, "default": 1},
                                   _("Page number.")),
                            _query("per_page", {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
                                   _("Tasks per page."))])},
            "/tasks/{task_id}": {"get": _operation(
                "getTask", _("A task with its form's JSON Schema"), ("200", _("The task."), "TaskDetail"),
                ("404",), tag="tasks", parameters=[task_id])},
            "/tasks/{task_id}/claim": {"post": _operation(
                "claimTask", _("Claim a task from your role's queue"), ("200", _("It is yours."), "Task"),
                ("403", "404", "409"), tag="tasks", parameters=[task_id])},
            "/tasks/{task_id}/unclaim": {"post": _operation(
                "unclaimTask", _("Give a task back to its queue"), ("200", _("It is back in the queue."), "Task"),
                ("403", "404", "409"), tag="tasks", parameters=[task_id])},
            "/tasks/{task_id}/complete": {"post": _operation(
                "completeTask", _("Complete a task with its form's data"),
                ("200", _("Done; what happens next."), "Completion"),
                ("400", "403", "404", "409", "413", "422"), tag="tasks", body="CompleteRequest",
                parameters=[task_id],
                description=_("Only the person the task is assigned to can complete it. If two people "
                              "complete it at once, one succeeds and the other gets 409."))},
            "/process-models": {
                "get": _operation("listProcessModels", _("The latest version of each process"),
                                  ("200", _("The process models."), "ProcessModelList"), (), tag="processes"),
                "post": {**_operation(
                    "deployProcessModels", _("Deploy diagrams and their forms (admins)"),
                    ("201", _("Deployed; unchanged diagrams keep their version."), "Deployed"),
                    ("400", "403", "413", "422"), tag="processes",
                    description=_("Everything is validated first; if any problem is found nothing is stored and "
                                  "the 422 lists every problem.")),
                    "requestBody": {"required": True, "content": {
                        "multipart/form-data": {"schema": ref("ProcessModelUpload")}}}},
            },
            "/process-models/{process_id}/versions": {"get": _operation(
                "listProcessVersions", _("Every deployed version of a process"),
                ("200", _("The versions, with how many instances run on each."), "ProcessVersions"),
                ("403", "404"), tag="processes", parameters=[process_id],
                description=_("For officers and admins."))},
            "/process-models/{process_id}/instances": {"post": _operation(
                "startInstance", _("Start an instance of a process"),
                ("201", _("Started; the tasks it opened."), "Started"), ("400", "403", "404", "413", "422"),
                tag="processes", body="StartRequest", parameters=[process_id],
                description=_("Only roles that start the process by hand may start it (for example Democratic "
                              "services for online meeting safety); admins may start any process."))},
            "/instances/{instance_id}": {"get": _operation(
                "getInstance", _("A process instance: status, open tasks and waiting timers"),
                ("200", _("The instance."), "Instance"), ("404",), tag="processes", parameters=[instance_id],
                description=_("For admins, and officers with a task in the instance."))},
            "/instances/{instance_id}/migrate": {"post": _operation(
                "migrateInstance", _("Move an instance to another version of its process (admins)"),
                ("200", _("Whether it can move and why not, or whether it moved."), "Migration"),
                ("400", "403", "404", "409", "413", "422"), tag="processes", body="MigrateRequest",
                parameters=[instance_id],
                description=_("An instance moves only if every task it has done or is waiting at is still in the "
                              "new version; otherwise it is left exactly as it was and the reasons say why. "
                              "Start with a dry run."))},
        },
        "components": {
            "schemas": _schemas(),
            "responses": _problem_responses(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": _("A personal API token from your account page.")}},
        },
    }


def request_schema(name: str) -> dict[str, Any]:
    return _request_schemas()[name]


def operations() -> list[dict[str, Any]]:
    """Each operation flattened for the docs page, in the order the description lists them."""
    listed = []
    for path, methods in description()["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {})
            listed.append({
                "method": method.upper(), "path": f"/api/v1{path}",
                "summary": operation["summary"], "description": operation.get("description", ""),
                "public": operation.get("security") == [],
                "body": ", ".join(body), "parameters": operation.get("parameters", []),
                "statuses": list(operation["responses"]),
            })
    return listed


def problem_kinds() -> list[tuple[str, str]]:
    return [(kind, titles()[kind]) for kind in KINDS]
