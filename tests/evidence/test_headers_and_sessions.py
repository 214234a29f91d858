"""Headers and sessions, as a browser meets them: a content security policy that allows no inline script,
HSTS once the service is reached over TLS (directly or through the proxy), session cookies that scripts
and other sites cannot use, a new session at every sign-in, and sign-in attempts throttled."""

from __future__ import annotations

import re
from collections.abc import Callable
from http.cookies import SimpleCookie

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.db import Database
from tests.web.conftest import PASSWORD, seed_people

ONE_YEAR = 365 * 24 * 60 * 60
PAGES = ["/", "/sign-in", "/accessibility", "/api/v1/docs", "/no-such-page"]


def policy_of(header: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.parametrize("path", PAGES)
def test_no_page_may_run_inline_script(app_with: Callable[..., Flask], path: str) -> None:
    response = app_with().test_client().get(path)
    policy = policy_of(response.headers["Content-Security-Policy"])
    scripts = policy.get("script-src", policy["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts and "*" not in scripts
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    # Every script the page carries is a file from this service, or the one inline script with this
    # response's nonce (a nonce from another response would not run).
    nonces = {source[len("'nonce-"):-1] for source in scripts if source.startswith("'nonce-")}
    for tag in re.findall(r"<script\b[^>]*>", response.get_data(as_text=True)):
        source = re.search(r'\bsrc="([^"]*)"', tag)
        nonce = re.search(r'\bnonce="([^"]*)"', tag)
        assert (source and source.group(1).startswith("/static/")) or (nonce and nonce.group(1) in nonces), tag


def test_hsts_is_sent_over_tls_behind_the_proxy_and_plain_http_is_redirected(
        app_with: Callable[..., Flask]) -> None:
    client = app_with(FORCE_HTTPS=True, TRUSTED_PROXIES=1).test_client()
    plain = client.get("/sign-in")
    assert plain.status_code in (301, 302) and plain.headers["Location"].startswith("https://")
    assert "Strict-Transport-Security" not in plain.headers  # meaningless over plain HTTP
    for secure in (client.get("/sign-in", base_url="https://localhost"),
                   client.get("/sign-in", headers={"X-Forwarded-Proto": "https"})):
        assert secure.status_code == 200
        hsts = dict(re.findall(r"([\w-]+)(?:=(\d+))?", secure.headers["Strict-Transport-Security"]))
        assert int(hsts["max-age"]) >= ONE_YEAR and "includeSubDomains" in hsts


@pytest.fixture
def signed_up(database: Database, app_with: Callable[..., Flask]) -> Callable[..., Flask]:
    """An app (with any configuration) over a database holding one person per role, password PASSWORD."""
    seed_people(database)
    return app_with


def sign_in(client: FlaskClient, email: str = "support-officer@example.org", password: str = PASSWORD,
            **headers: str) -> int:
    return client.post("/sign-in", data={"email": email, "password": password}, headers=headers).status_code


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session", domain="localhost")
    assert cookie is not None
    return cookie.value


def test_the_session_cookie_is_secure_http_only_and_same_site_by_default(
        signed_up: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INSECURE_COOKIES", raising=False)
    app = signed_up(without=("SESSION_COOKIE_SECURE",))  # the app's own default, as in production
    response = app.test_client().post("/sign-in", base_url="https://localhost",
                                      data={"email": "support-officer@example.org", "password": PASSWORD})
    assert response.status_code == 302
    cookie = SimpleCookie(response.headers["Set-Cookie"])["session"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


def test_signing_in_starts_a_new_session_so_a_planted_one_gains_nothing(signed_up: Callable[..., Flask]) -> None:
    app = signed_up(WTF_CSRF_ENABLED=True)
    victim = app.test_client()
    victim.get("/sign-in")  # the anonymous session an attacker could have planted, with its form token
    with victim.session_transaction() as session:
        session["planted"] = "by someone else"
        planted_token = session["csrf_token"]
    planted = session_cookie(victim)
    token = re.search(r'name="csrf_token" value="([^"]+)"', victim.get("/sign-in").get_data(as_text=True))
    assert token is not None
    response = victim.post("/sign-in", data={"email": "support-officer@example.org", "password": PASSWORD,
                                             "csrf_token": token.group(1)})
    assert response.status_code == 302 and victim.get("/inbox").status_code == 200
    assert session_cookie(victim) != planted
    with victim.session_transaction() as session:
        assert "planted" not in session and session.get("csrf_token") != planted_token
    # Whoever kept the planted cookie is still signed out.
    attacker = app.test_client()
    attacker.set_cookie("session", planted, domain="localhost")
    assert attacker.get("/inbox").status_code == 302


def test_a_form_token_survives_a_slower_response_that_carries_the_session_from_before_the_page(
        signed_up: Callable[..., Flask]) -> None:
    app = signed_up(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").get_data(as_text=True))
    assert token is not None
    client.post("/sign-in", data={"email": "support-officer@example.org", "password": PASSWORD,
                                  "csrf_token": token.group(1)})
    before_the_page = session_cookie(client)
    page = client.get("/account/tokens").get_data(as_text=True)
    page_token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert page_token is not None
    # The browser sent an image request with the cookie it had before the page arrived; that response,
    # landing last, sets the session cookie again.
    slower = app.test_client()
    slower.set_cookie("session", before_the_page, domain="localhost")
    slower.get("/inbox")
    client.set_cookie("session", session_cookie(slower), domain="localhost")
    response = client.post("/account/tokens", data={"name": "Laptop", "csrf_token": page_token.group(1)})
    assert response.status_code == 200, response.get_data(as_text=True)


def test_sign_in_is_throttled_with_a_clear_message(signed_up: Callable[..., Flask]) -> None:
    client = signed_up(RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="3 per minute").test_client()
    assert [sign_in(client, password="not the password") for _ in range(3)] == [400, 400, 400]
    refused = client.post("/sign-in", data={"email": "support-officer@example.org", "password": PASSWORD})
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "You have tried to sign in too many times. Wait a minute, then try again." in page
    assert "Traceback" not in page
    assert client.get("/inbox").status_code == 302  # the right password, once throttled, did not sign in


def test_guessing_one_persons_password_is_throttled_from_any_address(signed_up: Callable[..., Flask]) -> None:
    client = signed_up(RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="3 per minute").test_client()
    statuses = [sign_in(client, password="not the password", **{"X-Forwarded-For": f"192.0.2.{n}"})
                for n in range(1, 6)]
    assert statuses[-1] == 429, statuses


def test_a_session_copied_before_sign_out_no_longer_works_after_it(signed_up: Callable[..., Flask]) -> None:
    app = signed_up()
    client = app.test_client()
    assert sign_in(client) == 302
    copied = session_cookie(client)
    assert client.get("/sign-out").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", copied, domain="localhost")
    assert replay.get("/inbox").status_code == 302
