"""axe-core's WCAG 2.2 AA checks on the page a browser test has open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_VIOLATIONS = ("async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
               ".map(v => v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))")


def violations(page: Any, base: str | None = None) -> list[str]:
    """Each WCAG 2.2 AA violation on the page. Given the site's `base`, axe is served from the site's own
    origin so the page's content security policy stays in force; otherwise it is injected inline, which
    only a browser context that bypasses the CSP allows."""
    page.wait_for_load_state()  # a click that navigates returns once the next page starts, not once it is there
    if base is None:
        page.add_script_tag(path=str(AXE))
    else:
        page.route(f"{base}/axe.min.js", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
        page.add_script_tag(url=f"{base}/axe.min.js")
    return page.evaluate(_VIOLATIONS, WCAG_22_AA)
