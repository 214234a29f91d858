"""Deadline arithmetic in the council's working time: office hours on working days in Europe/London,
skipping bank holidays of the chosen part of the UK (bundled data, no network)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from engine import clock

LONDON = ZoneInfo("Europe/London")
REGIONS = {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}


class WorkingCalendar:
    """Office hours (default 09:00 to 17:00) on weekdays that are not bank holidays in `region`."""

    def __init__(self, region: str = "england-and-wales", opens: time = time(9), closes: time = time(17)) -> None:
        if region not in REGIONS:
            raise ValueError(f"Unknown bank holiday region {region!r}; choose one of {', '.join(REGIONS)}.")
        self.region = region
        self.opens = opens
        self.closes = closes

    @property
    def hours_per_day(self) -> float:
        return (datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)).seconds / 3600

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _bank_holidays(REGIONS[self.region], day.year)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` of office time after `start` (which may be outside office hours)."""
        remaining = timedelta(hours=hours)
        local = clock.parse_instant(start).astimezone(LONDON)
        day = local.date()
        moment = local.replace(tzinfo=None)
        while True:
            if self.is_working_day(day):
                opens, closes = datetime.combine(day, self.opens), datetime.combine(day, self.closes)
                begin = max(moment, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return (begin + remaining).replace(tzinfo=LONDON).astimezone(clock.UTC)
                    remaining -= available
            day += timedelta(days=1)
            moment = datetime.combine(day, time.min)

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """`days` whole office days later: reported at 14:00 on a Monday, one working day is 14:00 Tuesday."""
        return self.add_working_hours(start, days * self.hours_per_day)


@lru_cache(maxsize=64)
def _bank_holidays(subdivision: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=year))


def deadline_helpers(calendar: WorkingCalendar | Callable[[], WorkingCalendar]) -> dict[str, object]:
    """The functions diagram expressions call for due dates and timers; each returns ISO 8601 text.
    `calendar` may be a function, so the council's calendar is only looked up when a deadline needs it."""
    calendar_of = calendar if callable(calendar) else lambda: calendar

    def working_days(n: float) -> str:
        return calendar_of().add_working_days(clock.now(), n).isoformat()

    def working_hours(n: float) -> str:
        return calendar_of().add_working_hours(clock.now(), n).isoformat()

    def calendar_hours(n: float) -> str:
        return (clock.now() + timedelta(hours=n)).isoformat()

    def calendar_days(n: float) -> str:
        return (clock.now() + timedelta(days=n)).isoformat()

    def every_days(n: int, times: int | None = None) -> str:
        return f"R{'' if times is None else int(times)}/P{int(n)}D"

    return {"working_days": working_days, "working_hours": working_hours, "calendar_hours": calendar_hours,
            "calendar_days": calendar_days, "every_days": every_days}
