"""Subject access, rectification and erasure, for the Monitoring officer only."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from engine.models import AuditEvent, User
from engine.retention import run_retention
from engine.service import Actor
from processes.roles import MONITORING_OFFICER, ROLES
from tests.processes.casework import Runner
from tests.registers.conftest import OTHER_COUNCILLOR

Client = Callable[[str | None], FlaskClient]
MINE = "Someone keyed my car outside the town hall."
THEIRS = "A stranger followed me home from the station."
NOTE = "Finding it hard to sleep since the meeting."


def export(client: FlaskClient, user_id: int) -> tuple[dict, str]:
    response = client.get(f"/data-protection/people/{user_id}/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as zipped:
        return json.loads(zipped.read("data.json")), zipped.read("summary.html").decode()


def test_export_holds_everything_about_the_person_and_nothing_about_anyone_else(run: Runner,
                                                                                client_as: Client) -> None:
    mine = run.report(what_happened=MINE)
    run.triage(mine.case_id)
    other = run.people.by_role[OTHER_COUNCILLOR]
    run.service.open_case({**_report(), "what_happened": THEIRS}, councillor_id=other.id, actor=Actor.of(other))
    councillor = run.people.councillor
    data, summary = export(client_as(MONITORING_OFFICER), councillor.id)
    everything = json.dumps(data)
    assert data["account"]["email"] == "councillor@example.org"
    assert [c["reference"] for c in data["cases"]] == ["CS-2026-0001"]
    assert MINE in everything and "online_abuse" in everything  # the report and what was done about it
    assert THEIRS not in everything and "other@example.org" not in everything and "CS-2026-0002" not in everything
    assert MINE in summary and THEIRS not in summary
    with run.service.db.read() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "subject_access.exported")).one()
    assert event.detail == {"user_id": councillor.id}


def _report() -> dict:
    from tests.processes.casework import REPORT
    return dict(REPORT)


def test_export_leaves_out_what_retention_removed(run: Runner, client_as: Client) -> None:
    outcome = run.report(wellbeing_support="yes")
    run.triage(outcome.case_id)
    run.do("First contact", {"support_offered": ["peer_support"], "wellbeing_notes": NOTE,
                             "check_ins_wanted": "no"}, outcome.case_id)
    assert NOTE in json.dumps(export(client_as(MONITORING_OFFICER), run.people.councillor.id)[0])
    run.clock.shift(timedelta(days=400))
    run_retention(run.service)
    data, summary = export(client_as(MONITORING_OFFICER), run.people.councillor.id)
    assert NOTE not in json.dumps(data) and NOTE not in summary
    assert data["cases"][0]["wellbeing_notes_deleted"] is True


def test_only_the_monitoring_officer_has_the_data_protection_pages(run: Runner, client_as: Client) -> None:
    user_id = run.people.councillor.id
    for role in ROLES:
        client = client_as(role)
        expected = 200 if role == MONITORING_OFFICER else 403
        assert client.get("/data-protection?q=council").status_code == expected, role
        assert client.get(f"/data-protection/people/{user_id}/export.zip").status_code == expected, role


def test_a_wrong_email_is_corrected_and_the_correction_audited(run: Runner, client_as: Client) -> None:
    user_id = run.people.councillor.id
    response = client_as(MONITORING_OFFICER).post(f"/data-protection/people/{user_id}/rectify",
                                                  data={"name": "Cllr Jo Bloggs", "email": "Jo@Example.org"})
    assert response.status_code == 302
    with run.service.db.read() as session:
        user = session.get(User, user_id)
        assert (user.name, user.email) == ("Cllr Jo Bloggs", "jo@example.org")
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.rectified")).one()
    assert event.detail == {"user_id": user_id, "fields": ["name", "email"]}


def test_a_correction_that_is_not_valid_is_refused_and_nothing_changes(run: Runner, client_as: Client) -> None:
    user_id = run.people.councillor.id
    for form, field in (({"name": "Jo", "email": "not-an-email"}, "email"),
                        ({"name": "Jo", "email": "other@example.org"}, "email"),
                        ({"name": "  ", "email": "jo@example.org"}, "name")):
        response = client_as(MONITORING_OFFICER).post(f"/data-protection/people/{user_id}/rectify", data=form)
        assert response.status_code == 400
        assert f'href="#{field}"' in response.get_data(as_text=True)
    with run.service.db.read() as session:
        assert session.get(User, user_id).email == "councillor@example.org"


def test_an_account_with_an_open_case_cannot_be_erased(run: Runner, client_as: Client) -> None:
    run.report()
    user_id = run.people.councillor.id
    response = client_as(MONITORING_OFFICER).post(f"/data-protection/people/{user_id}/erase",
                                                  data={"confirm": "yes"})
    assert response.status_code == 409
    assert "CS-2026-0001" in response.get_data(as_text=True)
    with run.service.db.read() as session:
        assert session.get(User, user_id).email == "councillor@example.org"


def test_an_account_with_no_open_work_is_erased_and_the_erasure_audited(run: Runner, client_as: Client) -> None:
    user_id = run.people.by_role[OTHER_COUNCILLOR].id
    client = client_as(MONITORING_OFFICER)
    assert client.post(f"/data-protection/people/{user_id}/erase", data={}).status_code == 400
    assert client.post(f"/data-protection/people/{user_id}/erase", data={"confirm": "yes"}).status_code == 302
    with run.service.db.read() as session:
        user = session.get(User, user_id)
        assert "Other" not in user.name and user.email != "other@example.org"
        assert not user.active and user.role_slugs == frozenset() and user.password_hash is None
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "user.erased")).one().detail == \
            {"user_id": user_id}
    assert run.service.verify_audit().intact
    page = client.get(f"/data-protection/people/{user_id}").get_data(as_text=True)
    assert "Other Councillor" not in page and "Erased account" in page
