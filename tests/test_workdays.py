"""The official working-day calendar: chinesecalendar, holiday files, and the Mon-Fri fallback."""

from __future__ import annotations

import datetime as dt
import logging
from datetime import date
from pathlib import Path

import pytest
import time_machine

from workdays import HolidayFileError, WorkdayCalendar, default_calendar, today_shanghai
from workdays import calendar as calendar_module

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_2027 = ROOT / "data" / "holidays" / "example-2027.yaml"


@pytest.fixture
def cal() -> WorkdayCalendar:
    return WorkdayCalendar()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "holidays.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# -- the official calendar (chinesecalendar) ------------------------------------------------------


def test_national_day_2025_ten_working_days(cal: WorkdayCalendar) -> None:
    # Duty opened Fri 2025-09-26, 10 working days strictly after it:
    #   Sat 09-27 off; Sun 09-28 make-up workday (1); Mon 09-29 (2); Tue 09-30 (3);
    #   Wed 10-01 .. Wed 10-08 National Day + Mid-Autumn holiday, all off;
    #   Thu 10-09 (4); Fri 10-10 (5); Sat 10-11 make-up workday (6); Sun 10-12 off;
    #   Mon 10-13 (7); Tue 10-14 (8); Wed 10-15 (9); Thu 10-16 (10).
    assert cal.add_working_days(date(2025, 9, 26), 10) == date(2025, 10, 16)
    assert cal.working_days_between(date(2025, 9, 26), date(2025, 10, 16)) == 10
    assert cal.warnings == []


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 9, 26), True),  # Friday
        (date(2025, 9, 27), False),  # Saturday
        (date(2025, 9, 28), True),  # Sunday, make-up workday
        (date(2025, 10, 1), False),  # National Day
        (date(2025, 10, 8), False),  # last day of the holiday, a Wednesday
        (date(2025, 10, 11), True),  # Saturday, make-up workday
        (date(2025, 10, 12), False),  # Sunday
    ],
)
def test_is_workday_2025(cal: WorkdayCalendar, day: date, expected: bool) -> None:
    assert cal.is_workday(day) is expected


def test_datetime_is_accepted(cal: WorkdayCalendar) -> None:
    assert cal.is_workday(dt.datetime(2025, 10, 1, 9, 30)) is False


def test_zero_and_negative_steps(cal: WorkdayCalendar) -> None:
    assert cal.add_working_days(date(2025, 10, 1), 0) == date(2025, 10, 1)
    # One working day before Thu 2025-10-09 skips the whole holiday back to Tue 09-30.
    assert cal.add_working_days(date(2025, 10, 9), -1) == date(2025, 9, 30)
    assert cal.working_days_between(date(2025, 10, 16), date(2025, 9, 26)) == -10
    assert cal.working_days_between(date(2025, 10, 16), date(2025, 10, 16)) == 0


def test_add_and_between_are_inverse(cal: WorkdayCalendar) -> None:
    start = date(2025, 12, 20)
    for n in range(0, 40):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


# -- years the package does not cover --------------------------------------------------------------


def test_2027_without_file_counts_weekdays_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    cal = WorkdayCalendar()
    with caplog.at_level(logging.WARNING, logger="workdays.calendar"):
        # Thu 2027-02-04 + 3 weekdays: Fri 02-05, Mon 02-08, Tue 02-09.
        assert cal.add_working_days(date(2027, 2, 4), 3) == date(2027, 2, 9)
        assert cal.is_workday(date(2027, 2, 14)) is False  # a Sunday, nothing says otherwise
        cal.working_days_between(date(2027, 1, 1), date(2027, 12, 31))
    assert cal.warnings == [
        "2027年不在官方节假日日历内且未提供节假日文件，按周一至周五计算工作日"
        "（2027 is not in the official holiday calendar and no holiday file was given: "
        "counting Monday to Friday as working days）"
    ]
    assert [r.getMessage() for r in caplog.records] == cal.warnings


def test_warning_per_uncovered_year(cal: WorkdayCalendar) -> None:
    cal.add_working_days(date(2027, 12, 30), 5)  # runs into 2028
    cal.is_workday(date(2003, 6, 2))
    assert [w[:5] for w in cal.warnings] == ["2027年", "2028年", "2003年"]


def test_2027_with_example_file(cal: WorkdayCalendar) -> None:
    example = WorkdayCalendar(EXAMPLE_2027)
    # Example schedule: 02-05..02-11 off, Sun 02-14 make-up workday.
    # Thu 2027-02-04 + 3: Fri 02-12 (1), Sun 02-14 (2), Mon 02-15 (3).
    assert example.add_working_days(date(2027, 2, 4), 3) == date(2027, 2, 15)
    assert example.is_workday(date(2027, 2, 8)) is False  # a Monday inside the range
    assert example.is_workday(date(2027, 2, 14)) is True
    assert example.is_workday(date(2027, 3, 1)) is True  # ordinary Monday
    assert example.warnings == []
    assert example.file_years == {2027}
    # Years the file does not name still use the package, and 2028 still warns.
    assert example.add_working_days(date(2025, 9, 26), 10) == date(2025, 10, 16)
    example.is_workday(date(2028, 1, 3))
    assert len(example.warnings) == 1 and example.warnings[0].startswith("2028年")
    assert str(EXAMPLE_2027) in example.warnings[0]


