"""What an inbox reads, in one go: tab counts, a page of tasks with their case references, and process
names that follow every deploy; and the caller's own need-to-know rule checked inside a write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from engine import directory
from engine.errors import Conflict, NotFound
from engine.models import Case
from engine.service import TaskQuery
from processes.roles import SUPPORT_OFFICER, WELLBEING_CHAMPION


@contextmanager
def statements_run(database) -> Iterator[list[tuple[str, object]]]:
    """Each statement sent to the database inside the block, with its parameters."""
    sent: list[tuple[str, object]] = []

    def seen(_conn, _cursor, statement, parameters, _context, _many):
        sent.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(database.engine, "before_cursor_execute", seen)


def test_an_inbox_view_agrees_with_itself_and_sees_each_commit(service, database, deploy, officer, system):
    deploy("simple.bpmn")
    opened = [service.open_case({}, councillor_id=None, actor=system, process_id="simple") for _ in range(3)]
    service.claim(opened[0].opened[0].id, officer)

    view = service.inbox(TaskQuery(scope="claimable", per_page=2), officer, ["mine", "claimable", "all"])
    assert view.counts == {"mine": 1, "claimable": 2, "all": 3}
    assert view.page.total == 2 and len(view.page.tasks) == 2
    with database.read() as session:
        references = {c.id: c.reference for c in session.scalars(select(Case))}
    assert view.page.references == {t.case_id: references[t.case_id] for t in view.page.tasks}
    assert view.process_names == {"simple": "Simple triage"}

    service.claim(opened[1].opened[0].id, officer)  # committed between two page views: the next one shows it
    again = service.inbox(TaskQuery(scope="mine"), officer, ["mine", "claimable", "all"])
    assert again.counts == {"mine": 2, "claimable": 1, "all": 3}
    assert {t.id for t in again.page.tasks} == {opened[0].opened[0].id, opened[1].opened[0].id}


def test_tab_counts_take_two_statements_and_an_unfiltered_page_reuses_its_tabs_count(
        service, database, deploy, officer, system):
    # "mine" is one count; "claimable" and "all" share one read of the role index. A filtered page counts
    # itself, since its total is not its tab's.
    deploy("simple.bpmn")
    opened = [service.open_case({}, councillor_id=None, actor=system, process_id="simple") for _ in range(3)]
    counts = lambda sent: [s for s, _ in sent if "count(*)" in s.lower()]  # noqa: E731
    with statements_run(database) as sent:
        view = service.inbox(TaskQuery(scope="all", per_page=2), officer, ["mine", "claimable", "all"])
    assert (view.counts["all"], view.page.total, len(view.page.tasks), len(counts(sent))) == (3, 3, 2, 2)
    with statements_run(database) as sent:
        one_case = service.inbox(TaskQuery(scope="all", case_id=opened[1].case_id), officer,
                                 ["mine", "claimable", "all"])
    assert (one_case.counts["all"], one_case.page.total, len(counts(sent))) == (3, 1, 3)


def test_the_signed_in_person_and_their_roles_are_read_in_one_statement(database, make_person):
    # Every signed-in page starts by reading its person; their roles come with them, not in a second read.
    lead = make_person(SUPPORT_OFFICER, WELLBEING_CHAMPION)
    with statements_run(database) as sent:
        person = directory.user(database, lead.user_id)
    assert sorted(person.role_slugs) == sorted([SUPPORT_OFFICER, WELLBEING_CHAMPION])
    selects = [s for s, _ in sent if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, selects


def test_process_names_follow_a_new_deploy_at_once(service, deploy, diagram, system):
    deploy("simple.bpmn")
    assert service.process_names() == {"simple": "Simple triage"}
    renamed = diagram("simple.bpmn")
    content = renamed.content.replace(b'name="Simple triage"', b'name="Simple triage, renamed"')
    assert content != renamed.content
    deploy(type(renamed)(renamed.filename, content, {}))
    assert service.process_names() == {"simple": "Simple triage, renamed"}


def test_a_task_the_callers_own_rule_hides_is_not_found_and_unchanged(service, deploy, officer, system, probe):
    deploy("simple.bpmn")
    started = service.start("simple", {}, system)
    triage = started.opened[0]
    before = probe.snapshot(started.instance_id)
    hidden = lambda row: False  # noqa: E731
    with pytest.raises(NotFound):
        service.claim(triage.id, officer, visible=hidden)
    service.claim(triage.id, officer)
    with pytest.raises(NotFound):
        service.complete_task(triage.id, {"severity": "low"}, officer, visible=hidden)
    with pytest.raises(NotFound):
        service.unclaim(triage.id, officer, visible=hidden)
    assert probe.snapshot(started.instance_id)["state"] == before["state"]
    service.complete_task(triage.id, {"severity": "low"}, officer, visible=lambda row: True)
    with pytest.raises(Conflict):
        service.complete_task(triage.id, {"severity": "low"}, officer, visible=lambda row: True)


def test_a_page_lists_the_soonest_due_first_and_tasks_without_a_deadline_last(service, database, deploy, officer,
                                                                               system):
    from datetime import UTC, datetime

    from sqlalchemy import update

    from engine.models import Task

    deploy("simple.bpmn")
    ids = [service.start("simple", {}, system).opened[0].id for _ in range(4)]
    due = {ids[0]: None, ids[1]: datetime(2026, 5, 1, tzinfo=UTC), ids[2]: datetime(2026, 3, 1, tzinfo=UTC),
           ids[3]: None}
    with database.write() as session:
        for task_id, at in due.items():
            session.execute(update(Task).where(Task.id == task_id).values(due_at=at))
    listed = [t.id for t in service.tasks(TaskQuery(scope="claimable"), officer).tasks]
    assert listed[:2] == [ids[2], ids[1]]
    assert set(listed[2:]) == {ids[0], ids[3]}
    first_page = service.tasks(TaskQuery(scope="claimable", per_page=3), officer).tasks
    assert [t.id for t in first_page][:2] == [ids[2], ids[1]] and first_page[2].due_at is None


@pytest.mark.parametrize("scope", ["all", "claimable"])
def test_a_person_with_two_roles_pages_through_both_in_one_due_order(service, database, deploy, make_person, system,
                                                                     scope):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from engine.models import Task
    from processes.roles import POLICE_LIAISON, SUPPORT_OFFICER

    lead = make_person(SUPPORT_OFFICER, POLICE_LIAISON)
    deploy("simple.bpmn")
    ids = [service.start("simple", {}, system).opened[0].id for _ in range(9)]
    start = datetime(2026, 3, 1, tzinfo=UTC)
    with database.write() as session:  # the roles' deadlines interleave; a third have none; one is claimed
        for n, task_id in enumerate(ids):
            session.execute(update(Task).where(Task.id == task_id).values(
                role=[SUPPORT_OFFICER, POLICE_LIAISON][n % 2],
                due_at=None if n % 3 == 2 else start + timedelta(days=9 - n),
                assignee_id=lead.user_id if n == 4 else None))
        rows = session.scalars(select(Task).where(Task.id.in_(ids))).all()
        expected = [t.id for t in sorted(rows, key=lambda t: (t.due_at is None, t.due_at or start, t.created_at))
                    if scope == "all" or t.assignee_id is None]
    pages = [service.tasks(TaskQuery(scope=scope, page=page, per_page=2), lead) for page in range(1, 6)]
    listed = [t.id for page in pages for t in page.tasks]
    assert pages[0].total == len(expected) == (9 if scope == "all" else 8)
    # Ties in (deadline, created) may come in either order; the deadlines themselves may not.
    due = {t.id: t.due_at for page in pages for t in page.tasks}
    assert sorted(listed) == sorted(expected)
    assert [due[i] for i in listed] == [due[i] for i in expected]


@pytest.mark.parametrize("scope", ["mine", "claimable", "all"])
def test_each_tab_is_read_off_an_index_in_due_order_on_postgresql(service, database, deploy, make_person, system,
                                                                  scope):
    # A sort, or a filter after the index, would read every open task of the tab's roles to show a page of
    # them; reading only the page's rows is what keeps a page the same cost at a hundred thousand cases as at ten.
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite sorts tasks without a deadline first, so its order is said with an expression "
                    "that no index holds; the PostgreSQL plan is the one that must avoid the sort")
    from processes.roles import POLICE_LIAISON, SUPPORT_OFFICER

    lead = make_person(SUPPORT_OFFICER, POLICE_LIAISON)
    deploy("simple.bpmn")
    for _ in range(3):
        service.start("simple", {}, system)
    with statements_run(database) as sent:
        service.tasks(TaskQuery(scope=scope), lead)
    [(statement, parameters)] = [(s, p) for s, p in sent if "ORDER BY" in s]
    with database.engine.connect() as connection:
        cursor = connection.connection.cursor()
        cursor.execute("SET enable_seqscan = off")  # the test's few rows would make any plan cheap
        cursor.execute("SET enable_sort = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        plan = cursor.fetchone()[0]
    nodes = list(_nodes(plan[0]["Plan"]))
    # Neither sorted nor filtered after reading: the index gives exactly the page's rows, in order.
    assert [n["Node Type"] for n in nodes if n["Node Type"] == "Sort" or "Filter" in n] == [], plan


def _nodes(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)
