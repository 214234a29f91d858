"""The form editor in a real browser (Debian's chromium through Playwright): the preview follows the
admin's typing, drawn by the server as the task page draws it, and the page passes axe-core's WCAG 2.2 AA
checks with the app's CSP in force."""

from __future__ import annotations

import json

import pytest

from tests.admin.conftest import FORMS
from tests.admin.test_editor_browser import page, site  # noqa: F401  (the app served, and an admin's browser)
from tests.axe import violations

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

    assert violations(page, base) == []
    assert page.errors == []
