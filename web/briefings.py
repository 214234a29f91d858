"""The briefing dashboard for Democratic services and leaders: anonymised figures for a period, as charts
with their tables beside them and as CSV. Counts below five are shown as "fewer than 5" on the page and in
the CSV alike, since both are built from the same rows."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from engine import clock
from processes import briefing
from processes.roles import BRIEFING_ROLES
from web.access import database, me, require, workflow

BRIEFING_PROCESS = "briefing_cycle"
PARTS = ("day", "month", "year")

bp = Blueprint("briefings", __name__, url_prefix="/briefings")


@bp.before_request
@login_required
def _briefing_roles_only() -> None:
    require(bool(me().roles & BRIEFING_ROLES))


@dataclass(frozen=True)
class Row:
    label: str
    value: float | None
    """None when suppressed or not known: then no bar is drawn."""
    text: str


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    rows: list[Row]
    chart: bool


def _labels() -> dict[str, str]:
    return {
        "online_abuse": _("Online abuse"), "harassment": _("Harassment"), "intimidation": _("Intimidation"),
        "threat_of_violence": _("Threat of violence"), "threat_to_life": _("Threat to life"),
        "stalking": _("Stalking"), "criminal_damage": _("Criminal damage"), "hate_incident": _("Hate incident"),
        "other": _("Other"), "low": _("Low"), "medium": _("Medium"), "high": _("High"), "severe": _("Severe"),
        "external": _("External"), "internal": _("Internal"), "no_further_action": _("No further action"),
        "words_of_advice": _("Words of advice"), "caution": _("Caution"), "charged": _("Charged"),
        "court_outcome": _("Court outcome"), "withdrawn": _("Withdrawn"), "unknown": _("Not recorded"),
    }


def _count(label: str, count: int) -> Row:
    if briefing.suppressed(count):
        return Row(label, None, _("fewer than 5"))
    return Row(label, count, str(count))


def sections(found: briefing.Figures) -> list[Section]:
    """Every figure the page and the CSV show, suppression applied."""
    labels = _labels()
    share, hours = found.share_triaged_on_time, found.median_hours_to_triage
    small = briefing.suppressed(found.triaged)
    overview = [
        _count(_("Cases opened"), found.cases),
        _count(_("Cases triaged"), found.triaged),
        _count(_("Cases not yet triaged"), found.not_triaged),
        Row(_("Triaged on time"), None, _("fewer than 5") if small else
            _("not known") if share is None else _("%(share)d%%", share=share)),
        Row(_("Median time to triage"), None, _("fewer than 5") if small else
            _("not known") if hours is None else _("%(hours)s hours", hours=hours)),
        _count(_("Councillors with wellbeing support now"), found.active_wellbeing_support),
        _count(_("Repeat perpetrators"), found.repeat_perpetrators),
    ]

    def chart(key: str, title: str, counts: dict[str, int], label: Any) -> Section:
        return Section(key, title, [_count(label(k), v) for k, v in counts.items()], chart=True)

    def month(key: str) -> str:
        year, number = key.split("-")
        return format_date(date(int(year), int(number), 1), "MMMM yyyy")

    return [
        Section("overview", _("Overview"), overview, chart=False),
        chart("month", _("Cases by month"), found.by_month, month),
        chart("category", _("Cases by category"), found.by_category, lambda k: labels.get(k, k)),
        chart("severity", _("Cases by severity"), found.by_severity, lambda k: labels.get(k, k)),
        chart("source", _("Cases by source"), found.by_source, lambda k: labels.get(k, k)),
        chart("police", _("Police outcomes"), found.police_outcomes, lambda k: labels.get(k, k)),
    ]


def bars(section: Section) -> dict[str, Any]:
    """Geometry for a horizontal bar chart of the section's rows (suppressed rows get no bar)."""
    largest = max((r.value for r in section.rows if r.value), default=0) or 1
    row_height, label_width, bar_width = 32, 190, 300
    return {"width": label_width + bar_width + 110, "height": row_height * len(section.rows) + 8,
            "rows": [{"y": 4 + i * row_height, "label": r.label, "text": r.text,
                      "length": round(bar_width * (r.value or 0) / largest), "x": label_width}
                     for i, r in enumerate(section.rows)]}


