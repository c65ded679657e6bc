"""Chinese working-day calendar for time limits (办理时限的工作日历).

Sources, strongest first: bureau overrides (局内调整), an official schedule for the year
(国务院办公厅放假安排: imported by the bureau, or the ``chinese_calendar`` package), and for a
year without official data the statutory holidays of 《全国年节及纪念日放假办法》 plus weekends,
in which case every date of that year is *provisional* (暂定).

Counting rule: the day of acceptance is not counted; a limit of N working days ends on the N-th
working day after it; N = 0 means the same working day (即办件).
"""
from __future__ import annotations

import logging
import threading
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Callable, Iterable, Mapping

from app.domain.errors import InvalidInput

log = logging.getLogger(__name__)

MAX_YEAR = 9998


@dataclass(frozen=True)
class Deadline:
    """A computed deadline; ``provisional`` when it relies on a year without official data."""

    date: date
    provisional: bool


@dataclass(frozen=True)
class YearSchedule:
    """One year's official arrangement: holiday dates and adjusted weekend workdays (调休上班).

    Dates outside ``year`` are allowed (a New Year arrangement may reach into December of the
    year before) and win over the other year's data, the notice being newer.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str = ""


@dataclass(frozen=True)
class Override:
    """A bureau decision for one date: ``workday`` True = 上班, False = 放假; ``note`` says why."""

    date: date
    workday: bool
    note: str


#: Returns the official schedule of a year, or None when none is known.
OfficialSource = Callable[[int], "YearSchedule | None"]


@lru_cache(maxsize=1)
def _chinese_calendar_index() -> tuple[int, int, dict[int, tuple[set[date], set[date]]]]:
    from chinese_calendar import constants

    index: dict[int, tuple[set[date], set[date]]] = {}
    for d in constants.holidays:
        index.setdefault(d.year, (set(), set()))[0].add(d)
    for d in constants.workdays:
        index.setdefault(d.year, (set(), set()))[1].add(d)
    years = [d.year for d in constants.holidays]
    return min(years), max(years), index


def chinese_calendar_source(year: int) -> YearSchedule | None:
    """Official schedule from the ``chinese_calendar`` package (None outside its years)."""
    first, last, index = _chinese_calendar_index()
    if not first <= year <= last:
        return None
    holidays, workdays = index.get(year, (set(), set()))
    return YearSchedule(year, frozenset(holidays), frozenset(workdays), "chinese_calendar")


def chain_sources(*sources: OfficialSource) -> OfficialSource:
    """A source asking each of ``sources`` in turn; the first schedule found wins."""

    def lookup(year: int) -> YearSchedule | None:
        for source in sources:
            found = source(year)
            if found is not None:
                return found
        return None

    return lookup


def _lunar_dates(year: int) -> dict[str, date | None]:
    """Lunar New Year, Qingming, Dragon Boat and Mid-Autumn dates from the ``holidays`` package."""
    try:
        from holidays.calendars.chinese import _ChineseLunisolar

        cal = _ChineseLunisolar()
        return {"new_year": cal.lunar_new_year_date(year)[0],
                "qingming": cal.qingming_date(year)[0],
                "dragon_boat": cal.dragon_boat_date(year)[0],
                "mid_autumn": cal.mid_autumn_date(year)[0]}
    except Exception:  # never crash on a library change; weekends and fixed dates still apply
        log.exception("工作日历：无法计算 %d 年农历节日日期", year)
        return {"new_year": None, "qingming": None, "dragon_boat": None, "mid_autumn": None}


def statutory_holidays(year: int) -> dict[date, str]:
    """Days off that the law itself fixes for ``year``, without any official 调休 arrangement.

    Article 2 of 《全国年节及纪念日放假办法》 in the version in force for the year (1999, 2007,
    2013 and 2024 revisions; earlier years use the 1999 rules), plus the make-up days of the
    article that a statutory day falling on Saturday or Sunday (or on another festival) is made
    up on a working day (补假): placed on the next weekdays after that festival.
    """
    lunar = _lunar_dates(year)
    new_year, one = lunar["new_year"], timedelta(days=1)
    festivals: list[tuple[str, list[date]]] = [("元旦", [date(year, 1, 1)])]
    if new_year is not None:
        offsets: tuple[int, ...]
        if year >= 2025:
            offsets = (-1, 0, 1, 2)
        elif 2008 <= year <= 2013:
            offsets = (-1, 0, 1)
        else:
            offsets = (0, 1, 2)
        festivals.append(("春节", [new_year + k * one for k in offsets]))
    labour_days = 2 if year >= 2025 else 1 if year >= 2008 else 3
    festivals.append(("劳动节", [date(year, 5, 1 + k) for k in range(labour_days)]))
    if year >= 2008:
        for key, name in (("qingming", "清明节"), ("dragon_boat", "端午节"), ("mid_autumn", "中秋节")):
            day = lunar[key]
            if day is not None:
                festivals.append((name, [day]))
    festivals.append(("国庆节", [date(year, 10, k) for k in (1, 2, 3)]))
    festivals.sort(key=lambda f: f[1][0])

    result: dict[date, str] = {}
    for name, days in festivals:
        for d in days:
            result[d] = f"{result[d]}、{name}" if d in result else name
    taken: set[date] = set()
    for name, days in festivals:
        make_up = sum(1 for d in days if d.weekday() >= 5 or d in taken)
        taken.update(days)
        d = days[-1]
        while make_up:
            d += one
            if d.weekday() < 5 and d not in result:
                result[d] = f"{name}（补假）"
                make_up -= 1
    return result


@dataclass
class _Year:
    first_ordinal: int
    flags: bytearray          # 1 = working day, indexed by ordinal - first_ordinal
    workdays: list[int]       # sorted ordinals of working days
    provisional: bool
    overridden: list[int]     # sorted ordinals of overridden dates


class WorkingDayCalendar:
    """Working-day arithmetic over official data, statutory fallback and bureau overrides.

    Each year is computed once (bitmap + sorted ordinals), so every query is a few bisects.
    """

    def __init__(self, official: OfficialSource | None = None, overrides: Iterable[Override] = (),
                 *, fallback: Callable[[int], Mapping[date, str]] = statutory_holidays) -> None:
        self._official = official if official is not None else chinese_calendar_source
        self._fallback = fallback
        self._overrides: dict[date, Override] = {}
        for item in overrides:
            if item.date in self._overrides:
                raise InvalidInput("calendar_override_duplicate",
                                   f"日期 {item.date.isoformat()} 的局内调整重复",
                                   date=item.date.isoformat())
            self._overrides[item.date] = item
        self._years: dict[int, _Year] = {}
        self._lock = threading.Lock()

    # -- building ---------------------------------------------------------------------------
    def _year(self, year: int) -> _Year:
        found = self._years.get(year)
        if found is None:
            if not 1 <= year <= MAX_YEAR:
                raise InvalidInput("date_out_of_range", f"日期超出工作日历可计算的范围（{year} 年）",
                                   year=year)
            with self._lock:
                found = self._years.get(year)
                if found is None:
                    found = self._years[year] = self._build(year)
        return found

    def _build(self, year: int) -> _Year:
        first = date(year, 1, 1).toordinal()
        size = date(year, 12, 31).toordinal() - first + 1
        weekday = date(year, 1, 1).weekday()
        flags = bytearray(1 if (weekday + i) % 7 < 5 else 0 for i in range(size))

        def put(d: date, workday: bool) -> None:
            if d.year == year:
                flags[d.toordinal() - first] = 1 if workday else 0

        schedule = self._official(year)
        provisional = schedule is None
        if schedule is None:
            log.warning("工作日历：%d 年尚无国务院放假安排，按法定节假日暂定计算（provisional）", year)
            for d in self._fallback(year):
                put(d, False)
        else:
            for d in schedule.holidays:
                put(d, False)
            for d in schedule.workdays:
                put(d, True)
        following = self._official(year + 1)
        if following is not None:  # e.g. a New Year arrangement reaching into late December
            for d in following.holidays:
                put(d, False)
            for d in following.workdays:
                put(d, True)
        overridden = sorted(d.toordinal() for d in self._overrides if d.year == year)
        for d, item in self._overrides.items():
            put(d, item.workday)
        workdays = [first + i for i, flag in enumerate(flags) if flag]
        return _Year(first, flags, workdays, provisional, overridden)

    # -- queries ----------------------------------------------------------------------------
    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is a working day (工作日)."""
        d = _as_date(d)
        y = self._year(d.year)
        return bool(y.flags[d.toordinal() - y.first_ordinal])

    def is_provisional(self, d: date) -> bool:
        """Whether ``d``'s status is an estimate: its year has no official data, no override."""
        d = _as_date(d)
        return self._year(d.year).provisional and d not in self._overrides

    def deadline_same_day(self, d: date) -> Deadline:
        """Deadline of an immediate item: ``d`` if a working day, else the next working day."""
        d = _as_date(d)
        if self.is_workday(d):
            return Deadline(d, self.is_provisional(d))
        end = self._nth_after(d.toordinal(), d.year, 1)
        return Deadline(date.fromordinal(end), self._provisional_range(d.toordinal(), end))

    def add_working_days(self, start: date, n: int) -> Deadline:
        """The N-th working day after ``start`` (the acceptance day is not counted)."""
        start = _as_date(start)
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidInput("working_days_negative", "办理时限（工作日）必须是不小于 0 的整数",
                               value=repr(n))
        if n == 0:
            return self.deadline_same_day(start)
        s = start.toordinal()
        end = self._nth_after(s, start.year, n)
        return Deadline(date.fromordinal(end), self._provisional_range(s + 1, end))

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``; 0 if ``end <= start``."""
        start, end = _as_date(start), _as_date(end)
        if end <= start:
            return 0
        s, e, total = start.toordinal(), end.toordinal(), 0
        for year in range(start.year, end.year + 1):
            ords = self._year(year).workdays
            low = bisect_right(ords, s) if year == start.year else 0
            high = bisect_right(ords, e) if year == end.year else len(ords)
            total += high - low
        return total

    # -- helpers ----------------------------------------------------------------------------
    def _nth_after(self, s: int, year: int, n: int) -> int:
        """Ordinal of the n-th working day strictly after ordinal ``s`` (n >= 1)."""
        first_year = year
        while True:
            ords = self._year(year).workdays
            idx = bisect_right(ords, s) if year == first_year else 0
            if idx + n <= len(ords):
                return ords[idx + n - 1]
            n -= len(ords) - idx
            year += 1

    def _provisional_range(self, a: int, b: int) -> bool:
        """Whether any date with ordinal in [a, b] is provisional."""
        year = date.fromordinal(a).year
        while True:
            y = self._year(year)
            last = y.first_ordinal + len(y.flags) - 1
            lo, hi = max(a, y.first_ordinal), min(b, last)
            if y.provisional and lo <= hi:
                covered = bisect_right(y.overridden, hi) - bisect_right(y.overridden, lo - 1)
                if covered < hi - lo + 1:
                    return True
            if b <= last:
                return False
            year += 1


def _as_date(d: date) -> date:
    if isinstance(d, datetime):
        return d.date()
    if not isinstance(d, date):
        raise InvalidInput("date_invalid", "日期格式不正确", value=repr(d))
    return d
