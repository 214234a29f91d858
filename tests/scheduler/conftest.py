"""Fixtures for the scheduler's tests: small diagrams with every kind of timer, a service task that fails
on demand, people to email, and a real SMTP server on loopback that keeps what it receives."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller

from engine.catalogue import ServiceCall
from engine.db import Database
from engine.people import create_user
from engine.scheduler import TimerScheduler
from engine.service import WorkflowService
from processes import CATALOGUE

DIAGRAMS = Path(__file__).parent / "diagrams"
# A Monday morning in November: a working day, away from bank holidays and clock changes.
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class OutsideService:
    """What the `flaky` service task calls: fails while `failures_left` > 0, then answers."""

    def __init__(self) -> None:
        self.failures_left = 0
        self.calls = 0

    def __call__(self, call: ServiceCall) -> dict[str, Any]:
        self.calls += 1
        if self.failures_left > 0:
            self.failures_left -= 1
            raise ConnectionError("the outside service did not answer")
        return {"answered": True}


@pytest.fixture
def outside() -> OutsideService:
    return OutsideService()


def make_service(database: Database, outside: OutsideService) -> WorkflowService:
    catalogue = dataclasses.replace(CATALOGUE, handlers={**CATALOGUE.handlers, "flaky": outside})
    return WorkflowService(database, catalogue)


@pytest.fixture
def restart(database: Database, outside: OutsideService) -> Callable[..., WorkflowService]:
    """A fresh service over the same database (or another connection to it), as after a restart."""

    def fresh(over: Database | None = None) -> WorkflowService:
        return make_service(over or database, outside)

    return fresh


@pytest.fixture
def workflows(database: Database, outside: OutsideService) -> WorkflowService:
    """A service with the scheduler test diagrams deployed."""
    service = make_service(database, outside)
    with time_machine.travel(MONDAY, tick=False):
        service.deploy_folder(DIAGRAMS)
    return service


@pytest.fixture
def officer(workflows: WorkflowService) -> int:
    with workflows.db.write() as session:
        return create_user(session, email="officer@council.example", name="Sam Officer", password=None,
                           roles=["support-officer"], known_roles=CATALOGUE.roles).id


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """A real SMTP server on loopback; SMTP_URL points at it for the test."""
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("PUBLIC_URL", "https://support.council.example")
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def scheduler(workflows: WorkflowService) -> Iterator[TimerScheduler]:
    timers = TimerScheduler(workflows, safety_poll_seconds=0.2)
    yield timers
    timers.shutdown()
