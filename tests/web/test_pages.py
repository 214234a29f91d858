"""The service's frame: public pages, health, error pages, security headers, signing in and out."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.web.conftest import PASSWORD, actor, app_config
from web.app import create_app


@pytest.mark.parametrize("path, heading", [
    ("/", "Councillor Support"),
    ("/sign-in", "Sign in"),
    ("/accessibility", "Accessibility statement"),
    ("/privacy", "Privacy notice"),
    ("/cookies", "Cookies"),
])
def test_public_pages_are_gov_uk_pages(app, path, heading):
    response = app.test_client().get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert heading in page
    assert "govuk-template" in page and "/static/vendor/govuk-frontend.min.css" in page


def test_healthz_reports_database_and_scheduler(app):
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok", "scheduler": "not running"}
    app.extensions["scheduler"] = SimpleNamespace(running=True)
    assert client.get("/healthz").get_json()["scheduler"] == "running"


def test_unknown_page_is_a_gov_uk_not_found_page(app):
    response = app.test_client().get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_an_unexpected_error_shows_a_page_not_a_stack_trace(app):
    @app.get("/explode")
    def explode() -> str:
        raise RuntimeError("secret internals")

    response = app.test_client().get("/explode")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in page
    assert "secret internals" not in page and "Traceback" not in page


def test_pages_carry_security_headers_and_no_inline_script_without_a_nonce(app):
    response = app.test_client().get("/sign-in")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    nonce = policy.split("'nonce-")[1].split("'")[0]
    page = response.get_data(as_text=True)
    assert page.count("<script>") == 0
    assert f'<script nonce="{nonce}">' in page


def test_signing_in_renews_the_session_and_sets_a_safe_cookie(database, tmp_path, ids):
    app = create_app(app_config(database, tmp_path, SESSION_COOKIE_SECURE=True))
    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    response = client.post("/sign-in", data={"email": "support-officer@example.org", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/inbox"
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with client.session_transaction() as session:
        assert "planted" not in session


@pytest.mark.parametrize(("wanted", "lands_on"), [
    ("/cases/CS-2026-0001", "/cases/CS-2026-0001"),
    ("//evil.example/steal", "/inbox"),
    ("https://evil.example/", "/inbox"),
    ("/\\evil.example", "/inbox"),
])
def test_signing_in_returns_to_the_page_that_asked_but_never_to_another_site(app, ids, wanted, lands_on):
    response = app.test_client().post("/sign-in", query_string={"next": wanted},
                                      data={"email": "support-officer@example.org", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == lands_on


def test_a_wrong_password_gets_a_clear_message(app, ids):
    response = app.test_client().post("/sign-in", data={"email": "councillor@example.org", "password": "wrong one!"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "Enter a correct email address and password" in page


def test_empty_sign_in_names_both_fields(app, ids):
    page = app.test_client().post("/sign-in", data={}).get_data(as_text=True)
    assert 'href="#email"' in page and 'href="#password"' in page


def test_sign_in_is_rate_limited_with_a_clear_message(database, tmp_path, ids):
    app = create_app(app_config(database, tmp_path, RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="3 per minute"))
    client = app.test_client()
    for _ in range(3):
        client.post("/sign-in", data={"email": "councillor@example.org", "password": "wrong one!"})
    response = client.post("/sign-in", data={"email": "councillor@example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert "You have tried to sign in too many times" in response.get_data(as_text=True)


def test_demo_accounts_are_listed_only_in_demo_mode(database, tmp_path, ids):
    normal = create_app(app_config(database, tmp_path)).test_client().get("/sign-in").get_data(as_text=True)
    assert "support-officer@example.org" not in normal
    demo = create_app(app_config(database, tmp_path, DEMO_MODE=True, DEMO_PASSWORD="demo-password-1"))
    page = demo.test_client().get("/sign-in").get_data(as_text=True)
    assert "support-officer@example.org" in page and "demo-password-1" in page


def test_signing_out_ends_the_session(client_as):
    client = client_as("support-officer")
    assert client.get("/inbox").status_code == 200
    assert client.get("/sign-out").status_code == 302
    assert client.get("/inbox").status_code == 302


def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(database, tmp_path, ids, open_case, workflow):
    _reference, task_id = open_case()
    app = create_app(app_config(database, tmp_path, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(ids["support-officer"])
    response = client.post(f"/tasks/{task_id}/claim")
    assert response.status_code == 400
    assert "This form has expired or was not sent from this service" in response.get_data(as_text=True)
    row, _schema, _ui = workflow.task(task_id, actor(ids, "support-officer"))
    assert row.assignee_id is None


def test_vendor_assets_are_served_by_the_app(app):
    if not (Path(app.static_folder) / "vendor" / "govuk-frontend.min.js").exists():
        pytest.fail("GOV.UK Frontend is not in web/static/vendor: run `make assets`.")
    client = app.test_client()
    assert client.get("/static/vendor/govuk-frontend.min.js").status_code == 200
    assert client.get("/assets/images/favicon.svg").status_code == 200
