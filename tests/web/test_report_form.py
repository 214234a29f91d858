"""The incident report asks the form the support process's start event names, as deployed: an admin edits
it in the forms editor like any task form, and the report pages, the check page and the case ask and show
the new questions."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from engine import form_versions
from engine.db import Database
from engine.models import Case
from processes.catalogue import DIAGRAMS
from tests.web.conftest import app_config
from tests.web.test_report import answer_all
from web.app import create_app

EDIT = "/admin/diagrams/forms/report.schema.json"
WITNESSES = {"title": "Did anyone else see it happen?", "type": "string", "enum": ["yes", "no"]}


@pytest.fixture
def app(database: Database, tmp_path) -> Flask:
    app = create_app(app_config(database, tmp_path, REPORT_PROCESS="support"))
    app.extensions["workflow"].deploy_folder(DIAGRAMS)
    return app


def publish_report_form(admin, workflow, change: Callable[[dict], None]) -> None:
    """Publish the report form through the forms editor, as an admin would, with `change` made to a copy."""
    document = form_versions.read_form(workflow, "report.schema.json")
    changed = json.loads(json.dumps(document.schema))
    change(changed)
    published = admin.post(EDIT, data={"form-schema": json.dumps(changed), "action": "publish",
                                       "form-uischema": json.dumps(document.ui_schema), "digest": document.digest})
    assert published.status_code == 302, published.get_data(as_text=True)


def test_the_report_form_is_listed_in_the_forms_editor_as_the_support_process_start(client_as):
    page = client_as("admin").get("/admin/diagrams/forms/").get_data(as_text=True)
    assert "report.schema.json" in page and "Incident reported" in page


def test_a_question_an_admin_adds_to_the_report_form_is_asked_and_kept(client_as, workflow, database):
    def ask_witnesses(schema: dict) -> None:
        schema["properties"]["witnesses"] = WITNESSES
        schema["required"] = [*schema.get("required", []), "witnesses"]

    publish_report_form(client_as("admin"), workflow, ask_witnesses)

    councillor = client_as("councillor")
    assert answer_all(councillor).headers["Location"] == "/report/more"  # the new question's page
    assert "Did anyone else see it happen?" in councillor.get("/report/more").get_data(as_text=True)
    assert councillor.post("/report/check").status_code == 400  # not answered yet: it is required
    assert councillor.post("/report/more", data={"witnesses": "yes"}).headers["Location"] == "/report/check"
    sent = councillor.post("/report/check")
    assert sent.status_code == 302
    with database.read() as session:
        reference = session.scalar(select(Case.reference))
    case = client_as("support-officer").get(f"/cases/{reference}").get_data(as_text=True)
    assert "Did anyone else see it happen?" in case


def test_a_case_shows_its_report_as_it_was_asked_after_the_form_changes(client_as, workflow, database):
    councillor = client_as("councillor")
    answer_all(councillor)
    assert councillor.post("/report/check").status_code == 302
    publish_report_form(client_as("admin"), workflow,
                        lambda schema: schema["properties"]["what_happened"].update(title="Tell us what they did"))
    with database.read() as session:
        reference = session.scalar(select(Case.reference))
    case = client_as("support-officer").get(f"/cases/{reference}").get_data(as_text=True)
    assert "They said they would come to my house." in case
    assert "Tell us what they did" not in case  # the question it answered is the one shown
