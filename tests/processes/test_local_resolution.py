"""Local resolution of internal complaints, and referral to the standards process."""

from __future__ import annotations

from datetime import timedelta

from tests.processes.casework import START, Runner

ACKNOWLEDGED = {"acknowledged_on": "2026-03-02", "parties_told": "yes"}
LOW_LEVEL = {"complaint_level": "low_level", "tests_met": ["subject_is_councillor"],
             "assessment_reasons": "Rude remark in committee."}
SOUGHT = {"resolution_approach": "apology", "parties_told": "yes"}
REFERRED = {"referred_on": "2026-03-20"}


def assessed(run: Runner, assessment: dict) -> int:
    case = run.report(perpetrator="councillor")
    instance = run.start("local_resolution", case.case_id).instance_id
    assert run.task("Acknowledge complaint", instance_id=instance).due_at == START + timedelta(days=7)
    run.do("Acknowledge complaint", ACKNOWLEDGED, instance_id=instance)
    assert run.task("Assess complaint", instance_id=instance).due_at == START + timedelta(days=21)
    run.do("Assess complaint", assessment, instance_id=instance)
    return instance


def test_serious_complaint_is_referred_to_the_standards_process(run: Runner) -> None:
    instance = assessed(run, {**LOW_LEVEL, "complaint_level": "serious"})
    run.do("Refer to the standards process", REFERRED, instance_id=instance)
    assert run.service.instance_data(instance)["resolution_outcome"] == "referred_to_standards"


def test_low_level_complaint_resolved_locally(run: Runner) -> None:
    instance = assessed(run, LOW_LEVEL)
    run.do("Seek resolution", SOUGHT, instance_id=instance)
    run.do("Record outcome", {"resolution_result": "resolved"}, instance_id=instance)
    assert run.service.instance_data(instance)["resolution_outcome"] == "resolved"


def test_local_resolution_that_fails_is_referred_to_standards(run: Runner) -> None:
    instance = assessed(run, LOW_LEVEL)
    run.do("Seek resolution", SOUGHT, instance_id=instance)
    run.do("Record outcome", {"resolution_result": "not_resolved"}, instance_id=instance)
    assert run.titles(instance_id=instance) == ["Refer to the standards process"]


def test_unresolved_local_resolution_is_referred_to_standards_after_three_months(run: Runner) -> None:
    instance = assessed(run, LOW_LEVEL)
    run.wait(instance, timedelta(days=89))
    assert run.titles(instance_id=instance) == ["Seek resolution"]
    run.wait(instance, timedelta(days=3))
    assert run.titles(instance_id=instance) == ["Refer to the standards process"]
