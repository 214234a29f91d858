"""Opening the link in a check-in email: the councillor lands on their check-in form; anyone else, or a
changed or expired link, gets a page saying what to do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from engine.models import Task
from tests.notices.conftest import PUBLIC_URL, open_check_in, outbox
from tests.processes.casework import Runner

Client = Callable[[int | None], FlaskClient]


@pytest.fixture
def check_in(run: Runner) -> tuple[Task, str]:
    """An open check-in and the path of the link emailed for it."""
    task = open_check_in(run)
    [email] = outbox(run.service, "check-in")
    link = next(word for word in email.body.split() if word.startswith(f"{PUBLIC_URL}/check-in/"))
    return task, link.removeprefix(PUBLIC_URL)


def test_councillor_following_the_link_lands_on_their_check_in_form(
        run: Runner, client_as: Client, check_in: tuple[Task, str]) -> None:
    task, path = check_in
    client = client_as(run.people.councillor.id)
    response = client.get(path)
    assert response.status_code == 302 and response.location == f"/tasks/{task.id}"
    form = client.get(response.location)
    assert form.status_code == 200 and "How are you doing?" in form.get_data(as_text=True)


def test_signed_out_councillor_is_sent_to_sign_in_and_back(run: Runner, client_as: Client,
                                                           check_in: tuple[Task, str]) -> None:
    _task, path = check_in
    response = client_as(None).get(path)
    assert response.status_code == 302
    location = urlsplit(response.location)
    assert location.path == "/sign-in" and parse_qs(location.query)["next"] == [path]


def test_someone_else_following_the_link_is_refused(run: Runner, client_as: Client, other_councillor: int,
                                                    check_in: tuple[Task, str]) -> None:
    _task, path = check_in
    response = client_as(other_councillor).get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "This check-in is for someone else" in page and "sign out" in page
    assert "Traceback" not in page


def test_a_changed_link_gets_a_page_saying_what_to_do(run: Runner, client_as: Client,
                                                     check_in: tuple[Task, str]) -> None:
    _task, path = check_in
    changed = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    for client in (client_as(run.people.councillor.id), client_as(None)):
        for bad in (changed, "/check-in/not-a-token", "/check-in/" + "x" * 5000):
            response = client.get(bad)
            page = response.get_data(as_text=True)
            assert response.status_code == 403, bad
            assert "This check-in link is not valid" in page and "copied the whole link" in page


def test_an_expired_link_says_so(run: Runner, client_as: Client, check_in: tuple[Task, str]) -> None:
    task, path = check_in
    run.clock.move_to(task.created_at + timedelta(days=7, seconds=1))  # past five working days
    response = client_as(run.people.councillor.id).get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "This check-in link has expired" in page and "wellbeing champion" in page


def test_a_link_to_an_answered_check_in_says_it_has_closed(run: Runner, client_as: Client,
                                                           check_in: tuple[Task, str]) -> None:
    task, path = check_in
    run.do("How are you doing?", {"wellbeing_score": 4, "call_me": "no", "keep_checking_in": "yes"},
           instance_id=task.instance_id)
    response = client_as(run.people.councillor.id).get(path)
    assert response.status_code == 410
    assert "This check-in has closed" in response.get_data(as_text=True)
