"""Working-day calendar: official 2026 data, statutory 2027 fallback, overrides, counting rule."""
from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from app.domain.errors import InvalidInput
from app.domain.timing.working_days import (
    Deadline,
    Override,
    WorkingDayCalendar,
    YearSchedule,
    chain_sources,
    chinese_calendar_source,
    statutory_holidays,
)

D = date.fromisoformat


def days(first: str, last: str) -> list[date]:
    a, b = D(first), D(last)
    return [a + timedelta(days=k) for k in range((b - a).days + 1)]


@pytest.fixture
def cal() -> WorkingDayCalendar:
    return WorkingDayCalendar(chinese_calendar_source)


def test_spring_festival_2026_matches_official_schedule(cal):
    for d in days("2026-02-15", "2026-02-23"):
        assert not cal.is_workday(d), d
    for d in ("2026-02-14", "2026-02-28"):  # adjusted workdays, both Saturdays
        assert D(d).weekday() == 5 and cal.is_workday(D(d))
        assert chinese_calendar.is_workday(D(d))
    assert cal.is_workday(D("2026-02-13")) and cal.is_workday(D("2026-02-24"))
    assert not cal.is_workday(D("2026-03-01"))  # an ordinary Sunday
    assert not cal.is_provisional(D("2026-02-16"))


def test_spring_festival_2026_deadlines(cal):
    assert cal.add_working_days(D("2026-02-13"), 1) == Deadline(D("2026-02-14"), False)
    assert cal.add_working_days(D("2026-02-14"), 1).date == D("2026-02-24")
    assert cal.add_working_days(D("2026-02-12"), 5).date == D("2026-02-26")
    assert cal.working_days_between(D("2026-02-13"), D("2026-02-24")) == 2


def test_mid_autumn_and_national_day_2026(cal):
    for d in days("2026-09-25", "2026-09-27") + days("2026-10-01", "2026-10-07"):
        assert not cal.is_workday(d), d
    assert cal.is_workday(D("2026-09-20"))  # Sunday, adjusted workday for National Day
    assert cal.is_workday(D("2026-10-10"))  # Saturday, adjusted workday
    assert cal.add_working_days(D("2026-09-18"), 1).date == D("2026-09-20")
    assert cal.add_working_days(D("2026-09-24"), 1).date == D("2026-09-28")
    assert cal.add_working_days(D("2026-09-30"), 1).date == D("2026-10-08")
    assert cal.add_working_days(D("2026-09-30"), 3).date == D("2026-10-10")


def test_late_december_2026_case_gets_provisional_2027_deadline(cal):
    deadline = cal.add_working_days(D("2026-12-28"), 10)
    # 12-29, 12-30, 12-31, (1-1 New Year, weekend) 1-4 … 1-8, 1-11, 1-12
    assert deadline == Deadline(D("2027-01-12"), True)
    assert not cal.is_workday(D("2027-01-01"))
    assert cal.is_provisional(D("2027-01-04")) and not cal.is_provisional(D("2026-12-31"))
    assert cal.add_working_days(D("2026-12-14"), 10) == Deadline(D("2026-12-28"), False)
    assert cal.working_days_between(D("2026-12-28"), D("2027-01-12")) == 10


def test_statutory_2027_follows_the_2024_law():
    off = statutory_holidays(2027)
    assert D("2027-01-01") in off
    assert {D("2027-02-05"), D("2027-02-06"), D("2027-02-07"), D("2027-02-08")} <= set(off)  # 除夕…初三
    assert off[D("2027-02-09")] == off[D("2027-02-10")] == "春节（补假）"  # Sat/Sun made up
    assert {D("2027-04-05"), D("2027-06-09"), D("2027-09-15")} <= set(off)
    assert set(days("2027-05-01", "2027-05-04")) <= set(off)
    assert set(days("2027-10-01", "2027-10-05")) <= set(off)
    assert len(off) == 19
    assert D("2028-10-05") in statutory_holidays(2028)  # Mid-Autumn on Oct 3 adds a make-up day


@pytest.mark.parametrize("year", range(2008, 2027))
def test_statutory_days_are_off_in_official_data(year):
    for d, name in statutory_holidays(year).items():
        if "补假" not in name:
            assert not chinese_calendar.is_workday(d), (d, name)


def test_statutory_rules_of_earlier_law_versions():
    assert D("2003-02-01") in statutory_holidays(2003) and D("2003-05-03") in statutory_holidays(2003)
    assert D("2010-02-13") in statutory_holidays(2010)  # 2007 revision: 除夕 instead of 初三
    assert D("2024-02-09") not in statutory_holidays(2024)  # 2013 revision: no 除夕


def test_provisional_warning_logged_once_per_year(cal, caplog):
    with caplog.at_level(logging.WARNING, logger="app.domain.timing.working_days"):
        for k in range(30):
            cal.add_working_days(D("2027-03-01") + timedelta(days=k), 5)
        cal.is_workday(D("2003-06-02"))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "2027" in warnings[0].getMessage() and "2003" in warnings[1].getMessage()
    assert cal.is_provisional(D("2003-06-02"))


