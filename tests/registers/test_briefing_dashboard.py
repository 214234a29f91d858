"""The briefing dashboard: anonymised figures from cases run through the real diagrams, small numbers
suppressed, the CSV equal to the page, and the date range checked."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient

from processes import briefing
from processes.roles import DEMOCRATIC_SERVICES, MONITORING_OFFICER, ROLES
from tests.processes.casework import Runner

Client = Callable[[str | None], FlaskClient]
BRIEFING_ROLES = {DEMOCRATIC_SERVICES, MONITORING_OFFICER}


def known_cases(run: Runner) -> None:
    """Six harassment cases triaged at once in March, two online-abuse cases triaged late in April (one by
    a perpetrator seen in March), and one April case not yet triaged."""
    for number in range(6):
        outcome = run.report(perpetrator_handle="@repeat" if number == 0 else f"@person{number}")
        run.triage(outcome.case_id, category="harassment", severity="medium")
    run.clock.move_to("2026-04-06T10:00:00+00:00")
    late = [run.report(perpetrator_handle="@repeat"), run.report(perpetrator_handle="@someone_else")]
    run.clock.shift(timedelta(days=3))
    for outcome in late:
        run.triage(outcome.case_id, category="online_abuse", severity="high")
    run.report(perpetrator_handle="@not_yet")


def test_figures_count_what_the_cases_hold(run: Runner) -> None:
    known_cases(run)
    with run.service.db.read() as session:
        found = briefing.figures(session, date(2026, 3, 1), date(2026, 4, 30))
    assert found.cases == 9
    assert found.by_month == {"2026-03": 6, "2026-04": 3}
    assert found.by_category == {"harassment": 6, "online_abuse": 2}
    assert found.by_severity == {"medium": 6, "high": 2}
    assert found.by_source == {"external": 8}
    assert found.not_triaged == 1
    assert (found.triaged, found.triaged_on_time, found.share_triaged_on_time) == (8, 6, 75)
    assert found.median_hours_to_triage == 0.0
    assert found.repeat_perpetrators == 1
    assert found.active_wellbeing_support == 0


def test_a_period_counts_only_cases_opened_in_it(run: Runner) -> None:
    known_cases(run)
    with run.service.db.read() as session:
        april = briefing.figures(session, date(2026, 4, 1), date(2026, 4, 30))
    assert april.cases == 3 and april.by_category == {"online_abuse": 2}
    assert april.repeat_perpetrators == 1  # seen in March too, and again in April


def test_active_wellbeing_support_counts_cases_with_support_under_way(run: Runner) -> None:
    outcome = run.report(wellbeing_support="yes")
    run.triage(outcome.case_id)
    run.do("First contact", {"support_offered": ["peer_support"], "check_ins_wanted": "yes"}, outcome.case_id)
    ended = run.report(wellbeing_support="yes")
    run.triage(ended.case_id)
    run.do("First contact", {"support_offered": ["peer_support"], "check_ins_wanted": "no"}, ended.case_id)
    with run.service.db.read() as session:
        assert briefing.figures(session, date(2026, 3, 1), date(2026, 3, 31)).active_wellbeing_support == 1


def test_dashboard_is_for_democratic_services_and_the_monitoring_officer_only(client_as: Client) -> None:
    for role in ROLES:
        expected = 200 if role in BRIEFING_ROLES else 403
        assert client_as(role).get("/briefings").status_code == expected, role
        assert client_as(role).get("/briefings/figures.csv").status_code == expected, role
    assert client_as(None).get("/briefings").status_code == 302


def page_figures(page: str) -> list[list[str]]:
    rows = []
    for table in re.findall(r'<table class="govuk-table" id="table-\w+">(.*?)</table>', page, re.S):
        title = re.search(r"<caption[^>]*>(.*?)</caption>", table, re.S).group(1).strip()
        for label, value in re.findall(r'<th scope="row"[^>]*>(.*?)</th>\s*<td[^>]*>(.*?)</td>', table, re.S):
            rows.append([html.unescape(title), html.unescape(label.strip()), html.unescape(value.strip())])
    return rows


def test_small_numbers_are_shown_as_fewer_than_five(run: Runner, client_as: Client) -> None:
    known_cases(run)
    page = client_as(DEMOCRATIC_SERVICES).get("/briefings").get_data(as_text=True)
    figures = page_figures(page)
    assert ["Cases by category", "Harassment", "6"] in figures
    assert ["Cases by category", "Online abuse", "fewer than 5"] in figures
    assert ["Cases by month", "March 2026", "6"] in figures
    assert ["Cases by month", "April 2026", "fewer than 5"] in figures
    assert ["Overview", "Cases opened", "9"] in figures
    assert ["Overview", "Triaged on time", "75%"] in figures
    assert ["Overview", "Repeat perpetrators", "fewer than 5"] in figures
    assert ["Overview", "Councillors with wellbeing support now", "fewer than 5"] in figures
    assert not any(cell in {"1", "2", "3", "4"} for row in figures for cell in row[2:])
    assert 'role="img"' in page and "<title id=\"chart-category-title\">Cases by category</title>" in page
    assert "@repeat" not in page and "CS-2026" not in page


def test_csv_export_holds_exactly_the_figures_on_the_page(run: Runner, client_as: Client) -> None:
    known_cases(run)
    client = client_as(MONITORING_OFFICER)
    query = "?from-day=1&from-month=3&from-year=2026&to-day=30&to-month=4&to-year=2026"
    page = client.get("/briefings" + query).get_data(as_text=True)
    response = client.get("/briefings/figures.csv" + query)
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[:3] == [["Section", "Figure", "Value"], ["Period", "From", "2026-03-01"],
                        ["Period", "To", "2026-04-30"]]
    assert rows[3:] == page_figures(page)
    assert len(rows[3:]) > 10


@pytest.mark.parametrize(("query", "field", "message"), [
    ("from-day=31&from-month=2&from-year=2026&to-day=1&to-month=4&to-year=2026", "from-day",
     "The start date must be a real date"),
    ("from-day=1&from-month=&from-year=2026&to-day=1&to-month=4&to-year=2026", "from-day",
     "The start date must include a month"),
    ("from-day=1&from-month=3&from-year=2026&to-day=&to-month=&to-year=", "to-day", "Enter the end date"),
    ("from-day=1&from-month=5&from-year=2026&to-day=1&to-month=4&to-year=2026", "to-day",
     "The end date must be the same as or after the start date"),
    ("from-day=1&from-month=3&from-year=26&to-day=1&to-month=4&to-year=2026", "from-day",
     "The start date must be a real date"),
])
def test_a_wrong_date_range_is_refused_with_a_message_naming_the_date(client_as: Client, query: str, field: str,
                                                                      message: str) -> None:
    for path in ("/briefings", "/briefings/figures.csv"):
        response = client_as(DEMOCRATIC_SERVICES).get(f"{path}?{query}")
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert message in page and f'href="#{field}"' in page
        assert "Cases by category" not in page


def test_briefing_task_links_to_the_dashboard_for_the_period_it_summarises(run: Runner, client_as: Client) -> None:
    instance = run.start("briefing_cycle").instance_id
    run.wake_next(instance)
    task = run.task("Prepare councillor briefing", instance_id=instance)
    response = client_as(DEMOCRATIC_SERVICES).get(f"/briefings/tasks/{task.id}")
    assert response.status_code == 302
    assert response.location.endswith("/briefings?from-day=2&from-month=3&from-year=2026"
                                      "&to-day=2&to-month=6&to-year=2026")
    assert client_as(MONITORING_OFFICER).get(f"/briefings/tasks/{task.id}").status_code == 404
