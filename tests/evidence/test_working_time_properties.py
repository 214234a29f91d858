"""Property tests of deadline arithmetic in working time, over years of dates including the clock changes
and bank holidays of each part of the UK: adding office hours only ever moves forward, always lands in
office hours on a working day, and adding in two steps is the same as adding at once."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import holidays
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.working_time import REGIONS, WorkingCalendar

LONDON = ZoneInfo("Europe/London")
CALENDARS = st.sampled_from([WorkingCalendar(region) for region in REGIONS])
# Any instant over several years, seconds and all.
INSTANTS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))
# Whole minutes, as diagrams ask (4 hours, 2.5 working days); up to about six weeks of office time.
HOURS = st.integers(min_value=0, max_value=60 * 8 * 30).map(lambda minutes: minutes / 60)
POSITIVE_HOURS = st.integers(min_value=1, max_value=60 * 8 * 30).map(lambda minutes: minutes / 60)

# The Fridays before the clocks change, the change itself, and a bank holiday weekend.
SPRING_FORWARD = datetime(2025, 3, 28, 15, 30, tzinfo=UTC)
SPRING_NIGHT = datetime(2025, 3, 30, 0, 59, tzinfo=UTC)
FALL_BACK = datetime(2025, 10, 24, 15, 30, tzinfo=UTC)
FALL_NIGHT = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
EASTER = datetime(2026, 4, 2, 16, 45, tzinfo=UTC)
ENGLAND = WorkingCalendar("england-and-wales")


def bank_holidays(calendar: WorkingCalendar, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv=REGIONS[calendar.region], years=year)


@settings(max_examples=300, deadline=None)
@given(CALENDARS, INSTANTS, HOURS)
@example(ENGLAND, SPRING_FORWARD, 8.0)
@example(ENGLAND, SPRING_NIGHT, 1.0)
@example(ENGLAND, FALL_BACK, 16.0)
@example(ENGLAND, FALL_NIGHT, 0.0)
@example(ENGLAND, EASTER, 4.0)
def test_the_deadline_is_in_office_hours_on_a_working_day_never_a_bank_holiday(calendar, start, hours):
    deadline = calendar.add_working_hours(start, hours)
    local = deadline.astimezone(LONDON)
    assert deadline.tzinfo is not None and deadline >= start
    assert local.weekday() < 5
    assert local.date() not in bank_holidays(calendar, local.year)
    assert time(9) <= local.time() <= time(17)


@settings(max_examples=300, deadline=None)
@given(CALENDARS, INSTANTS, HOURS, HOURS)
@example(ENGLAND, SPRING_FORWARD, 1.0, 2.0)
@example(ENGLAND, FALL_BACK, 0.5, 8.0)
def test_more_hours_never_give_an_earlier_deadline(calendar, start, some, more):
    fewer, greater = sorted((some, more))
    assert calendar.add_working_hours(start, fewer) <= calendar.add_working_hours(start, greater)
    if fewer < greater:
        assert calendar.add_working_hours(start, fewer) < calendar.add_working_hours(start, greater)


@settings(max_examples=300, deadline=None)
@given(CALENDARS, INSTANTS, INSTANTS, HOURS)
@example(ENGLAND, SPRING_NIGHT, SPRING_FORWARD, 3.0)
def test_a_later_start_never_gives_an_earlier_deadline(calendar, one, other, hours):
    earlier, later = sorted((one, other))
    assert calendar.add_working_hours(earlier, hours) <= calendar.add_working_hours(later, hours)


@settings(max_examples=300, deadline=None)
@given(CALENDARS, INSTANTS, HOURS, POSITIVE_HOURS)
@example(ENGLAND, SPRING_FORWARD, 1.5, 8.0)
@example(ENGLAND, FALL_BACK, 0.0, 24.0)
@example(ENGLAND, datetime(2026, 6, 8, 8, tzinfo=UTC), 8.0, 0.25)  # the first step ends at 17:00 exactly
@example(ENGLAND, EASTER, 0.25, 0.5)
def test_adding_in_two_steps_is_the_same_as_adding_at_once(calendar, start, first, then):
    # `then` is positive: zero hours from 17:00 is the next opening, not 17:00 itself (see below).
    in_steps = calendar.add_working_hours(calendar.add_working_hours(start, first), then)
    assert in_steps == calendar.add_working_hours(start, first + then)


def test_zero_hours_from_closing_time_is_the_next_opening():
    # Monday 8 June 2026, 17:00 BST: a deadline "now" at closing time falls when the office next opens.
    closing = datetime(2026, 6, 8, 16, tzinfo=UTC)
    assert ENGLAND.add_working_hours(closing, 0) == datetime(2026, 6, 9, 8, tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(CALENDARS, INSTANTS, st.integers(min_value=0, max_value=20), st.integers(min_value=1, max_value=20))
@example(ENGLAND, FALL_BACK, 1, 1)
def test_working_days_add_up_like_hours(calendar, start, days, more_days):
    in_steps = calendar.add_working_days(calendar.add_working_days(start, days), more_days)
    assert in_steps == calendar.add_working_days(start, days + more_days)
    assert calendar.add_working_days(start, days) == calendar.add_working_hours(start, days * 8)
