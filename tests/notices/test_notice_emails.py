"""Notices a diagram sends reach the people the role means for the case, by email, with the reference and a
link to the case and nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.errors import ScriptError
from engine.models import AuditEvent, Case
from engine.people import create_user
from processes import notices
from processes.roles import MONITORING_OFFICER, ROLES, SUPPORT_OFFICER
from tests.notices.conftest import PUBLIC_URL, outbox
from tests.processes.casework import REPORT, Runner

REVIEW = {"outcome_summary": "Account blocked; no further contact.", "wellbeing_now": "not_applicable"}
SECRET_WORDS = ("traitor", "where I live", "angry_ratepayer", "Account blocked")


def reference_of(run: Runner, case_id: int) -> str:
    with run.service.db.read() as session:
        return session.get(Case, case_id).reference


def assert_no_case_details(subject: str, body: str) -> None:
    for words in SECRET_WORDS:
        assert words.lower() not in subject.lower() and words.lower() not in body.lower()


def test_closure_reminder_emails_only_the_case_councillor_with_the_reference_and_a_link(
        run: Runner, other_councillor: int) -> None:
    outcome = run.report()
    run.triage(outcome.case_id)
    run.do("Review and close", REVIEW, outcome.case_id)
    reference = reference_of(run, outcome.case_id)
    run.wait(outcome.instance_id, timedelta(days=7, hours=1))  # the reminder is due after five working days

    [notice] = outbox(run.service, "notice")
    assert notice.recipient == run.people.councillor.email
    assert notice.case_id == outcome.case_id
    assert reference in notice.subject and "closed" in notice.subject
    assert f"{PUBLIC_URL}/cases/{reference}" in notice.body
    assert_no_case_details(notice.subject, notice.body)
    assert REPORT["what_happened"] not in notice.body


def test_notice_is_still_recorded_in_the_case_history(run: Runner) -> None:
    outcome = run.report()
    run.triage(outcome.case_id)
    run.do("Review and close", REVIEW, outcome.case_id)
    run.wait(outcome.instance_id, timedelta(days=7, hours=1))
    with run.service.db.read() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "notice.requested")).all()
    assert event.case_id == outcome.case_id
    assert event.detail == {"notice": "closure_reminder", "role": "councillor", "recipients": 1}


def test_notice_to_a_shared_role_emails_every_active_holder(run: Runner) -> None:
    outcome = run.report()
    with run.service.db.write() as session:
        create_user(session, email="second-mo@example.org", name="Second MO", password=None,
                    roles=[MONITORING_OFFICER], known_roles=ROLES)
        create_user(session, email="retired-mo@example.org", name="Retired MO", password=None,
                    roles=[MONITORING_OFFICER], known_roles=ROLES).active = False
        sent = notices.send_notice(session, notice="standards_decision", role="Monitoring officer",
                                   case=session.get(Case, outcome.case_id))
    assert sent == 2
    emails = outbox(run.service, "notice")
    assert sorted(m.recipient for m in emails) == ["monitoring-officer@example.org", "second-mo@example.org"]
    assert all(reference_of(run, outcome.case_id) in m.body for m in emails)


def test_notice_to_a_role_nobody_has_is_refused_naming_it(run: Runner) -> None:
    with run.service.db.write() as session, pytest.raises(ScriptError, match="Chief executive"):
        notices.send_notice(session, notice="closure_reminder", role="Chief executive", case=None)


def test_overdue_triage_emails_the_monitoring_officer_the_reference_but_not_the_report(run: Runner) -> None:
    outcome = run.report(in_danger="yes")
    reference = reference_of(run, outcome.case_id)
    run.wait(outcome.instance_id, timedelta(hours=5))
    task = run.task("Triage overdue: act now", outcome.case_id)
    [email] = [m for m in outbox(run.service) if m.task_id == task.id]
    assert email.recipient == f"{MONITORING_OFFICER}@example.org"
    assert reference in email.subject and f"{PUBLIC_URL}/tasks/{task.id}" in email.body
    assert_no_case_details(email.subject, email.body)
    assert not [m for m in outbox(run.service) if m.task_id == task.id and SUPPORT_OFFICER in m.recipient]