def test_example_file_says_it_is_an_example() -> None:
    head = EXAMPLE_2027.read_text(encoding="utf-8").splitlines()[0]
    assert "EXAMPLE" in head and "NOT THE OFFICIAL" in head


# -- holiday files ---------------------------------------------------------------------------------


def test_file_overrides_package_for_covered_year(tmp_path: Path) -> None:
    # A correction: pretend 2025-10-08 became a working day and Fri 2025-09-26 a holiday.
    path = write(tmp_path, '2025:\n  holidays: ["2025-09-26"]\n  workdays: ["2025-10-08"]\n')
    cal = WorkdayCalendar(path)
    assert cal.is_workday(date(2025, 10, 8)) is True
    assert cal.is_workday(date(2025, 9, 26)) is False
    # Days the file does not mention still follow the package (not plain Mon-Fri).
    assert cal.is_workday(date(2025, 10, 1)) is False
    assert cal.is_workday(date(2025, 9, 28)) is True


def test_unquoted_dates_string_year_and_ranges(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '"2030":\n  holidays:\n    - 2030-01-01\n    - 2030-02-04..2030-02-06\n  workdays:\n    - 2030-02-09\n',
    )
    cal = WorkdayCalendar(path)
    assert [cal.is_workday(date(2030, 2, d)) for d in range(3, 10)] == [
        False,  # Sun
        False,  # Mon, holiday
        False,  # Tue, holiday
        False,  # Wed, holiday
        True,  # Thu
        True,  # Fri
        True,  # Sat, make-up
    ]
    assert cal.is_workday(date(2030, 1, 1)) is False
    assert cal.warnings == []


def test_year_with_empty_lists_is_covered(tmp_path: Path) -> None:
    cal = WorkdayCalendar(write(tmp_path, "2031:\n  holidays: []\n"))
    assert cal.is_workday(date(2031, 1, 1)) is True  # a Wednesday, and the file says no holidays
    assert cal.warnings == []


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('2027:\n  holidays: ["2027-02-30"]\n', "2027-02-30"),
        ('2027:\n  holidays: ["2027-02-11..2027-02-05"]\n', "2027-02-11..2027-02-05"),
        ('2027:\n  holidays: ["2027-10-09"]\n  workdays: ["2027-10-09"]\n', "2027-10-09"),
        ('2027:\n  holiday: ["2027-01-01"]\n', "holiday"),
        ('twenty:\n  holidays: []\n', "twenty"),
        ("- 2027-01-01\n", "顶层"),
        ("2027: [unclosed\n", "YAML"),
        ('2027:\n  holidays: "2027-01-01"\n', "列表"),
    ],
)
def test_bad_files_name_file_and_entry(tmp_path: Path, text: str, needle: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(HolidayFileError) as err:
        WorkdayCalendar(path)
    assert str(path) in str(err.value)
    assert needle in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(HolidayFileError, match="文件不存在"):
        WorkdayCalendar(tmp_path / "nope.yaml")


def test_empty_file_is_no_entries(tmp_path: Path) -> None:
    cal = WorkdayCalendar(write(tmp_path, "# nothing yet\n"))
    assert cal.file_years == frozenset()


# -- default calendar and today --------------------------------------------------------------------


def test_default_calendar_honours_env(monkeypatch: pytest.MonkeyPatch) -> None:
    calendar_module._calendar_for.cache_clear()
    monkeypatch.setenv("GONGKAI_HOLIDAYS", str(EXAMPLE_2027))
    cal = default_calendar()
    assert cal.holiday_file == EXAMPLE_2027
    assert cal.is_workday(date(2027, 2, 14)) is True
    assert default_calendar() is cal  # read once per process
    monkeypatch.delenv("GONGKAI_HOLIDAYS")
    plain = default_calendar()
    assert plain.holiday_file is None
    assert plain.is_workday(date(2027, 2, 14)) is False
    calendar_module._calendar_for.cache_clear()


def test_default_calendar_bad_env_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calendar_module._calendar_for.cache_clear()
    monkeypatch.setenv("GONGKAI_HOLIDAYS", str(tmp_path / "missing.yaml"))
    with pytest.raises(HolidayFileError):
        default_calendar()
    calendar_module._calendar_for.cache_clear()


def test_today_shanghai_is_shanghai_date() -> None:
    # 17:00 UTC on 19 March is already 01:00 on 20 March in Shanghai.
    with time_machine.travel(dt.datetime(2026, 3, 19, 17, 0, tzinfo=dt.UTC), tick=False):
        today = today_shanghai()
    assert today == date(2026, 3, 20)
    assert type(today) is date
