"""Fixtures for running the council's processes end to end, and the check that the tests together take
every sequence flow in every diagram (see flow_coverage.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from engine.models import Instance
from engine.service import WorkflowService
from processes import DIAGRAMS
from tests.processes.casework import START, People, Runner, create_people
from tests.processes.flow_coverage import finish, record, start


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def deployed(service: WorkflowService, clock: time_machine.Coordinates,
             request: pytest.FixtureRequest) -> Iterator[WorkflowService]:
    """The service with bpmn/ deployed; afterwards, the flows the test took are recorded."""
    service.deploy_folder(DIAGRAMS)
    yield service
    with service.db.read() as session:
        states = [(i.process_id, i.state) for i in session.scalars(select(Instance))]
    record(request.config, DIAGRAMS, states)


@pytest.fixture
def people(deployed: WorkflowService) -> People:
    return create_people(deployed)


@pytest.fixture
def run(deployed: WorkflowService, people: People, clock: time_machine.Coordinates) -> Runner:
    return Runner(deployed, people, clock)


# --- flow coverage -----------------------------------------------------------------------------------

def pytest_sessionstart(session: pytest.Session) -> None:
    start(session.config)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    finish(session, Path(__file__).parent, DIAGRAMS)
