"""The audit log is a hash chain: a normal history verifies, and any edited, removed or reordered event is
found and named."""

from __future__ import annotations

import json

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
    assert completed.data == {"severity": "low"}
    assert completed.detail["task"] == "triage"


def test_an_edited_event_is_detected_and_named(service, database, history):
    with database.write() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == 4)
                        .values(detail={"task": "triage", "facts": {"severity": "high"}}))
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
        event.detail = {**event.detail, "task": "a task that never ran"}
        event.hash = _digest(event)
    report = service.verify_audit()
    assert report.broken_at == 5
    assert report.reason == "event 5 does not follow event 4"


def test_events_are_written_when_their_transaction_commits_and_never_if_it_rolls_back(service, database, history):
    from engine import audit

    before = service.verify_audit().events
    with pytest.raises(RuntimeError), database.write() as session:
        audit.append(session, "case.note_added", actor_id=None, detail={"note": "never saved"})
        raise RuntimeError("the change fails after the event was appended")
    assert service.verify_audit().events == before
    with database.write() as session:
        for number in range(3):
            audit.append(session, "case.note_added", actor_id=None, detail={"note": number})
    report = service.verify_audit()
    assert report.intact and report.events == before + 3
    notes = [e for e in service.history() if e.action == "case.note_added"]
    assert [e.detail["note"] for e in notes] == [0, 1, 2]
    assert [e.id for e in notes] == [before + 1, before + 2, before + 3]


def test_writers_at_the_same_moment_keep_one_unbroken_chain(service, database, deploy, officer, system):
    """Each transaction takes its place at the end of the chain as it commits; racing writers queue there
    instead of forking it."""
    from tests.engine.test_concurrency import race, second_service

    deploy("simple.bpmn")
    triages = [service.start("simple", {}, system).opened[0] for _ in range(6)]
    others = [second_service(database) for _ in range(3)]
    try:
        for round_start in range(0, 6, 3):
            calls = [lambda s=s, t=t: s.claim(t.id, officer)
                     for s, t in zip(others, triages[round_start:round_start + 3], strict=True)]
            results = race(*calls)
            assert not [r for r in results if isinstance(r, Exception)], results
    finally:
        for other in others:
            other.db.dispose()
    report = service.verify_audit()
    assert report.intact, report.reason
    assert report.events == 1 + 6 + 6  # deployed, six started, six claimed


def test_personal_data_is_kept_beside_the_chain_and_a_change_to_it_is_detected(service, database, history):
    from engine.models import AuditPayload

    events = service.history(instance_id=history.instance_id)
    assert "Closed" not in json.dumps([e.detail for e in events])  # the note is not in the chain
    completed = next(e for e in events if e.action == "task.completed")
    assert completed.data == {"severity": "low"}
    with database.write() as session:
        session.execute(update(AuditPayload).where(AuditPayload.event_id == completed.id)
                        .values(data={"severity": "high"}))
    report = service.verify_audit()
    assert (report.broken_at, report.reason) == (completed.id,
                                                  f"the personal data of event {completed.id} was changed")


def test_forgetting_a_cases_personal_data_leaves_the_chain_whole(service, database, history):
    from engine import audit

    case_id = service.history(instance_id=history.instance_id)[0].case_id
    with database.write() as session:
        assert audit.forget_personal(session, case_id=case_id) == 3  # the start and two completions
    assert all(e.data == {} for e in service.history(instance_id=history.instance_id))
    assert service.verify_audit().intact
