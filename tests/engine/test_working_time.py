"""Deadlines in working time: office hours on working days in London, skipping the bank holidays of the
council's part of the UK."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from engine.working_time import WorkingCalendar, deadline_helpers

ENGLAND = WorkingCalendar("england-and-wales")
SCOTLAND = WorkingCalendar("scotland")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_one_working_day_from_a_weekday_is_the_same_time_next_day():
    # Tuesday 9 June 2026, 14:00 BST.
    assert ENGLAND.add_working_days(utc(2026, 6, 9, 13), 1) == utc(2026, 6, 10, 13)


def test_a_weekend_is_skipped():
    # Friday 12 June 2026, 16:00 BST -> Monday 16:00 BST.
    assert ENGLAND.add_working_days(utc(2026, 6, 12, 15), 1) == utc(2026, 6, 15, 15)


def test_a_bank_holiday_is_skipped():
    # Friday 1 May 2026, 14:00 BST; Monday 4 May is the Early May bank holiday.
    assert ENGLAND.add_working_days(utc(2026, 5, 1, 13), 1) == utc(2026, 5, 5, 13)
    # Christmas 2026: Friday 25th, Boxing Day on Saturday is observed on Monday 28th.
    assert ENGLAND.add_working_days(utc(2026, 12, 24, 10), 1) == utc(2026, 12, 29, 10)


def test_two_january_is_a_working_day_in_england_but_not_in_scotland():
    new_years_eve = utc(2025, 12, 31, 10)
    assert ENGLAND.add_working_days(new_years_eve, 1) == utc(2026, 1, 2, 10)
    assert SCOTLAND.add_working_days(new_years_eve, 1) == utc(2026, 1, 5, 10)


def test_clocks_going_forward_keep_office_time():
    # Friday 27 March 2026, 10:00 GMT; clocks go forward on Sunday 29th: Monday 10:00 BST is 09:00 UTC.
    assert ENGLAND.add_working_days(utc(2026, 3, 27, 10), 1) == utc(2026, 3, 30, 9)


def test_clocks_going_back_keep_office_time():
    # Friday 23 October 2026, 10:00 BST; clocks go back on Sunday 25th: Monday 10:00 GMT is 10:00 UTC.
    assert ENGLAND.add_working_days(utc(2026, 10, 23, 9), 1) == utc(2026, 10, 26, 10)


@pytest.mark.parametrize(("start", "hours", "due"), [
    (utc(2026, 6, 8, 19), 8, utc(2026, 6, 9, 16)),     # Monday 20:00 BST -> all of Tuesday
    (utc(2026, 6, 9, 5), 2, utc(2026, 6, 9, 10)),      # Tuesday 06:00 BST -> 11:00 BST
    (utc(2026, 6, 13, 10), 4, utc(2026, 6, 15, 12)),   # Saturday -> Monday 13:00 BST
    (utc(2026, 6, 9, 15), 2, utc(2026, 6, 10, 9)),     # Tuesday 16:00 BST -> Wednesday 10:00 BST
])
def test_out_of_hours_starts_count_from_the_next_opening(start, hours, due):
    assert ENGLAND.add_working_hours(start, hours) == due


def test_diagram_helpers_return_iso_text_from_the_current_time():
    helpers = deadline_helpers(ENGLAND)
    with time_machine.travel(utc(2026, 5, 1, 13), tick=False):
        assert helpers["working_days"](1) == "2026-05-05T13:00:00+00:00"
        assert helpers["working_hours"](4) == "2026-05-05T09:00:00+00:00"  # 3 h on Friday, 1 on Tuesday
        assert helpers["calendar_days"](14) == "2026-05-15T13:00:00+00:00"
        assert helpers["calendar_hours"](4) == "2026-05-01T17:00:00+00:00"
    assert helpers["every_days"](14) == "R/P14D"
    assert helpers["every_days"](7, times=3) == "R3/P7D"


def test_an_unknown_region_is_refused():
    with pytest.raises(ValueError, match="Unknown bank holiday region"):
        WorkingCalendar("wessex")
