"""The inbox and task pages: claiming, assigning, completing through the form, and every way a completion
can go wrong getting a clear message while nothing changes."""

from __future__ import annotations

import re

import pytest
import time_machine

from engine.models import User
from engine.people import create_user
from processes.roles import ROLES
from tests.web.conftest import actor
from web.app import create_app


@pytest.fixture
def claimed(open_case, workflow, ids):
    reference, task_id = open_case()
    workflow.claim(task_id, actor(ids, "support-officer"))
    return reference, task_id


def test_unassigned_tasks_can_be_claimed_from_the_inbox(client_as, open_case):
    reference, task_id = open_case()
    officer = client_as("support-officer")
    page = officer.get("/inbox?tab=claimable").get_data(as_text=True)
    assert reference in page and "Acknowledge and triage" in page and "Unassigned tasks for my roles (1)" in page
    assert officer.post(f"/tasks/{task_id}/claim").status_code == 302
    mine = officer.get("/inbox").get_data(as_text=True)
    assert "My tasks (1)" in mine and reference in mine


def test_all_open_tasks_is_for_leads_only(client_as, open_case):
    open_case()
    assert client_as("support-officer").get("/inbox?tab=all").status_code == 200
    assert client_as("police-liaison").get("/inbox?tab=all").status_code == 404


def test_inbox_filters_by_due_date_and_marks_overdue_tasks(client_as, open_case):
    with time_machine.travel("2026-03-02 09:00 +00:00", tick=False):
        reference, _task = open_case()
    with time_machine.travel("2026-03-20 09:00 +00:00", tick=False):
        overdue = client_as("support-officer").get("/inbox?tab=claimable&due=overdue").get_data(as_text=True)
    assert reference in overdue and "Overdue" in overdue
    with time_machine.travel("2026-03-02 09:30 +00:00", tick=False):
        early = client_as("support-officer").get("/inbox?tab=claimable&due=overdue").get_data(as_text=True)
    assert reference not in early


def test_inbox_filters_by_process_and_paginates(client_as, open_case, database):
    for _ in range(22):
        open_case()
    officer = client_as("support-officer")
    first = officer.get("/inbox?tab=claimable&process=simple").get_data(as_text=True)
    assert first.count("Acknowledge and triage</a>") == 20 and "govuk-pagination" in first
    second = officer.get("/inbox?tab=claimable&process=simple&page=2").get_data(as_text=True)
    assert second.count("Acknowledge and triage</a>") == 2
    assert "Acknowledge and triage</a>" not in officer.get("/inbox?tab=claimable&process=other").get_data(
        as_text=True)


