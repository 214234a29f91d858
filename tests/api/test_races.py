"""Many callers acting on the same task at the same moment: exactly one wins, the rest get 409 and
nothing is written twice. Fifty at once on PostgreSQL; a handful on SQLite, whose writers queue."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from sqlalchemy import func, select

from engine.models import AuditEvent, Task
from processes.roles import COUNCILLOR, SUPPORT_OFFICER


def callers(database) -> int:
    return 50 if database.url.get_backend_name() == "postgresql" else 6


def all_at_once(count: int, act: Callable[[int], int]) -> Counter[int]:
    """Run `act(i)` in `count` threads released together; the statuses they got."""
    start = threading.Barrier(count)
    statuses: list[int] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        start.wait()
        status = act(i)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(statuses)


def audited(workflow, action: str, task_id: str) -> int:
    with workflow.db.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == action, AuditEvent.task_id == task_id))


def test_only_one_of_many_simultaneous_completions_succeeds(app, workflow, database, person, open_case):
    officer = person(SUPPORT_OFFICER)
    case = open_case(person(COUNCILLOR))
    task_id = case.task_ids[0]
    assert app.test_client().post(f"/api/v1/tasks/{task_id}/claim", headers=officer.headers).status_code == 200
    count = callers(database)

    def complete(_i: int) -> int:
        return app.test_client().post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"severity": "low"}},
                                      headers=officer.headers).status_code

    assert all_at_once(count, complete) == Counter({200: 1, 409: count - 1})
    assert audited(workflow, "task.completed", task_id) == 1
    with workflow.db.read() as session:
        next_tasks = session.scalars(select(Task.title).where(Task.instance_id == case.instance_id,
                                                              Task.status == "open")).all()
    assert next_tasks == ["Review and close"]
    assert workflow.verify_audit().intact


def test_only_one_of_many_simultaneous_claims_succeeds(app, workflow, database, person, open_case):
    count = callers(database)
    officers = [person(SUPPORT_OFFICER) for _ in range(count)]
    task_id = open_case(person(COUNCILLOR)).task_ids[0]

    def claim(i: int) -> int:
        return app.test_client().post(f"/api/v1/tasks/{task_id}/claim", headers=officers[i].headers).status_code

    assert all_at_once(count, claim) == Counter({200: 1, 409: count - 1})
    assert audited(workflow, "task.claimed", task_id) == 1
