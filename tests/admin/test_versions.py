"""Versions and migration: what changed between two versions, and moving running instances safely."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from engine import versions
from engine.models import AuditEvent, Instance, ProcessModelVersion, Task

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _ids(elements: list[versions.ElementChange]) -> list[str]:
    return [e.element_id for e in elements]


def test_version_diff_lists_added_removed_and_changed_elements(service, deploy):
    deploy("v1")
    deploy("v2")
    with service.db.read() as session:
        diff = versions.diff_versions(session, "casework", 1, 2)
    assert _ids(diff.added) == ["safety_plan"]
    assert _ids(diff.removed) == ["refer", "refer_overdue"]
    changed = {e.element_id: e for e in diff.changed}
    assert "name" in changed["review"].changes
    assert changed["review"].name == "Review the case and close it"
    assert "conditions" in changed["gw"].changes
    assert "triage" not in changed


def test_versions_are_listed_newest_first_with_their_running_instances(service, deploy, start_at):
    deploy("v1")
    start_at("triage")
    deploy("v2")
    listed = versions.process_versions(service)["casework"]
    assert [(v.version, v.running) for v in listed] == [(2, 0), (1, 1)]


def test_dry_run_says_which_instances_can_move_and_why_not(service, deploy, start_at):
    deploy("v1")
    at_triage = start_at("triage").instance_id
    at_review = start_at("review").instance_id
    at_refer = start_at("refer").instance_id
    deploy("v2")
    plan = versions.plan_migration(service, "casework", 2, from_version=1)
    assert [c.instance_id for c in plan.movable] == [at_triage, at_review]
    (refused,) = plan.refused
    assert refused.instance_id == at_refer
    assert refused.reasons == ["The task 'Refer to police' it is waiting at was removed.",
                               "The event 'refer_overdue' it is waiting for was removed."]
    with service.db.read() as session:
        assert {i.model_version_id for i in session.scalars(select(Instance))} == {
            session.scalar(select(ProcessModelVersion.id).where(ProcessModelVersion.version == 1))}


def test_migration_moves_the_movable_and_leaves_the_refused_untouched(service, deploy, start_at, system, complete):
    deploy("v1")
    at_triage = start_at("triage")
    at_review = start_at("review")
    at_refer = start_at("refer").instance_id
    with service.db.read() as session:
        before = session.get(Instance, at_refer)
        refused_lock, refused_state = before.lock_version, before.state
    deploy("v2")

    result = versions.migrate(service, "casework", 2, system, instance_ids=[at_triage.instance_id,
                                                                            at_review.instance_id, at_refer])

    assert [c.instance_id for c in result.moved] == [at_triage.instance_id, at_review.instance_id]
    assert [c.instance_id for c in result.refused] == [at_refer]
    with service.db.read() as session:
        v2 = session.scalar(select(ProcessModelVersion).where(ProcessModelVersion.version == 2))
        refused = session.get(Instance, at_refer)
        assert (refused.lock_version, refused.state) == (refused_lock, refused_state)
        assert session.get(Instance, at_review.instance_id).model_version_id == v2.id
        review_row = session.get(Task, at_review.opened[0].id)
        assert (review_row.status, review_row.title) == ("open", "Review the case and close it")
        migrated = session.scalars(select(AuditEvent.instance_id).where(
            AuditEvent.action == "instance.migrated")).all()
        assert sorted(migrated) == [at_triage.instance_id, at_review.instance_id]
    # The moved instance now follows the new diagram: high severity goes to the new safety plan task.
    outcome = complete(at_triage, {"severity": "high"})
    assert [t.spec_name for t in outcome.opened] == ["safety_plan"]
    assert service.verify_audit().intact


def test_a_running_timer_keeps_its_due_time_when_its_instance_moves(service, deploy, start_at, system):
    with time_machine.travel(START, tick=False):
        deploy("v1")
        at_refer = start_at("refer").instance_id
        deploy("v1b")  # the review task is renamed, and the refer timer changed
        deploy("v1")  # back to the original timer: version 3
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        result = versions.migrate(service, "casework", 3, system, from_version=1)
    assert [c.instance_id for c in result.moved] == [at_refer]
    view = versions.instance_view(service, at_refer)
    (timer,) = view.waiting
    assert (timer.element_id, timer.due_at) == ("refer_overdue", START + timedelta(hours=4))
    assert service.instance(at_refer).next_wake_at == START + timedelta(hours=4)


def test_instance_view_shows_where_the_instance_is_without_case_data(service, deploy, start_at):
    with time_machine.travel(START, tick=False):
        deploy("v1")
        at_refer = start_at("refer").instance_id
    view = versions.instance_view(service, at_refer)
    assert view.version == 1 and "<bpmn:definitions" in view.bpmn_xml
    assert {"start", "triage", "gw"} <= set(view.completed)
    assert view.current == ["refer"]
    assert [(w.element_id, w.due_at) for w in view.waiting] == [("refer_overdue", START + timedelta(hours=4))]
    assert not hasattr(view, "data")


def test_an_instance_already_on_the_version_is_not_moved_again(service, deploy, start_at, system):
    deploy("v1")
    deploy("v2")
    instance_id = start_at("triage").instance_id
    plan = versions.plan_migration(service, "casework", 2, instance_ids=[instance_id])
    assert plan.refused[0].reasons == ["It is already on version 2."]

