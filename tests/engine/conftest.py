"""Fixtures for the engine's tests: the test diagrams and their forms, officers who hold roles, and a
diagram whose script and gateway condition each test chooses."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import func, select

from engine import people
from engine.db import Database
from engine.deployment import Deployed, Diagram
from engine.models import AuditEvent, Instance, Task
from engine.service import Actor, WorkflowService
from processes import CATALOGUE
from processes.roles import POLICE_LIAISON, SUPPORT_OFFICER

ENGINE_DIAGRAMS = Path(__file__).parent / "diagrams"
SHARED_DIAGRAMS = Path(__file__).parent.parent / "diagrams"


def read_forms(*folders: Path) -> dict[str, Any]:
    return {path.name: json.loads(path.read_text()) for folder in folders
            for path in sorted((folder / "forms").glob("*.json"))}


FORMS = read_forms(SHARED_DIAGRAMS, ENGINE_DIAGRAMS)


def diagram_file(name: str) -> Diagram:
    """A test diagram by file name, from this folder's diagrams or the shared ones."""
    for folder in (ENGINE_DIAGRAMS, SHARED_DIAGRAMS):
        path = folder / name
        if path.exists():
            return Diagram(name, path.read_bytes(), {})
    raise FileNotFoundError(name)


GUARDED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="guarded_definitions" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="guarded" name="Prepare, then a script decides" isExecutable="true">
    <bpmn:laneSet id="guarded_lanes">
      <bpmn:lane id="lane_support" name="Support officer">
        <bpmn:flowNodeRef>prepare</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>escalate</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>file_it</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="prepare" />
    <bpmn:userTask id="prepare" name="Prepare the case">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="note.schema.json" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="guarded_script" />
    <bpmn:scriptTask id="guarded_script" name="Decide">
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="guarded_script" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" name="Escalate?" default="f_file" />
    <bpmn:sequenceFlow id="f_escalate" sourceRef="gw" targetRef="escalate">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_file" sourceRef="gw" targetRef="file_it" />
    <bpmn:userTask id="escalate" name="Escalate">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="note.schema.json" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="file_it" name="File it">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="note.schema.json" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f4" sourceRef="escalate" targetRef="end" />
    <bpmn:sequenceFlow id="f5" sourceRef="file_it" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def guarded_diagram(script: str = "outcome = 'escalate' if note else 'file'",
                    condition: str = "outcome == 'escalate'") -> Diagram:
    """A user task, then a script task and a gateway condition written by the test."""
    content = GUARDED.format(script=escape(script), condition=escape(condition))
    return Diagram("guarded.bpmn", content.encode(), {})


@pytest.fixture
def deploy(service: WorkflowService, system: Actor) -> Callable[..., list[Deployed]]:
    """Deploy test diagrams (file names or Diagram objects) with every test form."""

    def _deploy(*diagrams: str | Diagram, forms: dict[str, Any] | None = None) -> list[Deployed]:
        chosen = [diagram_file(d) if isinstance(d, str) else d for d in diagrams]
        return service.deploy(chosen, FORMS if forms is None else forms, system)

    return _deploy


@pytest.fixture
def make_person(database: Database) -> Callable[..., Actor]:
    """Create a person holding the given roles and return them as an Actor."""
    count = 0

    def _make(*roles: str) -> Actor:
        nonlocal count
        count += 1
        with database.write() as session:
            user = people.create_user(session, email=f"person{count}@example.org", name=f"Person {count}",
                                      password=None, roles=roles, known_roles=CATALOGUE.roles)
            return Actor.of(user)

    return _make


@pytest.fixture
def officer(make_person: Callable[..., Actor]) -> Actor:
    return make_person(SUPPORT_OFFICER)


@pytest.fixture
def police_liaison(make_person: Callable[..., Actor]) -> Actor:
    return make_person(POLICE_LIAISON)


class Probe:
    """Reads what the engine wrote, straight from the tables, to check it."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def tasks(self, instance_id: int) -> list[Task]:
        with self.database.read() as session:
            return list(session.scalars(select(Task).where(Task.instance_id == instance_id)
                                        .order_by(Task.created_at, Task.spec_name)))

    def open_task(self, instance_id: int, spec_name: str | None = None) -> Task:
        rows = [r for r in self.tasks(instance_id)
                if r.status == "open" and (spec_name is None or r.spec_name == spec_name)]
        assert len(rows) == 1, f"expected one open task, found {[r.spec_name for r in rows]}"
        return rows[0]

    def actions(self, instance_id: int | None = None) -> list[str]:
        with self.database.read() as session:
            query = select(AuditEvent.action).order_by(AuditEvent.id)
            if instance_id is not None:
                query = query.where(AuditEvent.instance_id == instance_id)
            return list(session.scalars(query))

    def instance(self, instance_id: int) -> Instance:
        with self.database.read() as session:
            instance = session.get(Instance, instance_id)
            assert instance is not None
            return instance

    def snapshot(self, instance_id: int) -> dict[str, Any]:
        """Everything a failed write must leave as it was."""
        instance = self.instance(instance_id)
        with self.database.read() as session:
            events = session.scalar(select(func.count()).select_from(AuditEvent))
        return {"lock_version": instance.lock_version, "status": instance.status, "state": instance.state,
                "next_wake_at": instance.next_wake_at,
                "tasks": [(t.id, t.spec_name, t.status, t.assignee_id, t.completed_by_id)
                          for t in self.tasks(instance_id)],
                "audit_events": events}


@pytest.fixture
def probe(database: Database) -> Probe:
    return Probe(database)


@pytest.fixture
def guarded() -> Callable[..., Diagram]:
    return guarded_diagram


@pytest.fixture
def diagram() -> Callable[[str], Diagram]:
    return diagram_file


@pytest.fixture
def forms() -> dict[str, Any]:
    """Every test form, a copy the test may change."""
    return copy.deepcopy(FORMS)


@pytest.fixture
def shared_diagrams() -> Path:
    return SHARED_DIAGRAMS
