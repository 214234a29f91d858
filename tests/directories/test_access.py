"""Who may open the directory pages: admins keep the directories; councillors and officers read the Resources
page; everyone signed in has their own API tokens page; nobody else gets in."""

from __future__ import annotations

import pytest

from engine import directory
from processes.roles import ADMIN, COUNCILLOR, OFFICER_ROLES, ROLES
from tests.directories.conftest import NOBODY

ADMIN_PAGES = ["/admin/directories", "/admin/directories/forces/new", "/admin/directories/links/new"]


@pytest.mark.parametrize("who", [COUNCILLOR, *sorted(OFFICER_ROLES)])
def test_councillors_and_officers_read_the_resources_page(client_as, who):
    response = client_as(who).get("/resources")
    assert response.status_code == 200
    assert "Operation Ford" in response.get_data(as_text=True)


@pytest.mark.parametrize("who", [ADMIN, NOBODY])
def test_people_who_neither_are_councillors_nor_officers_cannot_read_the_resources_page(client_as, who):
    assert client_as(who).get("/resources").status_code == 403


@pytest.mark.parametrize("path", ["/resources", "/account/tokens", *ADMIN_PAGES])
def test_signed_out_visitors_are_sent_to_sign_in(client_as, path):
    response = client_as(None).get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_only_admins_manage_the_directories(client_as, path):
    assert client_as(ADMIN).get(path).status_code == 200
    for who in [*ROLES.keys() - {ADMIN}, NOBODY]:
        assert client_as(who).get(path).status_code == 403, who


def test_a_councillor_cannot_add_a_link_by_posting_the_form(client_as, workflow):
    response = client_as(COUNCILLOR).post("/admin/directories/links/new",
                                          data={"title": "Fake", "url": "https://example.org", "position": "1"})
    assert response.status_code == 403
    assert directory.resource_links(workflow.db) == []


@pytest.mark.parametrize("who", [*ROLES.keys(), NOBODY])
def test_everyone_signed_in_has_an_api_tokens_page(client_as, who):
    assert client_as(who).get("/account/tokens").status_code == 200