def test_add_from_holiday_and_weekend(cal):
    assert cal.add_working_days(D("2026-02-16"), 1).date == D("2026-02-24")  # holiday
    assert cal.add_working_days(D("2026-03-01"), 1).date == D("2026-03-02")  # Sunday
    assert cal.add_working_days(D("2026-03-07"), 2).date == D("2026-03-10")  # Saturday


def test_zero_and_one_day(cal):
    assert cal.add_working_days(D("2026-03-04"), 0) == Deadline(D("2026-03-04"), False)
    assert cal.add_working_days(D("2026-03-07"), 0).date == D("2026-03-09")
    assert cal.add_working_days(D("2026-02-15"), 0).date == D("2026-02-24")
    assert cal.deadline_same_day(D("2026-02-14")).date == D("2026-02-14")
    assert cal.deadline_same_day(D("2026-10-01")).date == D("2026-10-08")
    assert cal.add_working_days(D("2026-03-06"), 1).date == D("2026-03-09")  # Friday → Monday
    assert cal.add_working_days(datetime(2026, 3, 4, 16, 30), 1).date == D("2026-03-05")


def test_between_edges(cal):
    assert cal.working_days_between(D("2026-03-04"), D("2026-03-04")) == 0
    assert cal.working_days_between(D("2026-03-05"), D("2026-03-04")) == 0
    assert cal.working_days_between(D("2026-03-06"), D("2026-03-08")) == 0
    assert cal.working_days_between(D("2025-12-31"), D("2026-12-31")) == 248  # per chinese_calendar


def test_add_and_between_are_symmetrical(cal):
    start = D("2025-11-01")
    for k in range(0, 500, 3):
        d = start + timedelta(days=k)
        for n in (1, 2, 3, 5, 8, 10, 15, 20, 30, 60):
            end = cal.add_working_days(d, n).date
            assert cal.is_workday(end)
            assert cal.working_days_between(d, end) == n, (d, n)
            assert cal.working_days_between(d, end - timedelta(days=1)) == n - 1, (d, n)


def test_matches_chinese_calendar_for_every_covered_day(cal):
    d = D("2004-01-01")
    while d <= D("2026-12-31"):
        assert cal.is_workday(d) == chinese_calendar.is_workday(d), d
        d += timedelta(days=1)


def test_override_wins_over_official_and_fallback():
    cal = WorkingDayCalendar(chinese_calendar_source, [
        Override(D("2026-02-23"), True, "节后提前开展集中办理"),
        Override(D("2026-03-02"), False, "系统停机"),
        Override(D("2027-01-04"), False, "局内停办"),
    ])
    assert cal.is_workday(D("2026-02-23")) and not cal.is_workday(D("2026-03-02"))
    assert cal.add_working_days(D("2026-02-14"), 1).date == D("2026-02-23")
    assert cal.add_working_days(D("2026-02-27"), 2).date == D("2026-03-03")
    assert not cal.is_workday(D("2027-01-04")) and not cal.is_provisional(D("2027-01-04"))


def test_duplicate_override_and_bad_input_rejected(cal):
    with pytest.raises(InvalidInput):
        WorkingDayCalendar(overrides=[Override(D("2026-05-06"), True, "a"),
                                      Override(D("2026-05-06"), False, "b")])
    with pytest.raises(InvalidInput):
        cal.add_working_days(D("2026-03-04"), -1)
    with pytest.raises(InvalidInput):
        cal.add_working_days("2026-03-04", 1)  # type: ignore[arg-type]


def test_injected_2027_schedule_is_official():
    pinned = YearSchedule(2027, frozenset(days("2027-01-01", "2027-01-03")), frozenset({D("2027-01-09")}))
    source = chain_sources(lambda y: pinned if y == 2027 else None, chinese_calendar_source)
    cal = WorkingDayCalendar(source)
    assert cal.add_working_days(D("2026-12-28"), 10) == Deadline(D("2027-01-11"), False)
    assert cal.is_workday(D("2027-01-09")) and not cal.is_provisional(D("2027-01-09"))
    # days the fallback would take off are ordinary workdays in the pinned schedule
    assert cal.is_workday(D("2027-02-09"))


def test_next_year_schedule_reaching_into_december_wins():
    pinned = YearSchedule(2027, frozenset(days("2026-12-31", "2027-01-01")), frozenset({D("2026-12-26")}))
    cal = WorkingDayCalendar(chain_sources(lambda y: pinned if y == 2027 else None,
                                           chinese_calendar_source))
    assert not cal.is_workday(D("2026-12-31")) and cal.is_workday(D("2026-12-26"))


def test_add_working_days_is_fast(cal):
    cal.add_working_days(D("2026-01-05"), 20)  # build the year once
    t = time.perf_counter()
    for k in range(10_000):
        cal.add_working_days(D("2026-01-05") + timedelta(days=k % 300), 20)
    assert (time.perf_counter() - t) / 10_000 < 50e-6
