"""Insurance claim: details, check cover, submit, chase, decision, payment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import FormInvalid
from processes.roles import INSURANCE_OFFICER
from tests.processes.casework import START, Runner

CLAIM = {"claim_type": "personal_injury", "loss_date": "2026-02-28", "loss_description": "Pushed over in the "
         "market square.", "estimated_amount": 250}
COVERED = {"arose_from_role": "yes", "within_policy": "yes", "cover_decision": "covered"}
SUBMITTED = {"insurer_name": "Example Mutual", "insurer_claim_reference": "EM-1", "submitted_on": "2026-03-03"}


def claim(run: Runner, **details: object) -> int:
    case = run.report()
    instance = run.start("insurance_claim", case.case_id).instance_id
    run.do("Claim details", {**CLAIM, **details}, instance_id=instance)
    return instance


def test_insurance_claim_for_criminal_damage_requires_crime_reference(run: Runner) -> None:
    case = run.report()
    instance = run.start("insurance_claim", case.case_id).instance_id
    before = run.service.instance(instance).state
    for claim_type in ("damage_to_property", "loss_of_possessions"):
        with pytest.raises(FormInvalid) as refused:
            run.do("Claim details", {**CLAIM, "claim_type": claim_type}, instance_id=instance)
        assert "crime_reference" in refused.value.errors
    assert run.service.instance(instance).state == before
    run.do("Claim details", {**CLAIM, "claim_type": "damage_to_property", "crime_reference": "EX/1/26"},
           instance_id=instance)
    assert run.titles(instance_id=instance) == ["Check cover"]


def test_crime_reference_from_police_liaison_reaches_the_insurance_claim(run: Runner) -> None:
    case = run.report()
    run.triage(case.case_id, possible_offence="yes", injury_or_loss="yes", category="criminal_damage")
    run.do("Refer to police", {"police_force": "Example Constabulary", "how_reported": "online",
                               "crime_reference": "EX/777/26", "date_reported": "2026-03-02"}, case.case_id)
    run.do("Share police advice", {"police_advice": "Report any further damage."}, case.case_id)
    run.wake_next(case.instance_id)
    run.do("Follow up with police", {"police_status": "charged", "status_update": "Charged."}, case.case_id)
    task = run.task("Claim details", case.case_id)
    data = run.task_data(task)
    assert (data["crime_reference"], data["police_outcome"]) == ("EX/777/26", "charged")


def test_covered_claim_is_submitted_chased_and_paid(run: Runner) -> None:
    instance = claim(run)
    check = run.task("Check cover", instance_id=instance)
    assert check.role == INSURANCE_OFFICER and check.due_at == START + timedelta(days=7)
    run.do("Check cover", COVERED, instance_id=instance)
    run.do("Submit to insurer", SUBMITTED, instance_id=instance)
    run.wake_next(instance)  # 20 working days without a decision
    assert run.titles(instance_id=instance) == ["Chase the insurer"]
    run.do("Chase the insurer", {"chase_notes": "Decision expected next week."}, instance_id=instance)
    run.do("Record insurer decision", {"insurer_decision": "partly", "amount_agreed": 200}, instance_id=instance)
    run.do("Confirm payment", {"amount_paid": 200, "paid_on": "2026-04-20"}, instance_id=instance)
    data = run.service.instance_data(instance)
    assert (data["claim_status"], data["late_notification"]) == ("settled", False)


def test_declined_claim_ends_declined(run: Runner) -> None:
    instance = claim(run)
    run.do("Check cover", COVERED, instance_id=instance)
    run.do("Submit to insurer", SUBMITTED, instance_id=instance)
    run.do("Record insurer decision", {"insurer_decision": "declined"}, instance_id=instance)
    assert run.service.instance_data(instance)["claim_status"] == "declined"


def test_claim_not_covered_ends_with_the_reason(run: Runner) -> None:
    instance = claim(run, loss_date="2026-01-01")
    with pytest.raises(FormInvalid) as refused:
        run.do("Check cover", {**COVERED, "cover_decision": "not_covered"}, instance_id=instance)
    assert "cover_reason" in refused.value.errors
    run.do("Check cover", {**COVERED, "cover_decision": "not_covered", "cover_reason": "Private matter."},
           instance_id=instance)
    data = run.service.instance_data(instance)
    assert (data["claim_status"], data["late_notification"]) == ("not_covered", True)


def test_more_information_goes_back_to_the_councillor_then_to_check_cover(run: Runner) -> None:
    instance = claim(run)
    run.do("Check cover", {**COVERED, "cover_decision": "more_information", "information_needed": "A receipt."},
           instance_id=instance)
    task = run.task("Provide more information", instance_id=instance)
    assert task.assignee_id == run.people.councillor.id
    run.do("Provide more information", {"additional_information": "Receipt attached."}, instance_id=instance)
    assert run.titles(instance_id=instance) == ["Check cover"]


def test_unanswered_request_for_information_closes_the_claim_as_withdrawn(run: Runner) -> None:
    instance = claim(run)
    run.do("Check cover", {**COVERED, "cover_decision": "more_information", "information_needed": "A receipt."},
           instance_id=instance)
    run.wait(instance, timedelta(days=7, hours=1))
    assert run.titles(instance_id=instance) == ["Provide more information"]
    run.wait(instance, timedelta(days=7))
    assert run.service.instance_data(instance)["claim_status"] == "withdrawn"
    assert run.service.instance(instance).status == "completed"