def test_completing_a_task_lands_in_the_inbox_naming_the_next_step(client_as, claimed):
    _reference, task_id = claimed
    officer = client_as("support-officer")
    response = officer.post(f"/tasks/{task_id}", data={"severity": "high", "advice_given": "Keep a log"},
                            follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/inbox"
    assert '<p class="govuk-notification-banner__heading">You completed “Acknowledge and triage”. Next step: ' \
           '“Refer to police”.</p>' in page


def test_the_task_form_is_rendered_with_gov_uk_components(client_as, claimed):
    _reference, task_id = claimed
    page = client_as("support-officer").get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'class="govuk-radios__input" id="severity"' in page
    assert 'name="advice_given"' in page and "govuk-textarea" in page


@pytest.mark.parametrize("data, field, message", [
    ({}, "severity", "Answer “How severe is it?”."),
    ({"severity": "catastrophic"}, "severity", "Choose one of the options for “How severe is it?”."),
    ({"severity": "low", "advice_given": "x" * 2001}, "advice_given", "must be 2000 characters or fewer"),
])
def test_bad_answers_get_the_error_summary_and_change_nothing(client_as, claimed, workflow, ids, data, field,
                                                             message):
    _reference, task_id = claimed
    response = client_as("support-officer").post(f"/tasks/{task_id}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page and f'href="#{field}"' in page and message in page
    row, _schema, _ui = workflow.task(task_id, actor(ids, "support-officer"))
    assert row.status == "open"


def test_a_task_completed_twice_says_so_and_changes_nothing(client_as, claimed, workflow, ids):
    _reference, task_id = claimed
    officer = client_as("support-officer")
    assert officer.post(f"/tasks/{task_id}", data={"severity": "low"}).status_code == 302
    before = len(workflow.history(instance_id=workflow.task(task_id, actor(ids, "support-officer"))[0].instance_id))
    again = officer.post(f"/tasks/{task_id}", data={"severity": "high"})
    assert again.status_code == 409
    assert "This task has already been completed or cancelled." in again.get_data(as_text=True)
    row = workflow.task(task_id, actor(ids, "support-officer"))[0]
    assert len(workflow.history(instance_id=row.instance_id)) == before


def test_only_the_assignee_can_complete_a_task(client_as, claimed, database, workflow, ids, app):
    _reference, task_id = claimed
    with database.write() as session:
        ids["second-officer"] = create_user(session, email="second@example.org", name="Second officer",
                                            password=None, roles=["support-officer"], known_roles=ROLES).id
    response = client_as("second-officer").post(f"/tasks/{task_id}", data={"severity": "low"})
    assert response.status_code == 403
    assert "Only the person this task is assigned to can complete it" in response.get_data(as_text=True)
    assert workflow.task(task_id, actor(ids, "support-officer"))[0].status == "open"
    taken = client_as("second-officer").post(f"/tasks/{task_id}/claim")
    assert taken.status_code == 409 and "Someone else has already claimed this task" in taken.get_data(as_text=True)


def test_a_task_can_be_given_back_and_assigned_only_to_a_role_holder(client_as, claimed, workflow, ids, database):
    _reference, task_id = claimed
    officer = client_as("support-officer")
    refused = officer.post(f"/tasks/{task_id}/assign", data={"assignee": str(ids["councillor"])})
    assert refused.status_code == 400 and "Choose someone who holds this task&#39;s role" in refused.get_data(
        as_text=True)
    assert officer.post(f"/tasks/{task_id}/unclaim").status_code == 302
    assert workflow.task(task_id, actor(ids, "support-officer"))[0].assignee_id is None
    assert officer.post(f"/tasks/{task_id}/assign", data={"assignee": str(ids["support-officer"])}).status_code == 302
    with database.read() as session:
        assert session.get(User, ids["support-officer"]) is not None
    assert workflow.task(task_id, actor(ids, "support-officer"))[0].assignee_id == ids["support-officer"]


def test_the_case_page_shows_what_happens_next_and_the_timeline(client_as, claimed):
    reference, task_id = claimed
    officer = client_as("support-officer")
    officer.post(f"/tasks/{task_id}", data={"severity": "high"})
    page = officer.get(f"/cases/{reference}").get_data(as_text=True)
    assert "Refer to police" in page and "Not claimed yet" in page
    assert "“Acknowledge and triage” completed by Support officer" in page
    councillor = client_as("councillor").get(f"/cases/{reference}").get_data(as_text=True)
    assert "Done: Acknowledge and triage" in councillor
    assert "Your police liaison is working on: Refer to police" in councillor


def test_each_claim_button_in_the_inbox_carries_the_form_token(database, tmp_path, ids, open_case):
    """The page makes the token once and puts it in every row's form."""
    from tests.web.conftest import app_config

    app = create_app(app_config(database, tmp_path, WTF_CSRF_ENABLED=True))
    first, _ = open_case()
    second, _ = open_case()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(ids["support-officer"])
    page = client.get("/inbox?tab=claimable").get_data(as_text=True)
    tokens = re.findall(r'name="csrf_token" value="([^"]+)"', page)
    assert first in page and second in page
    assert len(tokens) >= 2 and len(set(tokens)) == 1 and page.count(">Claim<span") == 2
