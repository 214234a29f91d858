"""The whole journey in a real browser (Debian's chromium through Playwright), with axe-core checking
every page against WCAG 2.2 AA: a councillor reports a death threat, the support officer claims and
triages it, the police liaison's task appears, and the councillor sees the case move on."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.axe import AXE, violations
from tests.web.conftest import PASSWORD, TEST_DIAGRAMS, app_config, seed_people
from web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.browser


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (make test installs Debian's chromium)"
    if not AXE.exists():
        return f"{AXE} is missing (run npm ci)"
    return None


@pytest.fixture
def browser() -> Iterator[object]:
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI runs the browser tests.")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server(database, tmp_path) -> Iterator[str]:
    app = create_app(app_config(database, tmp_path))
    app.extensions["workflow"].deploy_folder(TEST_DIAGRAMS)
    seed_people(database)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join()


class Visitor:
    """One person in their own browser context, checking every page they land on with axe-core."""

    def __init__(self, browser: object, base: str) -> None:
        # axe is injected as an inline script, which the app's CSP (rightly) refuses; only the test bypasses it.
        self.context = browser.new_context(bypass_csp=True)  # type: ignore[attr-defined]
        self.page = self.context.new_page()
        self.base = base
        self.checked: list[str] = []

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.check()

    def check(self) -> None:
        found = violations(self.page)
        assert found == [], f"{self.page.url}: {found}"
        self.checked.append(self.page.url)

    def sign_in(self, email: str) -> None:
        self.go("/sign-in")
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.check()

    def choose(self, label: str) -> None:
        self.page.get_by_label(label, exact=True).check()

    def next(self, name: str = "Continue") -> None:
        self.page.get_by_role("button", name=name).click()
        self.check()


def test_a_death_threat_goes_from_report_to_police_liaison(browser, server):
    councillor = Visitor(browser, server)
    councillor.sign_in("councillor@example.org")
    councillor.go("/report")
    councillor.page.get_by_role("button", name="Start now").click()
    councillor.check()
    warning = councillor.page.locator(".app-danger")
    assert not warning.is_visible()
    councillor.choose("Yes")
    expect(warning).to_be_visible()  # at once, before the page is sent
    councillor.next()
    assert councillor.page.locator(".app-danger").is_visible()
    councillor.page.get_by_label("Day").fill("3")
    councillor.page.get_by_label("Month").fill("3")
    councillor.page.get_by_label("Year").fill("2026")
    councillor.next()
    councillor.choose("At my home")
    councillor.next()
    councillor.choose("A member of the public")
    councillor.next()
    councillor.page.get_by_label("What happened?").fill("A note through my door said they would kill me.")
    councillor.next()
    councillor.next()  # no evidence
    councillor.choose("No")
    councillor.next()
    councillor.page.get_by_role("group", name="Can we share this with your political group").get_by_label(
        "Yes").check()
    councillor.page.get_by_role("group", name="Can we share this with the police").get_by_label("Yes").check()
    councillor.next()
    assert "Check your answers" in councillor.page.title()
    councillor.next("Send report")
    reference = councillor.page.locator(".govuk-panel strong").inner_text()
    assert reference.startswith("CS-")

    officer = Visitor(browser, server)
    officer.sign_in("support-officer@example.org")
    officer.go("/inbox?tab=claimable")
    officer.page.get_by_role("button", name=f"Claim Acknowledge and triage {reference}").click()
    officer.check()
    officer.choose("Severe")
    officer.page.get_by_label("Advice given (optional)").fill("Call 999 if they return. Keep the note.")
    officer.next("Complete task")
    assert "Next step: “Refer to police”" in officer.page.locator(".govuk-notification-banner").inner_text()

    police = Visitor(browser, server)
    police.sign_in("police-liaison@example.org")
    police.go("/inbox?tab=claimable")
    assert police.page.get_by_role("link", name="Refer to police").is_visible()

    councillor.go(f"/cases/{reference}")
    page = councillor.page.locator("main").inner_text()
    assert "Done: Acknowledge and triage" in page
    assert "Your police liaison is working on: Refer to police" in page
    assert "Keep the note" not in page  # the officer's advice is on their record, not in the councillor's view


class KeyboardVisitor(Visitor):
    """A visitor who only uses the keyboard: Tab to move (focus stands for a run of Tabs), Space to choose,
    Enter to send, and typing into what has focus."""

    def sign_in(self, email: str) -> None:
        keys = self.page.keyboard
        self.go("/sign-in")
        self.page.get_by_label("Email address").focus()
        keys.type(email)
        keys.press("Tab")
        keys.type(PASSWORD)
        with self.page.expect_navigation():
            keys.press("Enter")
        self.check()

    def choose(self, label: str, within: str | None = None) -> None:
        scope = self.page.get_by_role("group", name=within) if within else self.page
        scope.get_by_label(label, exact=True).focus()
        self.page.keyboard.press("Space")

    def type_into(self, label: str, text: str) -> None:
        self.page.get_by_label(label).focus()
        self.page.keyboard.type(text)

    def send(self, button: str = "Continue") -> None:
        self.page.get_by_role("button", name=button).focus()
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
        self.check()


def test_the_whole_journey_can_be_done_with_the_keyboard_alone(browser, server):
    councillor = KeyboardVisitor(browser, server)
    councillor.sign_in("councillor@example.org")
    councillor.go("/report/danger")
    councillor.choose("Yes")
    assert councillor.page.locator(".app-danger").is_visible()
    councillor.send()
    councillor.type_into("Day", "3")
    councillor.page.keyboard.press("Tab")
    councillor.page.keyboard.type("3")
    councillor.page.keyboard.press("Tab")
    councillor.page.keyboard.type("2026")
    councillor.send()
    councillor.choose("At my home")
    councillor.send()
    councillor.choose("A member of the public")
    councillor.send()
    councillor.type_into("What happened?", "A note through my door said they would kill me.")
    councillor.send()
    councillor.send()  # no evidence
    councillor.choose("No")
    councillor.send()
    councillor.choose("Yes", within="Can we share this with your political group")
    councillor.choose("Yes", within="Can we share this with the police")
    councillor.send()
    assert "Check your answers" in councillor.page.title()
    councillor.send("Send report")
    reference = councillor.page.locator(".govuk-panel strong").inner_text()
    assert reference.startswith("CS-")

    officer = KeyboardVisitor(browser, server)
    officer.sign_in("support-officer@example.org")
    officer.go("/inbox?tab=claimable")
    officer.send(f"Claim Acknowledge and triage {reference}")
    officer.choose("Severe")
    officer.type_into("Advice given (optional)", "Call 999 if they return. Keep the note.")
    officer.send("Complete task")
    assert "Next step: “Refer to police”" in officer.page.locator(".govuk-notification-banner").inner_text()

    councillor.go(f"/cases/{reference}")
    assert "Your police liaison is working on: Refer to police" in councillor.page.locator("main").inner_text()
