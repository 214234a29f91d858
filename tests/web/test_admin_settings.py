"""Admins change the council's settings (deadlines, check-ins, retention) and see incidents."""

from __future__ import annotations

from sqlalchemy import select

from engine.models import Incident, Instance


def test_admin_changes_a_deadline_setting_and_it_is_audited(client_as, app):
    client = client_as("admin")
    page = client.get("/admin/settings")
    assert page.status_code == 200
    assert "Acknowledge and triage a report within (working days)" in page.get_data(as_text=True)
    form = dict(app.extensions["workflow"].settings())
    form["triage_due_working_days"] = "3"
    response = client.post("/admin/settings", data=form)
    assert response.status_code == 302
    service = app.extensions["workflow"]
    assert service.setting("triage_due_working_days") == 3
    assert [e.detail for e in service.history() if e.action == "setting.changed"] == [
        {"name": "triage_due_working_days", "value": 3}]


def test_a_setting_that_is_not_a_whole_number_is_refused_naming_it_and_nothing_changes(client_as, app):
    client = client_as("admin")
    form = dict(app.extensions["workflow"].settings())
    form |= {"triage_due_working_days": "3", "risk_review_days": "soon", "bank_holiday_region": "mars"}
    response = client.post("/admin/settings", data=form)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#risk_review_days"' in body and 'href="#bank_holiday_region"' in body
    assert app.extensions["workflow"].setting("triage_due_working_days") == 1


def test_only_admins_see_settings_and_incidents(client_as):
    for role in ("support-officer", "councillor", "monitoring-officer"):
        client = client_as(role)
        assert client.get("/admin/settings").status_code == 403
        assert client.get("/admin/incidents").status_code == 403


def test_admin_sees_open_incidents_with_a_link_to_the_process(client_as, app, open_case):
    service = app.extensions["workflow"]
    open_case()
    with service.db.write() as session:
        instance = session.scalars(select(Instance)).one()
        session.add(Incident(instance_id=instance.id, case_id=instance.case_id, error="Timer step failed: boom",
                             attempts=3, status="open"))
    client = client_as("admin")
    body = client.get("/admin/incidents").get_data(as_text=True)
    assert "Timer step failed: boom" in body
    assert f"/admin/diagrams/instances/{instance.id}" in body
    assert "Threatening messages" not in body  # no case content for admins
