"""Email goes through the outbox: written with the change, sent once over SMTP, never with case details."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
import time_machine
from sqlalchemy import select

from engine import outbox
from engine.mail import LogTransport
from engine.models import Case, OutboxMessage
from engine.outbox import LinkInvalid, signed_link, verify_link
from engine.scheduler import TimerScheduler
from engine.service import Actor, WorkflowService

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
DETAILS = "A man shouted threats at me outside the library on Friday"


def report(workflows: WorkflowService, process_id: str = "interrupting") -> str:
    with time_machine.travel(MONDAY, tick=False):
        outcome = workflows.open_case({"details": DETAILS}, councillor_id=None, actor=Actor.system(),
                                      process_id=process_id)
    with workflows.db.read() as session:
        return session.get(Case, outcome.case_id).reference


def messages(workflows: WorkflowService) -> list[OutboxMessage]:
    with workflows.db.read() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_new_task_emails_the_role_a_reference_and_a_link_but_no_case_details(
        workflows: WorkflowService, officer: int, mailbox, scheduler: TimerScheduler) -> None:
    reference = report(workflows)
    with time_machine.travel(MONDAY + timedelta(seconds=5), tick=False):
        assert scheduler.send_mail() == 1
    [received] = mailbox.messages
    assert received["To"] == "officer@council.example"
    assert reference in received["Subject"]
    body = received.get_payload(decode=True).decode()
    assert "https://support.council.example/tasks/" in body
    assert reference in body
    assert "threat" not in body.lower() and "library" not in body.lower()
    assert "library" not in received["Subject"].lower()
    [row] = messages(workflows)
    assert (row.status, row.attempts, received["Message-ID"]) == ("sent", 1, row.message_id)


def test_a_sender_that_dies_after_claiming_leaves_the_message_to_be_sent_once_after_restart(
        workflows: WorkflowService, officer: int, mailbox, scheduler: TimerScheduler) -> None:
    report(workflows)
    with time_machine.travel(MONDAY + timedelta(seconds=5), tick=False):
        [claimed] = outbox.claim(workflows.db)  # ...and the process dies here, before any SMTP
        assert scheduler.send_mail() == 0  # still held by the dead sender's claim
    with time_machine.travel(MONDAY + outbox.LEASE + timedelta(minutes=1), tick=False):
        assert scheduler.send_mail() == 1
        assert scheduler.send_mail() == 0
    assert [m["Message-ID"] for m in mailbox.messages] == [claimed.message_id]
    assert messages(workflows)[0].status == "sent"


def test_two_senders_never_claim_the_same_message(workflows: WorkflowService, officer: int) -> None:
    report(workflows)
    report(workflows)
    with time_machine.travel(MONDAY + timedelta(seconds=5), tick=False):
        first = outbox.claim(workflows.db, limit=1)
        second = outbox.claim(workflows.db, limit=5)
        third = outbox.claim(workflows.db, limit=5)
    assert len(first) == len(second) == 1 and third == []
    assert first[0].id != second[0].id


class Unreachable:
    def send(self, message: EmailMessage) -> None:
        raise ConnectionRefusedError("mail server down")


def test_unsent_email_is_retried_with_backoff_and_sent_when_the_server_is_back(
        workflows: WorkflowService, officer: int, mailbox) -> None:
    report(workflows)
    with time_machine.travel(MONDAY + timedelta(seconds=5), tick=False):
        assert TimerScheduler(workflows, transport=Unreachable()).send_mail() == 0
    [row] = messages(workflows)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == MONDAY + timedelta(seconds=5) + outbox.SEND_BACKOFF[0]
    with time_machine.travel(MONDAY + timedelta(seconds=30), tick=False):
        assert TimerScheduler(workflows).send_mail() == 0  # not due again yet
    with time_machine.travel(MONDAY + timedelta(minutes=2), tick=False):
        assert TimerScheduler(workflows).send_mail() == 1
    assert len(mailbox.messages) == 1


def test_without_smtp_the_email_goes_to_the_log(workflows: WorkflowService, officer: int,
                                                monkeypatch: pytest.MonkeyPatch,
                                                caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("SMTP_URL", raising=False)
    reference = report(workflows)
    with caplog.at_level(logging.INFO, logger="engine.mail"), \
            time_machine.travel(MONDAY + timedelta(seconds=5), tick=False):
        scheduler = TimerScheduler(workflows)
        assert isinstance(scheduler.transport, LogTransport)
        assert scheduler.send_mail() == 1
    assert "officer@council.example" in caplog.text and reference in caplog.text


def test_check_in_link_is_signed_and_expires() -> None:
    secret = "a-test-secret-of-enough-length"
    with time_machine.travel(MONDAY, tick=False):
        link = signed_link("/check-in", {"case": "CS-2026-0001"}, purpose="check-in", secret=secret)
    token = link.split("token=", 1)[1]
    with time_machine.travel(MONDAY + timedelta(days=6), tick=False):
        assert verify_link(token, purpose="check-in", max_age=timedelta(days=7),
                           secret=secret) == {"case": "CS-2026-0001"}
        with pytest.raises(LinkInvalid, match="not valid"):
            verify_link(token, purpose="password-reset", max_age=timedelta(days=7), secret=secret)
        with pytest.raises(LinkInvalid, match="not valid"):
            verify_link(token[:-2] + "xx", purpose="check-in", max_age=timedelta(days=7), secret=secret)
    with time_machine.travel(MONDAY + timedelta(days=8), tick=False), pytest.raises(LinkInvalid, match="expired"):
        verify_link(token, purpose="check-in", max_age=timedelta(days=7), secret=secret)
