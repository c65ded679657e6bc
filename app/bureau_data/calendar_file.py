"""The bureau-editable working-day calendar file (``data/calendar.toml``).

It holds bureau overrides (``[[override]]``: date, kind ``holiday``/``workday`` (or 放假/上班),
note) and imported official schedules (``[[official]]``: year, source and one
``[[official.festival]]`` per item of the State Council notice, with ``holidays`` as dates or
ranges ``"2027-02-05..2027-02-12"`` and ``workdays`` as the adjusted weekend workdays 调休上班).
A year present under ``[[official]]`` is official, not provisional.

The import input (``oneseal calendar import FILE``, see ``import_official_schedule``) is what a
clerk types from the State Council notice: top-level ``year`` and ``source`` and one
``[[festival]]`` (name, holidays, workdays) per item; the example is in ``data/calendar.toml``.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Mapping

from app.domain.errors import Conflict, DataFileError
from app.domain.timing.working_days import (
    OfficialSource,
    Override,
    WorkingDayCalendar,
    YearSchedule,
    chain_sources,
    chinese_calendar_source,
)

KINDS = {"holiday": False, "放假": False, "workday": True, "上班": True}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Festival:
    """One item of the notice: its days off and its adjusted weekend workdays."""

    name: str
    holidays: tuple[date, ...]
    workdays: tuple[date, ...] = ()


@dataclass(frozen=True)
class OfficialYear:
    """An imported official schedule for one year."""

    year: int
    source: str
    festivals: tuple[Festival, ...]

    def schedule(self) -> YearSchedule:
        return YearSchedule(self.year, frozenset(d for f in self.festivals for d in f.holidays),
                            frozenset(d for f in self.festivals for d in f.workdays), self.source)


@dataclass(frozen=True)
class CalendarData:
    """The validated content of a calendar file."""

    overrides: tuple[Override, ...]
    official: Mapping[int, OfficialYear]

    def official_source(self) -> OfficialSource:
        return lambda year: self.official[year].schedule() if year in self.official else None


class _Ctx:
    """Error reporting against one text: finds lines for semantic errors."""

    def __init__(self, text: str, file: str) -> None:
        self.file, self.lines = file, text.splitlines()

    def error(self, code: str, message: str, line: int | None = None,
              entry: str | None = None) -> DataFileError:
        return DataFileError(code, message, file=self.file, line=line, entry=entry)

    def header(self, header: str, n: int, after: int = 0) -> int | None:
        """Line (1-based) of the n-th (0-based) ``[[header]]`` after line ``after``."""
        for no, text in enumerate(self.lines[after:], start=after + 1):
            if text.strip().replace(" ", "").startswith(f"[[{header}]]"):
                if n == 0:
                    return no
                n -= 1
        return None

    def find(self, needle: str, start: int | None) -> int | None:
        """First line from ``start`` to the next table header that contains ``needle``."""
        if start is None:
            return None
        for no in range(start, len(self.lines) + 1):
            text = self.lines[no - 1]
            if no > start and text.lstrip().startswith("["):
                break
            if needle in text.split("#")[0]:
                return no
        return start


def _parse_date(value: Any, ctx: _Ctx, line: int | None, entry: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE_RE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ctx.error("calendar_date_invalid", f"日期“{value}”无效，应写成 YYYY-MM-DD",
                    ctx.find(str(value), line), entry)


def _parse_days(value: Any, ctx: _Ctx, line: int | None, entry: str, ranges: bool) -> list[date]:
    items = value if isinstance(value, list) else [value]
    days: list[date] = []
    for item in items:
        if ranges and isinstance(item, str) and ".." in item:
            first, _, last = (part.strip() for part in item.partition(".."))
            a, b = _parse_date(first, ctx, line, entry), _parse_date(last, ctx, line, entry)
            if b < a:
                raise ctx.error("calendar_range_invalid", f"日期区间“{item}”的结束日早于开始日",
                                ctx.find(item, line), entry)
            days.extend(a + timedelta(days=k) for k in range((b - a).days + 1))
        else:
            days.append(_parse_date(item, ctx, line, entry))
    return days


def _check_keys(table: Any, allowed: set[str], ctx: _Ctx, line: int | None, entry: str) -> dict:
    if not isinstance(table, dict):
        raise ctx.error("calendar_entry_invalid", "条目格式不正确，应为表（table）", line, entry)
    for key in table:
        if key not in allowed:
            raise ctx.error("calendar_key_unknown",
                            f"不认识的字段“{key}”（可用：{'、'.join(sorted(allowed))}）",
                            ctx.find(key, line), entry)
    return table


def _parse_official(raw: Any, ctx: _Ctx, line: int | None, festival_header: str) -> OfficialYear:
    """Validate one official year (a ``[[official]]`` entry or a whole import input)."""
    raw = _check_keys(raw, {"year", "source", "imported", "festival"}, ctx, line, "official")
    year = raw.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1901 <= year <= 9998:
        raise ctx.error("calendar_year_invalid", "缺少年份 year，或年份无效", ctx.find("year", line),
                        "official")
    where = f"official {year}"
    source = raw.get("source", "")
    if not isinstance(source, str):
        raise ctx.error("calendar_entry_invalid", "source 应为文字", ctx.find("source", line), where)
    if "imported" in raw:
        _parse_date(raw["imported"], ctx, ctx.find("imported", line), where)
    items = raw.get("festival", [])
    if not isinstance(items, list) or not items:
        raise ctx.error("calendar_official_empty", f"{year} 年的放假安排没有列出任何节日（[[{festival_header}]]）",
                        line, where)
    earliest = date(year - 1, 12, 1)
    seen: dict[date, str] = {}  # day → the festival that named it
    festivals: list[Festival] = []
    for i, item in enumerate(items):
        fline = ctx.header(festival_header, i, line or 0)
        item = _check_keys(item, {"name", "holidays", "workdays"}, ctx, fline, where)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ctx.error("calendar_entry_invalid", "节日缺少名称 name", fline, f"{where} 第 {i + 1} 项")
        entry = f"{where} {name}"
        if "holidays" not in item:
            raise ctx.error("calendar_entry_invalid", "节日缺少放假日期 holidays", fline, entry)
        hline, wline = ctx.find("holidays", fline), ctx.find("workdays", fline)
        holidays = _parse_days(item["holidays"], ctx, hline, entry, ranges=True)
        workdays = _parse_days(item.get("workdays", []), ctx, wline, entry, ranges=False)
        checks = [(d, False, hline) for d in holidays] + [(d, True, wline) for d in workdays]
        for d, is_work, dline in checks:
            text, at = d.isoformat(), ctx.find(d.isoformat(), dline) or dline
            if not earliest <= d <= date(year, 12, 31):
                raise ctx.error("calendar_date_outside_year",
                                f"日期 {text} 不在 {year} 年内（元旦安排最早可到上一年 12 月）", at, entry)
            if is_work and d.weekday() < 5:
                raise ctx.error("calendar_workday_not_weekend",
                                f"调休上班日 {text} 不是周六或周日", at, entry)
            if d in seen:
                raise ctx.error("calendar_date_duplicate", f"日期 {text} 重复（已在“{seen[d]}”中出现）",
                                at, entry)
            seen[d] = name
        festivals.append(Festival(name.strip(), tuple(holidays), tuple(workdays)))
    return OfficialYear(year, source, tuple(festivals))


def _load_toml(text: str, ctx: _Ctx) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ctx.error("calendar_syntax", f"TOML 格式错误：{exc}",
                        int(match.group(1)) if match else None) from None


def parse_calendar(text: str, file: str) -> CalendarData:
    """Validate the text of a calendar file; errors name ``file``, the line and the entry."""
    ctx = _Ctx(text, file)
    raw = _check_keys(_load_toml(text, ctx), {"version", "override", "official"}, ctx, 1, "文件")
    if raw.get("version", 1) != 1:
        raise ctx.error("calendar_version", "不支持的文件版本 version（应为 1）", ctx.find("version", 1))
    overrides: dict[date, Override] = {}
    for i, item in enumerate(_as_list(raw.get("override", []), ctx, "override")):
        line = ctx.header("override", i)
        entry = f"override 第 {i + 1} 项"
        item = _check_keys(item, {"date", "kind", "note"}, ctx, line, entry)
        if "date" not in item:
            raise ctx.error("calendar_entry_invalid", "局内调整缺少日期 date", line, entry)
        d = _parse_date(item["date"], ctx, ctx.find("date", line), entry)
        entry = f"override {d.isoformat()}"
        kind, note = item.get("kind"), item.get("note")
        if kind not in KINDS:
            raise ctx.error("calendar_kind_invalid", "kind 应为 holiday（放假）或 workday（上班）",
                            ctx.find("kind", line), entry)
        if not isinstance(note, str) or not note.strip():
            raise ctx.error("calendar_note_missing", "局内调整必须写明原因 note", line, entry)
        if d in overrides:
            raise ctx.error("calendar_date_duplicate", f"日期 {d.isoformat()} 的局内调整重复",
                            ctx.find(d.isoformat(), line), entry)
        overrides[d] = Override(d, KINDS[kind], note.strip())
    official: dict[int, OfficialYear] = {}
    for i, item in enumerate(_as_list(raw.get("official", []), ctx, "official")):
        line = ctx.header("official", i)
        year = _parse_official(item, ctx, line, "official.festival")
        if year.year in official:
            raise ctx.error("calendar_year_duplicate", f"{year.year} 年的放假安排出现了两次", line,
                            f"official {year.year}")
        official[year.year] = year
    return CalendarData(tuple(overrides.values()), official)


def _as_list(value: Any, ctx: _Ctx, key: str) -> list:
    if not isinstance(value, list):
        raise ctx.error("calendar_entry_invalid", f"{key} 应写成 [[{key}]] 表数组", ctx.find(key, 1), key)
    return value


def _read(path: PathLike) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError("calendar_file_missing", "找不到工作日历数据文件", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError("calendar_file_unreadable", f"无法读取工作日历数据文件：{exc}",
                            file=str(path)) from None


def read_calendar_file(path: PathLike) -> CalendarData:
    """Read and validate a calendar file."""
    return parse_calendar(_read(path), str(path))


def load_calendar(path: PathLike, *,
                  official: OfficialSource = chinese_calendar_source) -> WorkingDayCalendar:
    """Build the working-day calendar from a calendar file in one call.

    Imported official years win over ``official`` (by default the ``chinese_calendar`` data).
    """
    data = read_calendar_file(path)
    return WorkingDayCalendar(chain_sources(data.official_source(), official), data.overrides)


def parse_import(text: str, file: str) -> OfficialYear:
    """Validate an import input (top-level ``year``, ``source`` and ``[[festival]]``)."""
    ctx = _Ctx(text, file)
    return _parse_official(_load_toml(text, ctx), ctx, 1, "festival")


def _ranges(days: tuple[date, ...]) -> list[str]:
    out: list[list[date]] = []
    for d in sorted(days):
        if out and d - out[-1][1] == timedelta(days=1):
            out[-1][1] = d
        else:
            out.append([d, d])
    return [a.isoformat() if a == b else f"{a.isoformat()}..{b.isoformat()}" for a, b in out]


def render_official(year: OfficialYear, imported: date) -> str:
    """The TOML block stored in the calendar file for an imported year (between markers)."""
    q = lambda s: json.dumps(s, ensure_ascii=False)  # noqa: E731 — a TOML basic string
    lines = [f"# >>> official {year.year}（由 oneseal calendar import 于 {imported.isoformat()} 导入）",
             "[[official]]", f"year = {year.year}", f"source = {q(year.source)}",
             f"imported = {imported.isoformat()}"]
    for f in year.festivals:
        lines += ["", "[[official.festival]]", f"name = {q(f.name)}",
                  f"holidays = {q(_ranges(f.holidays))}",
                  f"workdays = {q([d.isoformat() for d in f.workdays])}"]
    return "\n".join(lines + [f"# <<< official {year.year}", ""])


def import_official_schedule(calendar_path: PathLike, input_path: PathLike, *,
                             replace: bool = False, today: date | None = None) -> OfficialYear:
    """Add the official schedule in ``input_path`` to the calendar file and return it.

    Raises ``DataFileError`` for a bad input or calendar file and ``Conflict`` when the year is
    already there and ``replace`` is false. The file is rewritten atomically.
    """
    year = parse_import(_read(input_path), str(input_path))
    text = _read(calendar_path)
    current = parse_calendar(text, str(calendar_path))
    block = render_official(year, today or date.today())
    begin, end = f"# >>> official {year.year}", f"# <<< official {year.year}"
    if year.year in current.official:
        if not replace:
            raise Conflict("calendar_year_exists", f"{year.year} 年的放假安排已导入；如需覆盖请使用 --replace",
                           year=year.year)
        lines = text.splitlines(keepends=True)
        starts = [i for i, s in enumerate(lines) if s.startswith(begin)]
        ends = [i for i, s in enumerate(lines) if s.startswith(end)]
        if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
            raise DataFileError("calendar_year_not_replaceable",
                                f"{year.year} 年的放假安排是手工写入的，请先手工删除该段再导入",
                                file=str(calendar_path), line=_Ctx(text, "").header(
                                    "official", list(current.official).index(year.year)))
        new_text = "".join(lines[:starts[0]]) + block + "".join(lines[ends[0] + 1:])
    else:
        new_text = text + ("" if text.endswith("\n") or not text else "\n") + "\n" + block
    parse_calendar(new_text, str(calendar_path))  # never write a file that does not load
    target = Path(calendar_path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".calendar-", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(new_text)
        os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return year
