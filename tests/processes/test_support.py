"""Support: report, triage, act, close."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.errors import FormInvalid
from engine.models import AuditEvent, Case, Instance, Task
from processes import DIAGRAMS
from processes.register import Offender
from processes.roles import GROUP_SUPPORT_CONTACT, MONITORING_OFFICER, POLICE_LIAISON, SUPPORT_OFFICER
from tests.processes.casework import START, TRIAGE, Runner

REVIEW = {"outcome_summary": "Account blocked; no further contact.", "wellbeing_now": "not_applicable"}
NEXT_WORKING_DAY = START + timedelta(days=1)


def close_to_confirmation(run: Runner, case_id: int) -> None:
    run.do("Review and close", REVIEW, case_id)
    assert run.titles(case_id) == ["Confirm closure"]


def test_catalogue_check_passes_for_every_diagram(deployed) -> None:
    report = deployed.check_folder(DIAGRAMS)
    assert report.problems == []
    assert {pid for ids in report.processes_by_file.values() for pid in ids} == {
        "support", "police_liaison", "wellbeing", "insurance_claim", "local_resolution", "threat_mitigation",
        "online_meeting_safety", "briefing_cycle"}


def test_report_waits_for_triage_by_the_support_officer_within_one_working_day(run: Runner) -> None:
    opened = run.report().opened
    assert [(t.title, t.role, t.due_at) for t in opened] == [
        ("Acknowledge and triage", SUPPORT_OFFICER, NEXT_WORKING_DAY)]


def test_reporter_in_danger_is_triaged_within_four_hours(run: Runner) -> None:
    opened = run.report(in_danger="yes").opened
    assert opened[0].due_at == START + timedelta(hours=4)


def test_overdue_triage_is_escalated_to_the_monitoring_officer(run: Runner) -> None:
    outcome = run.report(in_danger="yes")
    run.wait(outcome.instance_id, timedelta(hours=3))
    assert run.titles(outcome.case_id) == ["Acknowledge and triage"]
    run.wait(outcome.instance_id, timedelta(hours=2))
    notice = run.task("Triage overdue: act now", outcome.case_id)
    assert notice.role == MONITORING_OFFICER
    assert run.titles(outcome.case_id) == ["Acknowledge and triage", "Triage overdue: act now"]
    run.do("Triage overdue: act now", {"action_taken": "Phoned the support officer's manager."}, outcome.case_id)
    assert run.titles(outcome.case_id) == ["Acknowledge and triage"]
    run.triage(outcome.case_id)
    assert run.titles(outcome.case_id) == ["Review and close"]


def test_low_level_external_report_with_no_actions_goes_straight_to_review(run: Runner) -> None:
    outcome = run.report()
    run.triage(outcome.case_id)
    assert run.titles(outcome.case_id) == ["Review and close"]


def test_death_threat_starts_police_referral_and_risk_assessment_within_four_hours(run: Runner) -> None:
    outcome = run.report()
    run.clock.shift(timedelta(hours=1))
    run.triage(outcome.case_id, category="threat_to_life", severity="severe", possible_offence="yes")
    tasks = {t.title: t for t in run.open_tasks(outcome.case_id)}
    assert set(tasks) == {"Refer to police", "Risk assessment"}
    four_hours = START + timedelta(hours=5)
    assert tasks["Refer to police"].due_at == four_hours and tasks["Refer to police"].role == POLICE_LIAISON
    assert tasks["Risk assessment"].due_at == four_hours and tasks["Risk assessment"].role == SUPPORT_OFFICER


@pytest.mark.parametrize("answers", [{"possible_offence": "yes"}, {"severity": "high"}, {"share_with_police": "yes"}])
def test_police_liaison_starts_for_an_offence_a_serious_case_or_when_the_councillor_asks(run: Runner,
                                                                                           answers: dict) -> None:
    report = {k: v for k, v in answers.items() if k == "share_with_police"}
    outcome = run.report(**report)
    run.triage(outcome.case_id, **{k: v for k, v in answers.items() if k != "share_with_police"})
    assert run.titles(outcome.case_id) == ["Refer to police"]


def test_internal_low_level_complaint_goes_to_local_resolution(run: Runner) -> None:
    outcome = run.report(perpetrator="councillor", perpetrator_name="Cllr Example")
    run.triage(outcome.case_id, source="internal_low_level")
    task = run.task("Acknowledge complaint", outcome.case_id)
    assert task.role == MONITORING_OFFICER


def test_group_support_contact_is_asked_to_contact_the_councillor_when_they_agreed(run: Runner) -> None:
    outcome = run.report(share_with_group="yes")
    run.triage(outcome.case_id)
    task = run.task("Contact the councillor", outcome.case_id)
    assert task.assignee_id == run.people.by_role[GROUP_SUPPORT_CONTACT].id
    assert task.due_at == START + timedelta(days=2)
    run.do("Contact the councillor", {"contacted": "yes"}, outcome.case_id)
    assert run.titles(outcome.case_id) == ["Review and close"]


def test_wellbeing_is_offered_at_every_report(run: Runner) -> None:
    schema = json.loads((DIAGRAMS / "forms" / "report.schema.json").read_text())
    assert "wellbeing_support" in schema["required"]
    outcome = run.report(wellbeing_support="yes")
    run.triage(outcome.case_id)
    assert run.titles(outcome.case_id) == ["First contact", "Review and close"]
    run.do("First contact", {"support_offered": ["nhs_gp"], "check_ins_wanted": "no"}, outcome.case_id)
    assert run.titles(outcome.case_id) == ["Review and close"]


def test_wellbeing_not_now_is_asked_again_at_closure(run: Runner) -> None:
    outcome = run.report(wellbeing_support="not_now")
    run.triage(outcome.case_id)
    assert run.titles(outcome.case_id) == ["Review and close"]
    run.do("Review and close", {**REVIEW, "wellbeing_now": "yes"}, outcome.case_id)
    assert run.titles(outcome.case_id) == ["First contact"]
    run.do("First contact", {"support_offered": ["nhs_gp"], "check_ins_wanted": "no"}, outcome.case_id)
    assert run.titles(outcome.case_id) == ["Confirm closure"]


def test_closing_the_case_ends_wellbeing_support(run: Runner) -> None:
    outcome = run.report(wellbeing_support="yes")
    run.triage(outcome.case_id)
    run.do("First contact", {"support_offered": ["peer_support"], "check_ins_wanted": "yes"}, outcome.case_id)
    close_to_confirmation(run, outcome.case_id)
    run.do("Confirm closure", {"closure_agreed": "yes"}, outcome.case_id)
    instance = run.service.instance(outcome.instance_id)
    assert instance.status == "completed" and instance.next_wake_at is None
    assert run.open_tasks(outcome.case_id) == []
    with run.service.db.read() as session:
        assert session.get(Case, outcome.case_id).status == "closed"


def test_councillor_saying_something_is_still_open_goes_back_to_actions(run: Runner) -> None:
    outcome = run.report()
    run.triage(outcome.case_id)
    close_to_confirmation(run, outcome.case_id)
    with pytest.raises(FormInvalid) as refused:
        run.do("Confirm closure", {"closure_agreed": "no"}, outcome.case_id)
    assert "still_open" in refused.value.errors
    run.do("Confirm closure", {"closure_agreed": "no", "still_open": "He is posting again."}, outcome.case_id)
    assert run.titles(outcome.case_id) == ["Plan further action"]
    run.do("Plan further action", {**TRIAGE, "possible_offence": "yes"}, outcome.case_id)
    assert run.titles(outcome.case_id) == ["Refer to police"]


def test_councillor_not_answering_closure_is_closed_after_ten_working_days(run: Runner) -> None:
    outcome = run.report()
    run.triage(outcome.case_id)
    close_to_confirmation(run, outcome.case_id)
    # Monday 2 March + 5 working days: Monday 9 March; + 10: Monday 16 March.
    run.wait(outcome.instance_id, timedelta(days=7, hours=1))
    with run.service.db.read() as session:
        notices = session.scalars(select(AuditEvent).where(AuditEvent.action == "notice.requested")).all()
        assert [n.detail["notice"] for n in notices] == ["closure_reminder"]
    assert run.titles(outcome.case_id) == ["Confirm closure"]
    run.wait(outcome.instance_id, timedelta(days=6))
    assert run.titles(outcome.case_id) == ["Confirm closure"]
    run.wait(outcome.instance_id, timedelta(days=1))
    assert run.open_tasks(outcome.case_id) == []
    with run.service.db.read() as session:
        case = session.get(Case, outcome.case_id)
        assert case.status == "closed"
        assert datetime(2026, 3, 16, 10, 0, tzinfo=UTC) < case.closed_at < datetime(2026, 3, 16, 10, 1, tzinfo=UTC)
    assert run.service.instance_data(outcome.instance_id)["closure_note"].startswith("Closed after no answer")


def test_repeat_perpetrator_is_found_in_the_register_and_linked(run: Runner) -> None:
    first = run.report(perpetrator_handle="@Angry_Ratepayer")
    run.triage(first.case_id)
    second = run.report(perpetrator_handle="angry_ratepayer ")
    run.triage(second.case_id)
    first_data, second_data = run.service.instance_data(first.instance_id), \
        run.service.instance_data(second.instance_id)
    assert first_data["repeat"] is False
    assert second_data["repeat"] is True
    assert second_data["offender_check"]["linked_cases"] == [_reference(run, first.case_id)]
    with run.service.db.read() as session:
        offender = session.scalars(select(Offender)).one()
        assert offender.handle == "angry_ratepayer"
        assert sorted(link.case_id for link in offender.cases) == [first.case_id, second.case_id]


def test_unknown_perpetrator_is_not_added_to_the_register(run: Runner) -> None:
    outcome = run.report(perpetrator="unknown", perpetrator_handle="")
    run.triage(outcome.case_id)
    assert run.service.instance_data(outcome.instance_id)["repeat"] is False
    with run.service.db.read() as session:
        assert session.scalars(select(Offender)).all() == []


def test_triage_with_an_unknown_severity_is_refused_and_nothing_changes(run: Runner) -> None:
    outcome = run.report()
    before = run.service.instance(outcome.instance_id)
    with pytest.raises(FormInvalid) as refused:
        run.triage(outcome.case_id, severity="catastrophic", advice_given="x" * 6000)
    assert set(refused.value.errors) == {"severity", "advice_given"}
    after = run.service.instance(outcome.instance_id)
    assert (after.lock_version, after.state) == (before.lock_version, before.state)
    with run.service.db.read() as session:
        assert session.scalars(select(Task.title).where(Task.status == "open")).all() == ["Acknowledge and triage"]
        assert session.scalar(select(Instance.status).where(Instance.id == outcome.instance_id)) == "running"


def _reference(run: Runner, case_id: int) -> str:
    with run.service.db.read() as session:
        return session.get(Case, case_id).reference


def follow_police_to_outcome(run: Runner, case_id: int) -> None:
    run.do("Refer to police", {"police_force": "Example Constabulary", "how_reported": "999",
                               "date_reported": "2026-03-02", "crime_reference": "EX/9/26"}, case_id)
    run.do("Share police advice", {"police_advice": "Call 999 if he comes back."}, case_id)
    run.wake_next(run.instance_of(case_id).id)
    run.do("Follow up with police", {"police_status": "caution", "status_update": "Cautioned."}, case_id)


def test_review_waits_until_every_action_has_ended(run: Runner) -> None:
    outcome = run.report(perpetrator="councillor", perpetrator_name="Cllr Example")
    run.triage(outcome.case_id, category="threat_to_life", severity="severe", possible_offence="yes",
               injury_or_loss="yes", source="internal_low_level")
    assert run.titles(outcome.case_id) == ["Acknowledge complaint", "Refer to police", "Risk assessment"]
    run.do("Risk assessment", {"threat_to_life": "yes", "home_address_known": "no", "risk_level": "high",
                               "measures": []}, outcome.case_id)
    run.wake_next(outcome.instance_id)
    run.do("Review risk", {"current_risk_level": "low"}, outcome.case_id)
    run.do("Acknowledge complaint", {"acknowledged_on": "2026-03-02", "parties_told": "yes"}, outcome.case_id)
    run.do("Assess complaint", {"complaint_level": "serious", "assessment_reasons": "Threats."}, outcome.case_id)
    run.do("Refer to the standards process", {"referred_on": "2026-03-02"}, outcome.case_id)
    follow_police_to_outcome(run, outcome.case_id)
    assert run.titles(outcome.case_id) == ["Claim details"]
    run.do("Claim details", {"claim_type": "other_loss", "loss_date": "2026-03-01", "loss_description": "Time off.",
                             "estimated_amount": 100}, outcome.case_id)
    run.do("Check cover", {"arose_from_role": "yes", "within_policy": "no", "cover_decision": "not_covered",
                           "cover_reason": "Not insured."}, outcome.case_id)
    assert run.titles(outcome.case_id) == ["Review and close"]


def test_police_referral_alone_ends_in_review(run: Runner) -> None:
    outcome = run.report(share_with_police="yes")
    run.triage(outcome.case_id)
    follow_police_to_outcome(run, outcome.case_id)
    assert run.titles(outcome.case_id) == ["Review and close"]


def test_injury_without_police_starts_an_insurance_claim(run: Runner) -> None:
    outcome = run.report()
    run.triage(outcome.case_id, injury_or_loss="yes")
    assert run.titles(outcome.case_id) == ["Claim details"]
    run.do("Claim details", {"claim_type": "personal_injury", "loss_date": "2026-03-01",
                             "loss_description": "Bruised arm.", "estimated_amount": 50}, outcome.case_id)
    run.do("Check cover", {"arose_from_role": "no", "within_policy": "no", "cover_decision": "not_covered",
                           "cover_reason": "Not from the councillor role."}, outcome.case_id)
    assert run.titles(outcome.case_id) == ["Review and close"]
