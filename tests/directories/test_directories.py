"""Admins keep the police forces and the council's resource links; councillors read them on the Resources page.
Bad input is named by field and nothing half-written is kept; every change is audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine import directory
from engine.models import AuditEvent
from processes.roles import ADMIN, COUNCILLOR, POLICE_LIAISON

FORCE = {"name": "Thames Valley Police", "officer_name": "Sergeant Alex Reid", "officer_collar_number": "TV4521",
         "officer_contact": "alex.reid@police.example.uk", "adviser_name": "Jo Patel",
         "adviser_contact": "01865 000000"}
CODE_OF_CONDUCT = {"title": "Code of Conduct for councillors", "url": "https://www.example.gov.uk/code-of-conduct",
                   "description": "What the council expects of every councillor.", "position": "1"}


def actions(workflow) -> list[tuple[str, dict]]:
    with workflow.db.read() as session:
        return [(e.action, e.detail) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def error_summary(page: str) -> dict[str, str]:
    """Error-summary link target → message, as the page shows them."""
    return dict(re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', page.split('govuk-error-summary__list', 1)[-1]
                           .split("</ul>", 1)[0]))


def test_police_force_contacts_and_the_operation_ford_note_reach_councillors(client_as):
    admin = client_as(ADMIN)
    response = admin.post("/admin/directories/forces/new", data=FORCE)
    assert response.status_code == 302
    page = client_as(COUNCILLOR).get("/resources").get_data(as_text=True)
    for value in FORCE.values():
        assert value in page
    assert "Operation Ford" in page
    assert "Parish and town councillors are outside the adviser scheme" in page


def test_resource_links_show_in_the_order_the_admin_sets(client_as):
    admin = client_as(ADMIN)
    admin.post("/admin/directories/links/new", data=CODE_OF_CONDUCT | {"position": "2"})
    admin.post("/admin/directories/links/new", data={"title": "Police reporting protocol", "position": "1",
                                                      "url": "http://intranet.example.gov.uk/police-protocol"})
    page = client_as(POLICE_LIAISON).get("/resources").get_data(as_text=True)
    assert page.index("Police reporting protocol") < page.index("Code of Conduct for councillors")
    assert 'href="https://www.example.gov.uk/code-of-conduct"' in page
    assert CODE_OF_CONDUCT["description"] in page


def test_each_groups_support_contact_is_on_the_resources_page(client_as):
    page = client_as(COUNCILLOR).get("/resources").get_data(as_text=True)
    assert "Independent Group" in page and "Group support contact Person" in page
    assert 'href="mailto:group-support-contact@example.org"' in page
    assert "Green Group" in page and "Not named yet" in page


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://files.example.org/code.pdf", "www.example.gov.uk",
                                 "https://", "https://www.exa mple.gov.uk", "data:text/html,hello", "",
                                 "https://" + "a" * 2000 + ".uk"])
def test_a_link_must_be_a_web_address(client_as, workflow, url):
    response = client_as(ADMIN).post("/admin/directories/links/new", data=CODE_OF_CONDUCT | {"url": url})
    assert response.status_code == 400
    assert list(error_summary(response.get_data(as_text=True))) == ["url"]
    assert directory.resource_links(workflow.db) == []
    assert actions(workflow) == [(a, d) for a, d in actions(workflow) if not a.startswith("resource_link")]


def test_every_problem_with_a_link_is_named_at_once_and_the_answers_are_kept(client_as, workflow):
    response = client_as(ADMIN).post("/admin/directories/links/new",
                                     data={"title": " ", "url": "nonsense", "description": "Kept", "position": "0"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert error_summary(page) == {"title": "Enter the link&#39;s title.",
                                   "url": "Enter a web address that starts with https://, like "
                                          "https://www.example.gov.uk/code-of-conduct",
                                   "position": "Enter the position as a whole number from 1 to 999."}
    assert ">Kept</textarea>" in page
    assert directory.resource_links(workflow.db) == []


@pytest.mark.parametrize("position", ["0", "1000", "-1", "1.5", "²", "one", "", "9" * 5000])
def test_a_links_position_is_a_whole_number_from_one(client_as, workflow, position):
    response = client_as(ADMIN).post("/admin/directories/links/new", data=CODE_OF_CONDUCT | {"position": position})
    assert response.status_code == 400
    assert list(error_summary(response.get_data(as_text=True))) == ["position"]
    assert directory.resource_links(workflow.db) == []


def test_a_police_force_needs_a_name_and_a_unique_one(client_as, workflow):
    admin = client_as(ADMIN)
    response = admin.post("/admin/directories/forces/new", data=FORCE | {"name": ""})
    assert response.status_code == 400
    assert error_summary(response.get_data(as_text=True)) == {"name": "Enter the police force&#39;s name."}
    admin.post("/admin/directories/forces/new", data=FORCE)
    response = admin.post("/admin/directories/forces/new", data=FORCE | {"name": "thames valley police"})
    assert response.status_code == 400
    assert list(error_summary(response.get_data(as_text=True))) == ["name"]
    assert len(directory.police_forces(workflow.db)) == 1


def test_overlong_contact_details_are_refused_by_field(client_as, workflow):
    response = client_as(ADMIN).post("/admin/directories/forces/new", data=FORCE | {"officer_contact": "x" * 301})
    assert response.status_code == 400
    assert list(error_summary(response.get_data(as_text=True))) == ["officer_contact"]
    assert directory.police_forces(workflow.db) == []


def test_each_change_to_the_directories_is_audited_without_peoples_details(client_as, workflow, people):
    admin = client_as(ADMIN)
    admin.post("/admin/directories/forces/new", data=FORCE)
    (force,) = directory.police_forces(workflow.db)
    admin.post(f"/admin/directories/forces/{force.id}", data=FORCE | {"officer_name": "Inspector Sam Green"})
    assert client_as(ADMIN).get(f"/admin/directories/forces/{force.id}/remove").status_code == 200
    admin.post(f"/admin/directories/forces/{force.id}/remove")
    admin.post("/admin/directories/links/new", data=CODE_OF_CONDUCT)
    (link,) = directory.resource_links(workflow.db)
    admin.post(f"/admin/directories/links/{link.id}", data=CODE_OF_CONDUCT | {"title": "The Code of Conduct"})
    admin.post(f"/admin/directories/links/{link.id}/remove")

    events = [(a, d) for a, d in actions(workflow) if a.startswith(("police_force.", "resource_link."))]
    assert [a for a, _ in events] == ["police_force.created", "police_force.changed", "police_force.removed",
                                      "resource_link.created", "resource_link.changed", "resource_link.removed"]
    assert events[1][1] == {"force_id": force.id, "name": FORCE["name"], "fields": ["officer_name"]}
    assert events[4][1]["fields"] == ["title"]
    assert "Sergeant Alex Reid" not in str(events) and "Inspector Sam Green" not in str(events)
    with workflow.db.read() as session:
        assert all(e.actor_id == people[ADMIN] for e in session.scalars(select(AuditEvent)
                                                                         .where(AuditEvent.action.like("%.%ed"))))
    assert workflow.verify_audit().intact
    assert directory.police_forces(workflow.db) == [] and directory.resource_links(workflow.db) == []


def test_changing_an_entry_keeps_its_other_details(client_as, workflow):
    admin = client_as(ADMIN)
    admin.post("/admin/directories/links/new", data=CODE_OF_CONDUCT)
    (link,) = directory.resource_links(workflow.db)
    form = admin.get(f"/admin/directories/links/{link.id}").get_data(as_text=True)
    assert 'value="https://www.example.gov.uk/code-of-conduct"' in form
    admin.post(f"/admin/directories/links/{link.id}", data=CODE_OF_CONDUCT | {"position": "5"})
    (changed,) = directory.resource_links(workflow.db)
    assert (changed.id, changed.position, changed.title) == (link.id, 5, CODE_OF_CONDUCT["title"])


@pytest.mark.parametrize("path", ["/admin/directories/forces/999", "/admin/directories/links/999",
                                  "/admin/directories/forces/999/remove", "/admin/directories/links/999/remove"])
def test_an_entry_that_does_not_exist_is_not_found(client_as, path):
    assert client_as(ADMIN).get(path).status_code == 404
    assert client_as(ADMIN).post(path, data=FORCE).status_code == 404


def test_the_directories_page_links_to_the_political_groups_rather_than_repeating_them(client_as):
    page = client_as(ADMIN).get("/admin/directories").get_data(as_text=True)
    assert 'href="/admin/groups"' in page
    assert "Independent Group: Group support contact Person" in page
