"""The persistent-offender register: who may see it, what it shows, and merging two entries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.models import AuditEvent
from engine.service import Outcome
from processes import register
from processes.roles import MONITORING_OFFICER, POLICE_LIAISON, ROLES, SUPPORT_OFFICER
from tests.processes.casework import Runner

Client = Callable[[str | None], FlaskClient]
REGISTER_ROLES = {SUPPORT_OFFICER, POLICE_LIAISON, MONITORING_OFFICER}


def reported(run: Runner, **answers: Any) -> Outcome:
    """A report triaged: the persistent-offender check runs after triage."""
    outcome = run.report(**answers)
    run.triage(outcome.case_id)
    return outcome


def test_register_is_seen_only_by_support_officer_police_liaison_and_monitoring_officer(client_as: Client) -> None:
    for role in ROLES:
        expected = 200 if role in REGISTER_ROLES else 403
        assert client_as(role).get("/registers/offenders").status_code == expected, role
    assert client_as(None).get("/registers/offenders").status_code == 302


def test_entry_pages_are_refused_to_everyone_else_including_admins(run: Runner, client_as: Client) -> None:
    reported(run, perpetrator_handle="@troll")
    entry = register.entries(run.service.db)[0]
    for role in ROLES:
        response = client_as(role).get(f"/registers/offenders/{entry.id}")
        assert response.status_code == (200 if role in REGISTER_ROLES else 403), role
        assert (b"@troll" in response.data) == (role in REGISTER_ROLES)


def test_repeat_perpetrator_is_listed_with_linked_cases_and_first_and_last_seen(run: Runner,
                                                                                 client_as: Client) -> None:
    reported(run, perpetrator_handle="@angry_ratepayer", platform="Facebook")
    run.clock.shift(timedelta(days=40))
    reported(run, perpetrator_handle="angry_ratepayer")
    page = client_as(POLICE_LIAISON).get("/registers/offenders").get_data(as_text=True)
    assert "@angry_ratepayer" in page and "Facebook" in page
    assert "2 March 2026" in page and "11 April 2026" in page
    [entry] = register.entries(run.service.db)
    assert [c.reference for c in entry.cases] == ["CS-2026-0001", "CS-2026-0002"]


def test_merging_two_entries_moves_the_cases_keeps_both_identities_and_is_audited(run: Runner,
                                                                                   client_as: Client) -> None:
    reported(run, perpetrator_handle="@first_account")
    run.clock.shift(timedelta(days=3))
    reported(run, perpetrator="member_of_public", perpetrator_name="Pat Example", perpetrator_handle="",
               platform="")
    keep, other = sorted(register.entries(run.service.db), key=lambda e: e.id)
    response = client_as(SUPPORT_OFFICER).post(f"/registers/offenders/{keep.id}/merge",
                                               data={"other_id": str(other.id), "confirm": "yes"})
    assert response.status_code == 302
    [merged] = register.entries(run.service.db)
    assert merged.id == keep.id
    assert (merged.handle, merged.name) == ("first_account", "pat example")
    assert len(merged.cases) == 2
    assert merged.last_seen_at == other.last_seen_at and merged.first_seen_at == keep.first_seen_at
    with run.service.db.read() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "offender.merged")).one()
    assert event.actor_id == run.people.by_role[SUPPORT_OFFICER].id
    assert event.detail["merged"]["name"] == "pat example" and len(event.detail["merged"]["case_ids"]) == 1
    assert run.service.verify_audit().intact
    # Either identity now finds the same person.
    outcome = reported(run, perpetrator="member_of_public", perpetrator_name="Pat  Example", perpetrator_handle="")
    assert run.service.instance_data(outcome.instance_id)["offender_check"]["offender_id"] == keep.id
    assert len(register.entry(run.service.db, keep.id).cases) == 3


def test_merged_aliases_are_kept_so_nothing_is_lost(run: Runner) -> None:
    reported(run, perpetrator_handle="@one", platform="X")
    reported(run, perpetrator_handle="@two", platform="Instagram")
    keep, other = sorted(register.entries(run.service.db), key=lambda e: e.id)
    merged = register.merge(run.service.db, keep.id, other.id, actor_id=None)
    assert merged.handle == "one" and merged.aliases == [(None, "two", "Instagram")]
    outcome = reported(run, perpetrator_handle="@two")
    assert run.service.instance_data(outcome.instance_id)["offender_check"]["repeat"] is True


@pytest.mark.parametrize(("form", "message"), [
    ({"confirm": "yes"}, "Choose the entry to merge into this one"),
    ({"other_id": "2"}, "Confirm that both entries are the same person"),
    ({"other_id": "1", "confirm": "yes"}, "Choose the entry to merge into this one"),
    ({"other_id": "999", "confirm": "yes"}, "Choose the entry to merge into this one"),
])
def test_a_merge_that_cannot_be_done_says_why_and_changes_nothing(run: Runner, client_as: Client,
                                                                   form: dict[str, str], message: str) -> None:
    reported(run, perpetrator_handle="@one")
    reported(run, perpetrator_handle="@two")
    response = client_as(MONITORING_OFFICER).post("/registers/offenders/1/merge", data=form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert len(register.entries(run.service.db)) == 2
    with run.service.db.read() as session:
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "offender.merged")) is None


def test_an_entry_that_does_not_exist_is_not_found(client_as: Client) -> None:
    assert client_as(SUPPORT_OFFICER).get("/registers/offenders/404").status_code == 404
