"""The form editor in a real browser (Debian's chromium through Playwright): the preview follows the
admin's typing, drawn by the server as the task page draws it, and the page passes axe-core's WCAG 2.2 AA
checks with the app's CSP in force."""

from __future__ import annotations

import json

import pytest

from tests.admin.conftest import FORMS
from tests.admin.test_editor_browser import page, site  # noqa: F401  (the app served, and an admin's browser)
from tests.web.test_browser import AXE, WCAG_22_AA

pytestmark = pytest.mark.browser


def test_typing_in_the_schema_updates_the_preview(site, page):  # noqa: F811
    base, _service = site
    page.goto(f"{base}/admin/diagrams/forms/note.schema.json")
    page.wait_for_selector("#form-preview label:has-text('Note')")
    changed = {**FORMS["note.schema.json"], "properties": {
        "outcome": {"title": "How did the call go?", "description": "A sentence is enough.", "type": "string",
                    "enum": ["well", "badly"]}}}
    page.fill("#form-schema", json.dumps(changed, indent=2))
    page.wait_for_selector("#form-preview legend:has-text('How did the call go?')")
    assert page.locator("#form-preview .govuk-radios__input").count() == 2
    assert "A sentence is enough." in page.inner_text("#form-preview")

    page.fill("#form-schema", '{\n  "type": "object",\n  "properties": {"outcome": {"type": "strin"}}\n}')
    page.wait_for_selector("#form-preview .govuk-warning-text")
    assert "line 3" in page.inner_text("#form-preview")
    page.wait_for_selector("#form-preview-status:has-text('problems')", state="attached")

    # axe comes from the app's own origin, so the page's CSP stays in force while it runs.
    page.route(f"{base}/axe.min.js", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
    page.add_script_tag(url=f"{base}/axe.min.js")
    violations = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))",
        WCAG_22_AA)
    assert violations == []
    assert page.errors == []
