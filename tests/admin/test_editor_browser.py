"""The diagram editor and instance viewer in a real browser (Debian's chromium through Playwright): the
properties panel writes what the engine reads (a lane's role, a task's form and due date, a service task's
handler), drafts are kept on the server, and the page passes axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from engine import people, versions
from engine.db import Database
from engine.deployment import Diagram
from engine.service import Actor, WorkflowService
from processes import CATALOGUE
from processes.roles import ADMIN
from tests.admin.conftest import DIAGRAMS, FORMS, casework
from tests.axe import violations

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
DRAWN = (DIAGRAMS / "drawn" / "drawn.bpmn").read_text()
PASSWORD = "a long test password"
REVIEW = 'g[data-element-id="review"]'


@pytest.fixture
def site(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[str, WorkflowService]]:
    """The app served on a free port over its own SQLite database, with `drawn` deployed and an admin."""
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (make browser installs it)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    del playwright_api
    from web.app import create_app
    from web.diagrams import bp

    path = tmp_path / "browser.db"
    shutil.copy(sqlite_template, path)
    service = WorkflowService(Database(f"sqlite:///{path}"), CATALOGUE)
    service.deploy([Diagram("drawn.bpmn", DRAWN.encode(), {})], FORMS, Actor.system())
    with service.db.write() as session:
        people.create_user(session, email="admin@example.org", name="Ada Admin", password=PASSWORD, roles=[ADMIN],
                           known_roles=CATALOGUE.roles)
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "test", "SESSION_COOKIE_SECURE": False,
                      "REMEMBER_COOKIE_SECURE": False, "RATELIMIT_ENABLED": False})
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", service
    server.shutdown()
    service.db.dispose()


@pytest.fixture
def page(site: tuple[str, WorkflowService]) -> Iterator[object]:
    """A signed-in admin's page, with the app's CSP in force; its console errors are kept in `page.errors`."""
    from playwright.sync_api import sync_playwright

    base, _service = site
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        page = browser.new_page()
        page.errors = []
        page.on("console", lambda message: message.type == "error" and page.errors.append(
            f"{message.text} at {message.location}"))
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto(f"{base}/sign-in")
        page.fill("#email", "admin@example.org")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("button.govuk-button")
        yield page
        browser.close()


def open_editor(page, base: str, query: str = "process=drawn") -> None:
    page.goto(f"{base}/admin/diagrams/editor?{query}")
    page.wait_for_selector(REVIEW)


def upload(page, base: str, tmp_path: Path, xml: str) -> None:
    path = tmp_path / "drawn.bpmn"
    path.write_text(xml)
    page.goto(f"{base}/admin/diagrams/editor")
    page.wait_for_selector('g[data-element-id="start"]')
    page.set_input_files("#diagram-file", str(path))
    page.wait_for_selector(REVIEW)


def rename_review(page, name: str) -> None:
    """Rename the review task in the properties panel, as an admin does: type, then leave the box."""
    page.click(REVIEW)
    page.fill("#bio-properties-panel-name", name)
    page.press("#bio-properties-panel-name", "Tab")


def deploy(page) -> str:
    page.click("[data-action=deploy]")
    page.wait_for_selector("#diagram-result .govuk-notification-banner, #diagram-result .govuk-error-summary")
    return page.inner_text("#diagram-result")


def test_admin_renames_a_task_in_the_properties_panel_and_deploys_it(site, page):
    base, service = site
    open_editor(page, base)
    rename_review(page, "Review the case")
    assert "Deployed" in deploy(page)
    assert versions_of(service) == [1, 2]
    started = service.start("drawn", {}, Actor.system())
    assert started.opened[0].title == "Review the case"
    page.goto(f"{base}/admin/diagrams/instances/{started.instance_id}")
    page.wait_for_selector('g[data-element-id="review"].app-current')


def test_a_lane_without_a_role_is_outlined_on_the_diagram_and_not_deployed(site, page, tmp_path):
    base, service = site
    upload(page, base, tmp_path, DRAWN.replace('name="Support officer"', 'name="Caseworkers"'))
    page.click("[data-action=deploy]")
    page.wait_for_selector('g[data-element-id="review"].app-problem')
    assert "Caseworkers" in page.inner_text("#diagram-result")
    assert versions_of(service) == [1]


def test_admin_gives_a_lane_its_role_in_the_properties_panel_and_deploys(site, page, tmp_path):
    base, service = site
    upload(page, base, tmp_path, DRAWN.replace('name="Support officer"', 'name="Caseworkers"'))
    lane = page.locator('g[data-element-id="lane_support"]')
    box = lane.bounding_box()
    lane.click(position={"x": box["width"] - 20, "y": box["height"] - 10})  # clear of its tasks
    role = page.locator("#bio-properties-panel-spiff-role")
    # The panel redraws after each change, so each read waits for what it expects.
    expect(role).to_have_value("")  # "Caseworkers" is no role
    assert "Police liaison" in role.locator("option").all_inner_texts()
    role.select_option("Police liaison")
    expect(page.locator("#bio-properties-panel-name")).to_have_value("Police liaison")
    assert "Deployed" in deploy(page)
    assert versions_of(service) == [1, 2]
    assert '<bpmn:lane id="lane_support" name="Police liaison">' in latest_xml(service)


def test_admin_sets_a_user_tasks_form_and_due_date_in_the_properties_panel(site, page):
    base, service = site
    service.deploy([casework("v1")], FORMS, Actor.system())  # deploys the triage form too
    open_editor(page, base)
    # Without a mouse: choose the task from the list of elements.
    page.select_option("#diagram-element", "review")
    form = page.locator("#bio-properties-panel-spiff-form")
    expect(form).to_have_value("note.schema.json")
    form.select_option("triage.schema.json")
    page.fill("#bio-properties-panel-spiff-due-at", 'working_days(setting("triage_due_working_days"))')
    page.press("#bio-properties-panel-spiff-due-at", "Tab")
    assert "Deployed" in deploy(page)
    xml = latest_xml(service)
    assert '<spiffworkflow:property name="formJsonSchemaFilename" value="triage.schema.json" />' in xml
    assert ('<spiffworkflow:property name="dueAt" value="working_days(setting(&#34;triage_due_working_days&#34;))" />'
            in xml)
    assert "note.schema.json" not in xml


def test_admin_chooses_a_service_tasks_handler_in_the_properties_panel(site, page, tmp_path):
    base, service = site
    task = DRAWN[DRAWN.index('<bpmn:userTask id="review"'):DRAWN.index("</bpmn:userTask>") + len("</bpmn:userTask>")]
    upload(page, base, tmp_path, DRAWN.replace(task, '<bpmn:serviceTask id="review" name="Close the case" />'))
    page.click(REVIEW)
    handler = page.locator("#bio-properties-panel-spiff-handler")
    assert set(CATALOGUE.handlers) <= set(handler.locator("option").all_inner_texts())
    handler.select_option("close_case")
    page.fill("#bio-properties-panel-spiff-result-variable", "case_closed")
    page.press("#bio-properties-panel-spiff-result-variable", "Tab")
    assert "Deployed" in deploy(page)
    assert '<spiffworkflow:serviceTaskOperator id="close_case" resultVariable="case_closed" />' in latest_xml(service)


def test_admin_saves_a_draft_and_reopens_it(site, page):
    base, service = site
    open_editor(page, base)
    rename_review(page, "Review, not yet")
    page.click("[data-action=save-draft]")
    link = page.wait_for_selector("#diagram-result .govuk-notification-banner a")
    assert "draft version 1" in link.inner_text()
    link.click()
    page.wait_for_selector(REVIEW)
    assert "You are editing the draft drawn.bpmn" in page.inner_text("#diagram-draft")
    assert "Ada Admin" in page.inner_text("#diagram-draft")
    page.click(REVIEW)
    expect(page.locator("#bio-properties-panel-name")).to_have_value("Review, not yet")
    assert versions_of(service) == [1]  # a draft is not deployed


def test_a_draft_saved_over_a_newer_one_is_refused(site, page):
    base, _service = site
    open_editor(page, base)
    page.click("[data-action=save-draft]")
    page.wait_for_selector("#diagram-result .govuk-notification-banner")
    open_editor(page, base)  # the deployed version again, while a draft of the same file exists
    page.click("[data-action=save-draft]")
    page.wait_for_selector("#diagram-result .govuk-error-summary")
    assert "not saved" in page.inner_text("#diagram-result")


def test_the_editor_passes_axe_and_logs_no_errors(site, page):
    base, _service = site
    open_editor(page, base)
    page.click(REVIEW)
    page.wait_for_selector("#bio-properties-panel-spiff-form")
    assert violations(page, base) == []
    # The CSP blocks the one inline style bpmn-js-properties-panel gives its container (diagrams.css sets
    # that height instead); anything else logged is a fault.
    blocked = [e for e in page.errors if e.startswith("Applying inline style violates")]
    assert len(blocked) <= 1
    assert [e for e in page.errors if e not in blocked] == []


def versions_of(service: WorkflowService) -> list[int]:
    return [v.version for v in reversed(versions.process_versions(service)["drawn"])]


def latest_xml(service: WorkflowService) -> str:
    return versions.version_xml(service, "drawn")[2]


def test_the_palette_and_context_pad_speak_the_services_words(site, page):
    base, _service = site
    open_editor(page, base)
    expect(page.locator(".djs-palette [data-action='hand-tool']")).to_have_attribute("aria-label", "Move the diagram")
    page.click(REVIEW)
    page.wait_for_selector(".djs-context-pad .entry")
    expect(page.locator(".djs-context-pad [data-action='append.append-task']")).to_have_attribute(
        "title", "Add a task after this")
