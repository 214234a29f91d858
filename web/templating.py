"""Filters the templates share: GOV.UK error-summary lists, dates as people read them, overdue tags."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Flask, url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from markupsafe import Markup

from engine import clock
from web.setting_labels import CHOICE_LABELS


def error_list(errors: Mapping[str, str], anchors: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """The error summary's links: each goes to the field it is about."""
    anchors = anchors or {}
    links = []
    for field, message in errors.items():
        anchor = anchors.get(field, field) or "main-content"
        links.append({"text": message, "href": anchor if anchor.startswith("/") else f"#{anchor}"})
    return links


def when(value: datetime | None, with_time: bool = True) -> str:
    if value is None:
        return ""
    if with_time:
        return format_datetime(value, "d MMMM yyyy 'at' h:mma").replace("AM", "am").replace("PM", "pm")
    return format_date(value, "d MMMM yyyy")


def is_overdue(value: datetime | None) -> bool:
    return value is not None and value < clock.now()


def option_item(option: tuple[str, str], current: Any, multiple: bool = False,
                select: bool = False) -> dict[str, Any]:
    """A radio, checkbox or select item for one option, marked if it is the current answer."""
    value, text = option
    chosen = value in current if multiple else value == current
    return {"value": value, "text": text, "selected" if select else "checked": chosen}


def process_item(entry: tuple[str, str], current: str) -> dict[str, Any]:
    process_id, name = entry
    return {"value": process_id, "text": name, "selected": process_id == current}


def person_item(person: Any) -> dict[str, Any]:
    return {"value": str(person.id), "text": person.name}


def role_item(entry: tuple[str, str], chosen: Any) -> dict[str, Any]:
    slug, name = entry
    return {"value": slug, "text": name, "checked": slug in chosen}


def group_item(group: Any, chosen: str) -> dict[str, Any]:
    return {"value": str(group.id), "text": group.name, "selected": str(group.id) == chosen}


def contact_item(person: Any, chosen: int | None) -> dict[str, Any]:
    return {"value": str(person.id), "text": person.name, "selected": person.id == chosen}


def setting_choice(value: str, current: str) -> dict[str, Any]:
    return {"value": value, "text": CHOICE_LABELS.get(value, value), "selected": value == current}


def incident_row(incident: Any) -> list[dict[str, Any]]:
    link = Markup('<a class="govuk-link" href="{}">{}</a>').format(
        url_for("diagrams.instance", instance_id=incident.instance_id),
        _("Process instance %(id)s", id=incident.instance_id))
    return [{"html": link}, {"text": when(incident.created_at)}, {"text": incident.error[:300]}]


def register(app: Flask) -> None:
    for helper in (role_item, group_item, contact_item, setting_choice, incident_row):
        app.add_template_filter(helper)
    app.add_template_filter(process_item)
    app.add_template_filter(person_item)
    app.add_template_filter(option_item)
    app.add_template_filter(error_list)
    app.add_template_filter(when)
    app.add_template_global(is_overdue)
    # markup("<b>{}</b>").format(text): GOV.UK components' `html` parameters, with every value escaped.
    app.add_template_global(Markup, "markup")
