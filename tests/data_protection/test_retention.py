"""Retention: closed cases anonymised after the retention period, wellbeing notes deleted twelve months
after support ends, each run audited, and the audit chain still whole."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from engine.models import AuditEvent, AuditPayload, Case, Instance
from engine.retention import retention_summary, run_retention
from engine.service import Actor
from processes import briefing
from tests.processes.casework import Runner

SECRET = "The man from the bakery shouted at me."
NOTE = "Finding it hard to sleep since the meeting."


def closed_case(run: Runner) -> int:
    outcome = run.report(what_happened=SECRET)
    run.triage(outcome.case_id)
    run.do("Review and close", {"outcome_summary": "Account suspended.", "wellbeing_now": "not_applicable"},
           outcome.case_id)
    run.do("Confirm closure", {"closure_agreed": "yes"}, outcome.case_id)
    assert run.service.case("CS-2026-0001").status == "closed"
    return outcome.case_id


def stored_state(run: Runner, case_id: int) -> str:
    with run.service.db.read() as session:
        return json.dumps([i.state for i in session.scalars(select(Instance).where(Instance.case_id == case_id))])


def audit_log(run: Runner) -> str:
    """Everything the audit log holds: the chain's events and the personal data kept beside them."""
    with run.service.db.read() as session:
        return json.dumps([list(session.scalars(select(AuditEvent.detail))),
                           list(session.scalars(select(AuditPayload.data)))])


def figures_of_2026(run: Runner) -> tuple[dict[str, int], dict[str, int]]:
    with run.service.db.read() as session:
        found = briefing.figures(session, date(2026, 1, 1), date(2026, 12, 31))
    assert found.by_severity  # triaged, so there is something to keep
    return found.by_category, found.by_severity


def actions(run: Runner) -> list[str]:
    with run.service.db.read() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_closed_case_is_anonymised_only_after_six_years(run: Runner) -> None:
    case_id = closed_case(run)
    run.clock.move_to("2032-03-01T10:00:00+00:00")
    assert run_retention(run.service).anonymised == []
    assert SECRET in stored_state(run, case_id) and SECRET in audit_log(run)
    counted = figures_of_2026(run)
    run.clock.move_to("2032-03-02T10:00:01+00:00")
    report = run_retention(run.service)
    assert report.anonymised == ["CS-2026-0001"]
    assert SECRET not in stored_state(run, case_id)
    assert SECRET not in audit_log(run) and "Account suspended." not in audit_log(run)
    assert figures_of_2026(run) == counted  # the statistics still count the case's categories
    with run.service.db.read() as session:
        case = session.get(Case, case_id)
        assert (case.councillor_id, case.reported_by_id) == (None, None)
    assert actions(run)[-2:] == ["case.anonymised", "retention.ran"]
    assert run.service.verify_audit().intact
    # A second run finds nothing more to do, and says so in the log.
    assert run_retention(run.service).anonymised == []
    assert actions(run)[-1] == "retention.ran"


def test_retention_period_is_the_councils_setting(run: Runner) -> None:
    run.service.change_setting("closed_case_retention_years", 2, Actor.system())
    run.service.change_setting("wellbeing_notes_retention_months", 18, Actor.system())
    assert retention_summary(run.service) == {"closed_case_retention_years": 2,
                                              "wellbeing_notes_retention_months": 18}
    closed_case(run)
    run.clock.move_to("2028-03-02T10:00:01+00:00")
    assert run_retention(run.service).anonymised == ["CS-2026-0001"]


def test_open_case_is_never_anonymised(run: Runner) -> None:
    outcome = run.report(what_happened=SECRET)
    run.clock.shift(timedelta(days=365 * 10))
    assert run_retention(run.service).anonymised == []
    assert SECRET in stored_state(run, outcome.case_id)


def wellbeing_case(run: Runner) -> int:
    outcome = run.report(wellbeing_support="yes", what_happened=SECRET)
    run.triage(outcome.case_id)
    run.do("First contact", {"support_offered": ["peer_support"], "support_accepted": ["peer_support"],
                             "wellbeing_notes": NOTE, "check_ins_wanted": "no"}, outcome.case_id)
    return outcome.case_id


def test_wellbeing_notes_are_deleted_twelve_months_after_support_ends(run: Runner) -> None:
    case_id = wellbeing_case(run)
    assert NOTE in stored_state(run, case_id) and NOTE in audit_log(run)
    run.clock.shift(timedelta(days=360))
    assert run_retention(run.service).wellbeing_notes_deleted == []
    run.clock.shift(timedelta(days=10))
    assert run_retention(run.service).wellbeing_notes_deleted == ["CS-2026-0001"]
    state = stored_state(run, case_id)
    assert NOTE not in state and "peer_support" not in state  # field names may stay; the answers go
    assert SECRET in state  # the rest of the case stays until the case's own retention period
    assert NOTE not in audit_log(run) and SECRET in audit_log(run)
    assert "case.wellbeing_notes_deleted" in actions(run)
    assert run.service.verify_audit().intact
    # The case still works after the deletion: the support officer can close it.
    run.do("Review and close", {"outcome_summary": "Done.", "wellbeing_now": "not_applicable"}, case_id)


def test_wellbeing_notes_stay_while_support_continues(run: Runner) -> None:
    outcome = run.report(wellbeing_support="yes")
    run.triage(outcome.case_id)
    run.do("First contact", {"support_offered": ["peer_support"], "wellbeing_notes": NOTE,
                             "check_ins_wanted": "yes"}, outcome.case_id)
    run.clock.shift(timedelta(days=400))
    assert run_retention(run.service).wellbeing_notes_deleted == []
    assert NOTE in stored_state(run, outcome.case_id)

