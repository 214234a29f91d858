"""Police liaison: refer, share advice, follow up every 14 days until the outcome is final."""

from __future__ import annotations

from datetime import timedelta

from processes.roles import MONITORING_OFFICER, POLICE_LIAISON
from tests.processes.casework import START, Runner

REFERRAL = {"police_force": "Example Constabulary", "how_reported": "101", "operation_ford": "yes",
            "crime_reference": "EX/12345/26", "date_reported": "2026-03-02"}
STILL_INVESTIGATING = {"police_status": "investigating", "status_update": "Officer still making enquiries."}


def referred(run: Runner, severity: str = "high") -> tuple[int, int]:
    case = run.report()
    outcome = run.start("police_liaison", case.case_id, severity=severity)
    return case.case_id, outcome.instance_id


def test_referral_is_due_in_one_working_day_or_four_hours_when_severe(run: Runner) -> None:
    _, high = referred(run, "high")
    _, severe = referred(run, "severe")
    assert run.task("Refer to police", instance_id=high).due_at == START + timedelta(days=1)
    due = run.task("Refer to police", instance_id=severe)
    assert due.due_at == START + timedelta(hours=4) and due.role == POLICE_LIAISON


def test_police_are_followed_up_every_fourteen_days_until_the_outcome_is_final(run: Runner) -> None:
    _, instance = referred(run)
    run.do("Refer to police", REFERRAL, instance_id=instance)
    run.do("Share police advice", {"police_advice": "Keep your curtains closed."}, instance_id=instance)
    assert run.titles(instance_id=instance) == []
    assert run.wake_next(instance) == START + timedelta(days=14)
    run.do("Follow up with police", {"police_status": "charged", "status_update": "Charged with malicious "
                                     "communications."}, instance_id=instance)
    assert run.service.instance(instance).status == "completed"
    data = run.service.instance_data(instance)
    assert (data["police_outcome"], data["crime_reference"]) == ("charged", "EX/12345/26")


def test_two_follow_ups_with_no_change_send_a_notice_to_the_monitoring_officer(run: Runner) -> None:
    _, instance = referred(run)
    run.do("Refer to police", REFERRAL, instance_id=instance)
    run.do("Share police advice", {"police_advice": "Vary your route home."}, instance_id=instance)
    run.wake_next(instance)
    run.do("Follow up with police", STILL_INVESTIGATING, instance_id=instance)
    assert run.titles(instance_id=instance) == []
    run.wake_next(instance)
    run.do("Follow up with police", STILL_INVESTIGATING, instance_id=instance)
    notice = run.task("Police case not moving: review", instance_id=instance)
    assert notice.role == MONITORING_OFFICER
    run.do("Police case not moving: review", {"action_taken": "Wrote to the force's adviser."},
           instance_id=instance)
    run.wake_next(instance)
    run.do("Follow up with police", {"police_status": "no_further_action", "status_update": "Closed."},
           instance_id=instance)
    assert run.service.instance_data(instance)["police_outcome"] == "no_further_action"
