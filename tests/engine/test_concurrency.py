"""Two people acting on the same case at the same moment: exactly one write wins, the other gets a
Conflict it can retry, and nothing is half-written or written twice."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from engine.db import Database
from engine.errors import Conflict
from engine.service import WorkflowService
from processes import CATALOGUE

ROUNDS = 3


def second_service(database: Database) -> WorkflowService:
    """Another service with its own connections, like a second web worker."""
    return WorkflowService(Database(database.url.render_as_string(hide_password=False)), CATALOGUE)


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; each result is a return value or the exception raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait(timeout=10)
        try:
            results[index] = call()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def conflicts(results: list[Any]) -> list[Conflict]:
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, Conflict)]
    assert not unexpected, unexpected
    return [r for r in results if isinstance(r, Conflict)]


def test_the_same_task_completed_twice_at_once_is_completed_once(service, database, deploy, officer, probe, system):
    deploy("simple.bpmn")
    other = second_service(database)
    try:
        for _ in range(ROUNDS):
            started = service.start("simple", {}, system)
            triage = started.opened[0]
            service.claim(triage.id, officer)
            version = probe.instance(started.instance_id).lock_version

            results = race(lambda s=service, t=triage: s.complete_task(t.id, {"severity": "low"}, officer),
                           lambda s=other, t=triage: s.complete_task(t.id, {"severity": "high"}, officer))

            assert len(conflicts(results)) == 1
            assert probe.actions(started.instance_id).count("task.completed") == 1
            winner = next(r for r in results if not isinstance(r, Exception))
            [next_task] = winner.opened
            assert probe.open_task(started.instance_id).id == next_task.id
            assert probe.instance(started.instance_id).lock_version == version + 1
    finally:
        other.db.dispose()


def test_only_one_of_two_officers_claiming_a_task_at_once_gets_it(service, database, deploy, make_person, probe,
                                                                     system):
    deploy("simple.bpmn")
    other = second_service(database)
    first, second = make_person("support-officer"), make_person("support-officer")
    try:
        for _ in range(ROUNDS):
            triage = service.start("simple", {}, system).opened[0]

            results = race(lambda t=triage: service.claim(t.id, first), lambda t=triage: other.claim(t.id, second))

            assert len(conflicts(results)) == 1
            winner = next(r for r in results if not isinstance(r, Exception))
            assert probe.open_task(triage.instance_id).assignee_id == winner.assignee_id
            assert winner.assignee_id in (first.user_id, second.user_id)
            assert probe.actions(triage.instance_id).count("task.claimed") == 1
    finally:
        other.db.dispose()


def test_two_tasks_of_one_instance_completed_at_once_lose_no_update(service, database, deploy, officer, probe,
                                                                      system):
    """Different tasks do not lock each other, so the instance's lock version decides. On PostgreSQL both
    writers load the same version before either saves; SQLite lets one writer in at a time."""
    deploy("parallel.bpmn")
    started = service.start("parallel", {}, system)
    police, wellbeing = sorted(started.opened, key=lambda t: t.spec_name)
    for task in (police, wellbeing):
        service.claim(task.id, officer)
    other = second_service(database)
    if not database.is_sqlite:
        loaded = threading.Barrier(2)
        for each in (service, other):
            _pause_after_loading(each, loaded)
    try:
        results = race(lambda: service.complete_task(police.id, {"note": "Crime number 123"}, officer),
                       lambda: other.complete_task(wellbeing.id, {"note": "Feeling safer"}, officer))
        lost = conflicts(results)
        if database.is_sqlite:
            assert lost == []
        else:
            assert len(lost) == 1
            retry = police if isinstance(results[0], Conflict) else wellbeing
            second_service(database).complete_task(retry.id, {"note": "Tried again"}, officer)
    finally:
        other.db.dispose()

    rows = {r.spec_name: r.status for r in probe.tasks(started.instance_id)}
    assert rows == {"check_police": "completed", "check_wellbeing": "completed", "summarise": "open"}
    assert probe.actions(started.instance_id).count("task.completed") == 2


def _pause_after_loading(service: WorkflowService, barrier: threading.Barrier) -> None:
    load = service._load

    def load_then_wait(*args: Any) -> Any:
        workflow = load(*args)
        barrier.wait(timeout=10)
        return workflow

    service._load = load_then_wait  # type: ignore[method-assign]


def test_a_stale_instance_write_raises_conflict_and_changes_nothing(service, deploy, officer, probe, system,
                                                                     monkeypatch):
    deploy("simple.bpmn")
    started = service.start("simple", {}, system)
    triage = started.opened[0]
    service.claim(triage.id, officer)
    before = probe.snapshot(started.instance_id)
    load = service._load

    def load_then_someone_else_saves(session: Any, instance: Any, runtime: Any) -> Any:
        workflow = load(session, instance, runtime)
        # Another writer saves this instance after we loaded it.
        session.execute(text("UPDATE instances SET lock_version = lock_version + 1 WHERE id = :id"),
                        {"id": instance.id})
        return workflow

    monkeypatch.setattr(service, "_load", load_then_someone_else_saves)
    with pytest.raises(Conflict) as lost:
        service.complete_task(triage.id, {"severity": "low"}, officer)
    assert "Reload" in lost.value.message
    assert probe.snapshot(started.instance_id) == before

    monkeypatch.undo()
    assert service.complete_task(triage.id, {"severity": "low"}, officer).opened[0].spec_name == "review"