def _date(args: MultiDict[str, str], name: str, title: str) -> tuple[date | None, str | None]:
    values = {part: args.get(f"{name}-{part}", "").strip() for part in PARTS}
    if not any(values.values()):
        return None, _("Enter the %(date)s", date=title)
    missing = [part for part in PARTS if not values[part]]
    if missing:
        words = {"day": _("a day"), "month": _("a month"), "year": _("a year")}
        return None, _("The %(date)s must include %(part)s", date=title, part=words[missing[0]])
    if not all(v.isdigit() for v in values.values()) or len(values["year"]) != 4:
        return None, _("The %(date)s must be a real date", date=title)
    try:
        return date(int(values["year"]), int(values["month"]), int(values["day"])), None
    except ValueError:
        return None, _("The %(date)s must be a real date", date=title)


def period(args: MultiDict[str, str]) -> tuple[date | None, date | None, dict[str, str]]:
    """The period asked for (the last twelve months if none), or the errors naming each date field."""
    today = clock.now().date()
    if not any(args.get(f"{n}-{p}") for n in ("from", "to") for p in PARTS):
        return today.replace(day=1) - relativedelta(months=11), today, {}
    errors: dict[str, str] = {}
    start, problem = _date(args, "from", _("start date"))
    if problem:
        errors["from"] = problem
    end, problem = _date(args, "to", _("end date"))
    if problem:
        errors["to"] = problem
    if start and end and start > end:
        errors["to"] = _("The end date must be the same as or after the start date")
    return start, end, errors


def _query(start: date, end: date) -> dict[str, int]:
    return {"from-day": start.day, "from-month": start.month, "from-year": start.year,
            "to-day": end.day, "to-month": end.month, "to-year": end.year}


def _figures(start: date, end: date) -> briefing.Figures:
    with database().read() as session:
        return briefing.figures(session, start, end)


@bp.get("")
def dashboard() -> tuple[str, int]:
    start, end, errors = period(request.args)
    found = _figures(start, end) if start and end and not errors else None
    values = {f"{n}-{p}": request.args.get(f"{n}-{p}", "") for n in ("from", "to") for p in PARTS}
    if start and end and not errors and not any(values.values()):
        values = {k: str(v) for k, v in _query(start, end).items()}
    return render_template("briefings/dashboard.html", figures=found, sections=sections(found) if found else [],
                           bars=bars, values=values, form_errors=errors,
                           anchors={"from": "from-day", "to": "to-day"},
                           csv_url=url_for("briefings.export", **_query(start, end)) if found and start and end
                           else None), 400 if errors else 200


@bp.get("/figures.csv")
def export() -> Response | tuple[str, int]:
    start, end, errors = period(request.args)
    if errors or not start or not end:
        return dashboard()
    found = _figures(start, end)
    return Response(to_csv(found), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=briefing-{start}-to-{end}.csv"})


def to_csv(found: briefing.Figures) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Section"), _("Figure"), _("Value")])
    writer.writerow([_("Period"), _("From"), found.period_from.isoformat()])
    writer.writerow([_("Period"), _("To"), found.period_to.isoformat()])
    for section in sections(found):
        for row in section.rows:
            writer.writerow([section.title, _safe(row.label), _safe(row.text)])
    return out.getvalue()


def _safe(cell: str) -> str:
    # A cell starting like a formula would run as one in a spreadsheet.
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@") else cell


@bp.get("/tasks/<task_id>")
def for_task(task_id: str) -> Response:
    """From the quarterly briefing task to the dashboard for the period its summary covers."""
    row, _schema, _ui = workflow().task(task_id, me().actor)
    if row.process_id != BRIEFING_PROCESS:
        abort(404)
    summary = workflow().instance_data(row.instance_id).get("briefing_summary") or {}
    try:
        start, end = date.fromisoformat(summary["period_from"]), date.fromisoformat(summary["period_to"])
    except (KeyError, TypeError, ValueError):
        return redirect(url_for("briefings.dashboard"))
    return redirect(url_for("briefings.dashboard", **_query(start, end)))
