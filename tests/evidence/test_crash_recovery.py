"""A real server process, killed with SIGKILL in the middle of a stream of claims and completions, then
started again: every completion it acknowledged is there with its audit event, nothing is half-written
(each case's workflow state, open tasks and audit trail agree), the audit chain verifies with
`councillor-support verify-audit`, and the restarted server carries on where the killed one stopped."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.db import Database
from engine.models import AuditEvent, Instance, Task
from engine.service import WorkflowService
from processes import CATALOGUE
from processes.roles import COUNCILLOR, SUPPORT_OFFICER
from tests.evidence.conftest import TEST_DIAGRAMS, Person, make_person, open_simple_case

CLI = str(Path(sys.executable).with_name("councillor-support"))
CASES = 40
WORKERS = 4
KILL_AFTER = 12  # acknowledged completions before the kill: well inside the stream
TRIAGED = {"severity": "low"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`councillor-support serve` in its own process over the test database."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "crash-test", "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([CLI, "serve", "--port", str(self.port)], env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        # Drain its output all the time: a full pipe would stall the server.
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_until_ready(self) -> None:
        """Until the server says it is listening, then until /healthz answers (a bounded number of tries)."""
        while True:
            try:
                line = self.lines.get(timeout=60)
            except queue.Empty:
                pytest.fail("The server did not start listening:\n" + "".join(self.output))
            if "Running on" in line:
                break
        for _attempt in range(50):
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1) as response:
                    if json.load(response)["database"] == "ok":
                        return
            except OSError:
                continue
        pytest.fail("The server never answered /healthz:\n" + "".join(self.output))

    def post(self, path: str, token: str, body: dict | None = None) -> int:
        """The status of a POST; raises OSError if there was no answer (the server is gone)."""
        request = urllib.request.Request(
            self.base + path, data=json.dumps(body or {}).encode(), method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Stream:
    """What the clients saw: which claims and completions the server acknowledged, and which got no answer."""

    claimed: set[str] = field(default_factory=set)
    completed: set[str] = field(default_factory=set)
    unanswered: set[str] = field(default_factory=set)
    unexpected: list[tuple[str, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)


def work_through(server: Server, officer: Person, task_ids: list[str], stream: Stream) -> None:
    """Claim and complete each task, from several clients at once, until the queue is empty or the server
    stops answering."""
    todo: queue.Queue[str] = queue.Queue()
    for task_id in task_ids:
        todo.put(task_id)

    def client() -> None:
        while True:
            try:
                task_id = todo.get_nowait()
            except queue.Empty:
                return
            for step, body, done in (("claim", None, stream.claimed), ("complete", {"data": TRIAGED},
                                                                      stream.completed)):
                try:
                    status = server.post(f"/api/v1/tasks/{task_id}/{step}", officer.token, body)
                except OSError:
                    with stream.lock:
                        stream.unanswered.add(task_id)
                    return
                with stream.lock:
                    if status != 200:
                        stream.unexpected.append((task_id, step, status))
                        break
                    done.add(task_id)
                    if len(stream.completed) >= KILL_AFTER:
                        stream.enough.set()

    threads = [threading.Thread(target=client) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    stream.enough.wait(timeout=300)
    server.kill()
    for thread in threads:
        thread.join(timeout=120)


@pytest.fixture
def servers(database: Database) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def verify_audit(database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, "verify-audit"], env={**os.environ, "DATABASE_URL": database_url,
                                                      "SECRET_KEY": "crash-test"},
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_killed_server_loses_no_acknowledged_completion_and_half_writes_nothing(database, servers):
    url = database.url.render_as_string(hide_password=False)
    workflow = WorkflowService(database, CATALOGUE)
    workflow.deploy_folder(TEST_DIAGRAMS)
    councillor = make_person(workflow, COUNCILLOR, "councillor@example.org")
    officer = make_person(workflow, SUPPORT_OFFICER, "officer@example.org")
    triage = {open_simple_case(workflow, councillor).opened[0].id for _ in range(CASES)}

    first = Server(url)
    servers.append(first)
    first.wait_until_ready()
    stream = Stream()
    work_through(first, officer, sorted(triage), stream)
    assert first.process.returncode == -signal.SIGKILL
    assert not stream.unexpected, stream.unexpected
    # The kill came in the middle: some completions were acknowledged, and some work was never done.
    assert KILL_AFTER <= len(stream.completed) < CASES

    again = Server(url)
    servers.append(again)
    again.wait_until_ready()

    with database.read() as session:
        rows = {row.id: row for row in session.scalars(select(Task))}
        completions = Counter(session.scalars(select(AuditEvent.task_id)
                                              .where(AuditEvent.action == "task.completed")))
        claims = Counter(session.scalars(select(AuditEvent.task_id).where(AuditEvent.action == "task.claimed")))
        instances = {instance.id: instance for instance in session.scalars(select(Instance))}

    # Every acknowledged claim and completion is there.
    for task_id in stream.claimed:
        assert rows[task_id].assignee_id == officer.user_id and claims[task_id] == 1
    for task_id in stream.completed:
        assert rows[task_id].status == "completed" and rows[task_id].completed_by_id == officer.user_id
    # Nothing is half-written: a task is completed exactly when its completion is audited once, and each
    # case's workflow state agrees with its open tasks.
    assert {t for t, row in rows.items() if row.status == "completed"} == set(completions)
    assert set(completions.values()) <= {1}
    assert len(instances) == CASES
    for instance_id, instance in instances.items():
        data = workflow.instance_data(instance_id)
        mine = [row for row in rows.values() if row.instance_id == instance_id]
        (first_task,) = [row for row in mine if row.id in triage]
        open_now = sorted(row.spec_name for row in mine if row.status == "open")
        assert instance.status == "running"
        if first_task.status == "completed":
            assert data["severity"] == "low" and open_now == ["review"], (instance_id, data, open_now)
        else:
            assert "severity" not in data and open_now == ["triage"], (instance_id, data, open_now)

    # The restarted server carries on: a case the kill interrupted moves on, and a triaged one closes.
    waiting = next(t for t in sorted(triage) if rows[t].status == "open")
    assert again.post(f"/api/v1/tasks/{waiting}/claim", officer.token) == 200
    assert again.post(f"/api/v1/tasks/{waiting}/complete", officer.token, {"data": TRIAGED}) == 200
    review = next(row for row in rows.values() if row.spec_name == "review" and row.status == "open")
    assert again.post(f"/api/v1/tasks/{review.id}/claim", officer.token) == 200
    assert again.post(f"/api/v1/tasks/{review.id}/complete", officer.token, {"data": {"note": "Closed"}}) == 200
    assert workflow.instance(review.instance_id).status == "completed"

    checked = verify_audit(url)
    assert checked.returncode == 0, checked.stderr
    assert "The audit chain is intact" in checked.stdout
