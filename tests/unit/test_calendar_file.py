"""Calendar data file: validation with file and line, load_calendar, importing an official year."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from app.bureau_data.calendar_file import (
    import_official_schedule,
    load_calendar,
    parse_calendar,
    parse_import,
    read_calendar_file,
)
from app.domain.errors import Conflict, DataFileError
from app.domain.timing.working_days import Deadline

D = date.fromisoformat
SHIPPED = Path(__file__).resolve().parents[2] / "data" / "calendar.toml"

# A made-up 2027 schedule in the import format (the real one is not yet published).
IMPORT_2027 = """\
year = 2027
source = "国务院办公厅关于2027年部分节假日安排的通知（测试用）"

[[festival]]
name = "元旦"
holidays = ["2027-01-01..2027-01-03"]

[[festival]]
name = "春节"
holidays = ["2027-02-05..2027-02-12"]
workdays = ["2027-01-31", "2027-02-20"]

[[festival]]
name = "国庆节、中秋节"
holidays = "2027-10-01..2027-10-07"
workdays = [2027-10-09]
"""


def error_of(text: str, file: str = "calendar.toml") -> DataFileError:
    with pytest.raises(DataFileError) as info:
        parse_calendar(text, file)
    return info.value


@pytest.fixture
def calendar_path(tmp_path: Path) -> Path:
    path = tmp_path / "calendar.toml"
    shutil.copy(SHIPPED, path)
    return path


def test_shipped_file_has_no_overrides_and_no_2027():
    data = read_calendar_file(SHIPPED)
    assert data.overrides == () and dict(data.official) == {}
    cal = load_calendar(SHIPPED)
    assert cal.add_working_days(D("2026-12-28"), 10) == Deadline(D("2027-01-12"), True)
    assert not cal.is_workday(D("2026-02-16"))


def test_overrides_are_read_and_win(tmp_path):
    path = tmp_path / "calendar.toml"
    path.write_text('version = 1\n\n[[override]]\ndate = 2026-03-02\nkind = "holiday"\nnote = "停电"\n\n'
                    '[[override]]\ndate = "2026-03-07"\nkind = "上班"\nnote = "集中办理日"\n',
                    encoding="utf-8")
    data = read_calendar_file(path)
    assert [(o.date, o.workday, o.note) for o in data.overrides] == [
        (D("2026-03-02"), False, "停电"), (D("2026-03-07"), True, "集中办理日")]
    cal = load_calendar(path)
    assert cal.add_working_days(D("2026-02-28"), 1).date == D("2026-03-03")
    assert cal.add_working_days(D("2026-03-06"), 1).date == D("2026-03-07")


def test_syntax_error_names_file_and_line():
    err = error_of('version = 1\n\n[[override]]\ndate = 2026-03-02\nkind = holiday\n', "/srv/calendar.toml")
    assert (err.code, err.file, err.line) == ("calendar_syntax", "/srv/calendar.toml", 5)
    assert "/srv/calendar.toml:5" in str(err)


def test_bad_date_names_line_and_entry():
    text = ('[[override]]\ndate = "2026-03-02"\nkind = "holiday"\nnote = "a"\n\n'
            '[[override]]\ndate = "2026-02-30"\nkind = "holiday"\nnote = "b"\n')
    err = error_of(text)
    assert (err.code, err.line) == ("calendar_date_invalid", 7)
    assert "override" in err.entry and "2" in err.entry
    assert err.details["file"] == "calendar.toml" and err.details["line"] == 7


def test_duplicate_override_date_names_second_line():
    text = ('[[override]]\ndate = 2026-03-02\nkind = "holiday"\nnote = "a"\n\n'
            '[[override]]\ndate = 2026-03-02\nkind = "workday"\nnote = "b"\n')
    err = error_of(text)
    assert (err.code, err.line, err.entry) == ("calendar_date_duplicate", 7, "override 2026-03-02")


@pytest.mark.parametrize("body, code, line", [
    ('date = 2026-03-02\nkind = "off"\nnote = "a"\n', "calendar_kind_invalid", 3),
    ('date = 2026-03-02\nkind = "holiday"\n', "calendar_note_missing", 1),
    ('date = 2026-03-02\nkind = "holiday"\nnote = "a"\nreason = "b"\n', "calendar_key_unknown", 5),
])
def test_override_semantic_errors(body, code, line):
    err = error_of("[[override]]\n" + body)
    assert (err.code, err.line) == (code, line)


def test_unknown_top_level_key():
    assert error_of('version = 1\noverides = []\n').code == "calendar_key_unknown"


def test_official_section_errors_name_lines():
    head = '[[official]]\nyear = 2027\n\n[[official.festival]]\nname = "春节"\n'
    err = error_of(head + 'holidays = ["2027-02-05..2027-02-12"]\nworkdays = ["2027-02-22"]\n')
    assert (err.code, err.line) == ("calendar_workday_not_weekend", 7)
    assert err.entry == "official 2027 春节"
    err = error_of(head + 'holidays = ["2028-02-05"]\n')
    assert (err.code, err.line) == ("calendar_date_outside_year", 6)
    err = error_of(head + 'holidays = ["2027-02-12..2027-02-05"]\n')
    assert err.code == "calendar_range_invalid"
    err = error_of('[[official]]\nyear = 2027\n')
    assert (err.code, err.line) == ("calendar_official_empty", 1)
    twice = head + 'holidays = ["2027-02-05"]\n'
    err = error_of(twice + "\n" + twice)
    assert (err.code, err.line) == ("calendar_year_duplicate", 8)


def test_official_year_in_file_makes_2027_official(tmp_path):
    path = tmp_path / "calendar.toml"
    path.write_text('[[official]]\nyear = 2027\nsource = "通知"\n\n[[official.festival]]\n'
                    'name = "元旦"\nholidays = ["2026-12-31..2027-01-02"]\nworkdays = ["2026-12-26"]\n',
                    encoding="utf-8")
    cal = load_calendar(path)
    assert not cal.is_workday(D("2026-12-31")) and cal.is_workday(D("2026-12-26"))
    assert cal.add_working_days(D("2026-12-28"), 10) == Deadline(D("2027-01-13"), False)


def test_import_makes_2027_official_and_keeps_comments(calendar_path):
    source = calendar_path.parent / "2027.toml"
    source.write_text(IMPORT_2027, encoding="utf-8")
    year = import_official_schedule(calendar_path, source, today=D("2026-12-10"))
    assert year.year == 2027 and [f.name for f in year.festivals] == ["元旦", "春节", "国庆节、中秋节"]
    text = calendar_path.read_text(encoding="utf-8")
    assert "# 局内调整" in text and "# >>> official 2027" in text and "imported = 2026-12-10" in text
    cal = load_calendar(calendar_path)
    assert cal.add_working_days(D("2026-12-28"), 10) == Deadline(D("2027-01-12"), False)
    assert not cal.is_provisional(D("2027-06-01"))
    assert not cal.is_workday(D("2027-02-11")) and cal.is_workday(D("2027-01-31"))
    assert cal.is_workday(D("2027-10-09")) and not cal.is_workday(D("2027-10-07"))
    assert cal.is_workday(D("2027-05-04"))  # no fallback make-up days in an official year


def test_reimport_needs_replace_and_replaces_in_place(calendar_path):
    source = calendar_path.parent / "2027.toml"
    source.write_text(IMPORT_2027, encoding="utf-8")
    import_official_schedule(calendar_path, source)
    with pytest.raises(Conflict):
        import_official_schedule(calendar_path, source)
    source.write_text(IMPORT_2027.replace("2027-02-12", "2027-02-11"), encoding="utf-8")
    import_official_schedule(calendar_path, source, replace=True)
    text = calendar_path.read_text(encoding="utf-8")
    assert text.count("[[official]]\n") == 1 and "2027-02-05..2027-02-11" in text
    assert load_calendar(calendar_path).is_workday(D("2027-02-12"))


def test_bad_import_names_input_file_and_leaves_calendar_untouched(calendar_path):
    before = calendar_path.read_bytes()
    source = calendar_path.parent / "2027.toml"
    source.write_text(IMPORT_2027.replace('workdays = ["2027-01-31", "2027-02-20"]',
                                          'workdays = ["2027-01-31", "2027-02-19"]'), encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        import_official_schedule(calendar_path, source)
    err = info.value
    assert (err.code, err.file, err.line) == ("calendar_workday_not_weekend", str(source), 11)
    assert "2027-02-19" in err.message
    assert calendar_path.read_bytes() == before


def test_import_rejects_duplicate_and_foreign_dates():
    with pytest.raises(DataFileError) as info:
        parse_import(IMPORT_2027.replace("2027-10-01..2027-10-07", "2027-02-12..2027-02-14"), "in.toml")
    assert (info.value.code, info.value.line) == ("calendar_date_duplicate", 15)
    with pytest.raises(DataFileError) as info:
        parse_import("year = 2027\n[[festival]]\nname = \"元旦\"\nholidays = \"2026-01-01\"\n", "in.toml")
    assert (info.value.code, info.value.line) == ("calendar_date_outside_year", 4)


def test_missing_file():
    with pytest.raises(DataFileError) as info:
        load_calendar("/nonexistent/calendar.toml")
    assert info.value.code == "calendar_file_missing"
