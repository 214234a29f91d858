"""Date helpers the diagrams call besides the engine's: months, days since a date, and working days
before a date (the meeting checklist is due before the meeting, not after now)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from engine import clock
from engine.working_time import LONDON, WorkingCalendar


def calendar_months(n: int) -> str:
    """The moment `n` calendar months from now, as ISO 8601 text."""
    return (clock.now() + relativedelta(months=int(n))).isoformat()


def is_past(moment: str) -> bool:
    """True once an ISO 8601 instant has passed."""
    return clock.parse_instant(moment) <= clock.now()


def days_since(day: str) -> int:
    """Whole days from an ISO date (e.g. the date of a loss) to today in London."""
    return (clock.now().astimezone(LONDON).date() - date.fromisoformat(day)).days


def working_days_before(day: str, n: int, region: str = "england-and-wales") -> str:
    """Opening time on the working day `n` working days before the ISO date `day`."""
    calendar = WorkingCalendar(region)
    current = date.fromisoformat(day)
    remaining = int(n)
    while remaining > 0:
        current -= timedelta(days=1)
        if calendar.is_working_day(current):
            remaining -= 1
    return datetime.combine(current, calendar.opens, tzinfo=LONDON).astimezone(UTC).isoformat()


HELPERS: dict[str, Any] = {"calendar_months": calendar_months, "is_past": is_past, "days_since": days_since,
                           "working_days_before": working_days_before}


