"""Severe-threat mitigation: risk assessment in 4 hours, one task per measure, review every 28 days."""

from __future__ import annotations

from datetime import timedelta

from processes.roles import DEMOCRATIC_SERVICES, MONITORING_OFFICER, POLICE_LIAISON, SUPPORT_OFFICER
from tests.processes.casework import START, Runner

ASSESSMENT = {"threat_to_life": "yes", "home_address_known": "yes", "risk_level": "very_high"}
DONE = {"measure_done_on": "2026-03-03", "measure_notes": "Done."}


def test_each_chosen_measure_goes_to_the_role_that_does_it(run: Runner) -> None:
    case = run.report()
    instance = run.start("threat_mitigation", case.case_id).instance_id
    assert run.task("Risk assessment", instance_id=instance).due_at == START + timedelta(hours=4)
    measures = ["personal_alarm", "home_security_survey", "doorbell_camera", "withhold_address",
                "lone_working_device", "meeting_escort", "social_media_advice"]
    run.do("Risk assessment", {**ASSESSMENT, "measures": measures}, instance_id=instance)
    roles = {t.title: t.role for t in run.open_tasks(instance_id=instance)}
    assert roles == {"Issue personal alarm": SUPPORT_OFFICER, "Arrange home security survey": POLICE_LIAISON,
                     "Arrange doorbell camera or CCTV": SUPPORT_OFFICER, "Withhold home address": MONITORING_OFFICER,
                     "Issue lone-working device": SUPPORT_OFFICER,
                     "Arrange escort or remote attendance": DEMOCRATIC_SERVICES,
                     "Give social-media safety advice": SUPPORT_OFFICER}
    run.do("Issue personal alarm", {"alarm_provider": "police", "alarm_device": "PA-17",
                                    "alarm_issued_on": "2026-03-02"}, instance_id=instance)
    run.do("Withhold home address", {"address_decision": "withhold", "address_decision_reason": "Threats at "
                                     "home."}, instance_id=instance)
    for title in sorted(roles.keys() - {"Issue personal alarm", "Withhold home address"}):
        run.do(title, DONE, instance_id=instance)
    assert run.titles(instance_id=instance) == []
    assert run.wake_next(instance) == START + timedelta(days=28)
    assert run.titles(instance_id=instance) == ["Review risk"]


def test_risk_is_reviewed_every_twenty_eight_days_until_it_is_low(run: Runner) -> None:
    case = run.report()
    instance = run.start("threat_mitigation", case.case_id).instance_id
    run.do("Risk assessment", {**ASSESSMENT, "measures": []}, instance_id=instance)
    run.wake_next(instance)
    run.do("Review risk", {"current_risk_level": "medium"}, instance_id=instance)
    assert (run.wake_next(instance) - START).days == 56
    run.do("Review risk", {"current_risk_level": "low"}, instance_id=instance)
    assert run.service.instance(instance).status == "completed"
