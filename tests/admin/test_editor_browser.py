"""The diagram editor and instance viewer in a real browser (Debian's chromium through Playwright)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from engine import people
from engine.db import Database
from engine.deployment import Diagram
from engine.service import Actor, WorkflowService
from processes import CATALOGUE
from processes.roles import ADMIN

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
DIAGRAMS = Path(__file__).parent / "diagrams"
DRAWN = (DIAGRAMS / "drawn" / "drawn.bpmn").read_text()
PASSWORD = "a long test password"


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
    forms = {"note.schema.json": (DIAGRAMS / "forms" / "note.schema.json").read_text()}
    import json

    service.deploy([Diagram("drawn.bpmn", DRAWN.encode(), {})], {k: json.loads(v) for k, v in forms.items()},
                   Actor.system())
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
    from playwright.sync_api import sync_playwright

    base, _service = site
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        page = browser.new_page()
        page.goto(f"{base}/sign-in")
        page.fill("#email", "admin@example.org")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("button.govuk-button")
        yield page
        browser.close()


def test_admin_renames_a_task_in_the_editor_and_deploys_it(site, page):
    base, service = site
    page.goto(f"{base}/admin/diagrams/editor?process=drawn")
    page.click('g[data-element-id="review"]')
    page.fill("#prop-name", "Review the case")
    page.press("#prop-name", "Tab")
    page.click("[data-action=deploy]")
    page.wait_for_selector("#diagram-result .govuk-notification-banner")
    assert versions_of(service) == [1, 2]
    started = service.start("drawn", {}, Actor.system())
    assert started.opened[0].title == "Review the case"
    page.goto(f"{base}/admin/diagrams/instances/{started.instance_id}")
    page.wait_for_selector('g[data-element-id="review"].app-current')


def test_a_lane_without_a_role_is_outlined_on_the_diagram_and_not_deployed(site, page, tmp_path):
    base, service = site
    upload = tmp_path / "drawn.bpmn"
    upload.write_text(DRAWN.replace('name="Support officer"', 'name="Caseworkers"'))
    page.goto(f"{base}/admin/diagrams/editor")
    page.set_input_files("#diagram-file", str(upload))
    page.wait_for_selector('g[data-element-id="review"]')
    page.click("[data-action=deploy]")
    page.wait_for_selector('g[data-element-id="review"].app-problem')
    assert "Caseworkers" in page.inner_text("#diagram-result")
    assert versions_of(service) == [1]


def versions_of(service: WorkflowService) -> list[int]:
    from engine import versions

    return [v.version for v in reversed(versions.process_versions(service)["drawn"])]
