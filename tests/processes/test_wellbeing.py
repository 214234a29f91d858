"""Wellbeing: first contact, then check-ins at +7, +21 and every 28 days until support is no longer needed."""

from __future__ import annotations

from datetime import timedelta

from processes.roles import COUNCILLOR, WELLBEING_CHAMPION
from tests.processes.casework import START, Runner

FIRST_CONTACT = {"support_offered": ["mental_health_champion", "employee_assistance"],
                 "support_accepted": ["mental_health_champion"], "check_ins_wanted": "yes"}
DOING_WELL = {"wellbeing_score": 4, "call_me": "no", "keep_checking_in": "yes"}


def with_check_ins(run: Runner) -> int:
    case = run.report()
    instance = run.start("wellbeing", case.case_id).instance_id
    first = run.task("First contact", instance_id=instance)
    assert first.role == WELLBEING_CHAMPION and first.due_at == START + timedelta(days=2)
    run.do("First contact", FIRST_CONTACT, instance_id=instance)
    return instance


def test_first_contact_without_check_ins_ends_wellbeing_support(run: Runner) -> None:
    case = run.report()
    instance = run.start("wellbeing", case.case_id).instance_id
    run.do("First contact", {**FIRST_CONTACT, "check_ins_wanted": "no"}, instance_id=instance)
    assert run.service.instance(instance).status == "completed"


def test_check_ins_come_at_seven_and_twenty_one_days_then_every_twenty_eight(run: Runner) -> None:
    instance = with_check_ins(run)
    fired = []
    for _ in range(3):
        fired.append(run.wake_next(instance) - START)
        task = run.task("How are you doing?", instance_id=instance)
        assert task.role == COUNCILLOR and task.assignee_id == run.people.councillor.id
        run.do("How are you doing?", DOING_WELL, instance_id=instance)
    assert [d.days for d in fired] == [7, 21, 49]


def test_low_score_creates_an_urgent_call_for_the_champion(run: Runner) -> None:
    instance = with_check_ins(run)
    run.wake_next(instance)
    run.do("How are you doing?", {**DOING_WELL, "wellbeing_score": 2}, instance_id=instance)
    call = run.task("Call the councillor", instance_id=instance)
    assert call.role == WELLBEING_CHAMPION and call.due_at == START + timedelta(days=8, seconds=1)
    run.do("Call the councillor", {"support_still_needed": "yes"}, instance_id=instance)
    assert run.service.instance(instance).next_wake_at is not None


def test_asking_for_a_call_creates_a_call_and_no_further_support_ends(run: Runner) -> None:
    instance = with_check_ins(run)
    run.wake_next(instance)
    run.do("How are you doing?", {**DOING_WELL, "call_me": "yes"}, instance_id=instance)
    run.do("Call the councillor", {"support_still_needed": "no"}, instance_id=instance)
    assert run.service.instance(instance).status == "completed"


def test_no_answer_in_five_working_days_creates_a_phone_check_in(run: Runner) -> None:
    instance = with_check_ins(run)
    run.wake_next(instance)  # Monday 9 March: the check-in is sent
    run.wake_next(instance)  # Monday 16 March: five working days without an answer
    assert run.titles(instance_id=instance) == ["Check in by phone"]
    run.do("Check in by phone", {"reached": "yes", "support_still_needed": "yes"}, instance_id=instance)
    assert run.titles(instance_id=instance) == []
    assert run.service.instance(instance).next_wake_at is not None


def test_councillor_can_opt_out_of_check_ins(run: Runner) -> None:
    instance = with_check_ins(run)
    run.wake_next(instance)
    run.do("How are you doing?", {**DOING_WELL, "keep_checking_in": "no"}, instance_id=instance)
    assert run.service.instance(instance).status == "completed"


def test_support_is_reviewed_at_six_months(run: Runner) -> None:
    instance = with_check_ins(run)
    while run.titles(instance_id=instance) != ["Review wellbeing support"]:
        run.wake_next(instance)
        run.do("How are you doing?", DOING_WELL, instance_id=instance)
    run.do("Review wellbeing support", {"support_still_needed": "no"}, instance_id=instance)
    assert run.service.instance(instance).status == "completed"
