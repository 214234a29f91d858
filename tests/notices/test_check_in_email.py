"""A wellbeing check-in emails the councillor a signed link to their check-in form, which works for as long
as the check-in waits for an answer."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine.outbox import LinkExpired, LinkInvalid
from processes import notices
from processes.notices import CheckInLink
from tests.notices.conftest import PUBLIC_URL, SECRET, open_check_in, outbox
from tests.processes.casework import ONE_SECOND, Runner

LINK = re.compile(re.escape(PUBLIC_URL) + r"/check-in/(?P<token>[A-Za-z0-9_.\-]+)")


def token_in(body: str) -> str:
    found = LINK.search(body)
    assert found, f"No check-in link in: {body!r}"
    return found["token"]


def test_check_in_emails_the_councillor_a_link_signed_for_that_check_in(run: Runner) -> None:
    task = open_check_in(run)
    [email] = outbox(run.service, "check-in")
    assert email.recipient == run.people.councillor.email and email.task_id == task.id
    assert "check-in is due" in email.subject and "works until 16 March 2026 at 10:00" in email.body
    assert notices.read_check_in_link(token_in(email.body), secret=SECRET) == CheckInLink(
        task.id, run.people.councillor.id)
    # The usual "you have a task" email is replaced, not doubled.
    assert [m.id for m in outbox(run.service) if m.task_id == task.id] == [email.id]


def test_check_in_email_says_nothing_of_the_case(run: Runner) -> None:
    open_check_in(run)
    [email] = outbox(run.service, "check-in")
    for words in ("traitor", "where I live", "angry_ratepayer", "mental_health"):
        assert words not in email.body and words not in email.subject


def test_check_in_link_lasts_exactly_as_long_as_the_check_in_waits_for_an_answer(run: Runner) -> None:
    task = open_check_in(run)
    token = token_in(outbox(run.service, "check-in")[0].body)
    [no_answer] = [t for t in run.service.waiting_timers(task.instance_id) if t.name == "No answer"]
    assert no_answer.due_at == task.created_at + timedelta(days=7)  # five working days: Monday to Monday
    run.clock.move_to(no_answer.due_at - ONE_SECOND)
    assert notices.read_check_in_link(token, secret=SECRET).task_id == task.id
    run.clock.move_to(no_answer.due_at)
    with pytest.raises(LinkExpired, match="expired"):
        notices.read_check_in_link(token, secret=SECRET)


def test_check_in_link_window_follows_the_setting(run: Runner) -> None:
    run.service.change_setting("wellbeing_check_in_answer_working_days", 2, run.people.actor("admin"))
    task = open_check_in(run)
    token = token_in(outbox(run.service, "check-in")[0].body)
    closes = task.created_at + timedelta(days=2)  # Monday + two working days: Wednesday
    run.clock.move_to(closes - ONE_SECOND)
    assert notices.read_check_in_link(token, secret=SECRET).task_id == task.id
    run.clock.move_to(closes)
    with pytest.raises(LinkExpired):
        notices.read_check_in_link(token, secret=SECRET)


def test_a_changed_check_in_link_is_refused(run: Runner) -> None:
    open_check_in(run)
    token = token_in(outbox(run.service, "check-in")[0].body)
    payload, signature = token.rsplit(".", 1)
    with pytest.raises(LinkInvalid, match="not valid"):
        notices.read_check_in_link(f"{payload}.{signature[::-1]}", secret=SECRET)
    with pytest.raises(LinkInvalid, match="not valid"):
        notices.read_check_in_link(token, secret="another council's key")


def test_without_a_signing_key_the_check_in_still_goes_out_as_a_task_email(
        run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY")
    task = open_check_in(run)
    [email] = [m for m in outbox(run.service) if m.task_id == task.id]
    assert email.recipient == run.people.councillor.email
    assert f"{PUBLIC_URL}/tasks/{task.id}" in email.body and "/check-in/" not in email.body
