"""The audit log is a hash chain: a normal history verifies, and any edited, removed or reordered event is
found and named."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from engine.models import AuditEvent


@pytest.fixture
def history(service, deploy, officer, system):
    """Events 1-6: deployed, started, claimed, completed, claimed, completed (with an instance completed)."""
    deploy("simple.bpmn")
    started = service.start("simple", {"reported_by": "Cllr Example"}, system)
    triage = started.opened[0]
    service.claim(triage.id, officer)
    review = service.complete_task(triage.id, {"severity": "low"}, officer).opened[0]
    service.claim(review.id, officer)
    service.complete_task(review.id, {"note": "Closed"}, officer)
    return started


def test_a_normal_history_verifies(service, history, officer):
    report = service.verify_audit()
    assert report.intact
    assert report.events == 7
    events = service.history(instance_id=history.instance_id)
    assert [e.action for e in events] == ["instance.started", "task.claimed", "task.completed", "task.claimed",
                                          "task.completed", "instance.completed"]
    completed = events[2]
    assert completed.actor_id == officer.user_id
    assert completed.detail["data"] == {"severity": "low"}
    assert completed.detail["task"] == "triage"


def test_an_edited_event_is_detected_and_named(service, database, history):
    with database.write() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == 4)
                        .values(detail={"task": "triage", "data": {"severity": "high"}}))
    report = service.verify_audit()
    assert not report.intact
    assert report.broken_at == 4
    assert report.reason == "event 4 was changed after it was written"


def test_an_event_with_another_actor_is_detected(service, database, history):
    with database.write() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == 3).values(actor_id=None))
    assert service.verify_audit().broken_at == 3


def test_a_deleted_event_is_detected_and_named(service, database, history):
    with database.write() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.id == 3))
    report = service.verify_audit()
    assert report.broken_at == 3
    assert report.reason == "event 3 is missing"


def test_deleting_the_newest_events_is_detected(service, database, history):
    with database.write() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.id >= 6))
    report = service.verify_audit()
    assert report.broken_at == 6
    assert "missing" in report.reason


def test_reordered_events_are_detected_and_named(service, database, history):
    with database.write() as session:
        for old, new in ((3, 1000), (4, 3), (1000, 4)):
            session.execute(update(AuditEvent).where(AuditEvent.id == old).values(id=new))
    report = service.verify_audit()
    assert report.broken_at == 3
    assert report.reason == "event 3 does not follow event 2"


def test_a_rewritten_event_with_a_recomputed_hash_still_breaks_the_next_link(service, database, history):
    from engine.audit import _digest

    with database.write() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.id == 4))
        event.detail = {"task": "triage", "data": {"severity": "severe"}}
        event.hash = _digest(event)
    report = service.verify_audit()
    assert report.broken_at == 5
    assert report.reason == "event 5 does not follow event 4"
