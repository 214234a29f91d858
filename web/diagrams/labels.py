"""What each kind of change in a version diff is called on the page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


def change_labels() -> dict[str, str]:
    return {
        "name": _l("name"), "lane": _l("lane (role)"), "properties": _l("form or due date"),
        "connections": _l("connections"), "conditions": _l("conditions"), "event": _l("event or timer"),
        "script": _l("script"), "service": _l("service task"), "type": _l("type of element"),
        "documentation": _l("documentation"), "called process": _l("called process"),
    }
