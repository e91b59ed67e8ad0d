"""Working days on the official calendar, with a holiday file for years the package lacks.

`chinesecalendar` ships the State Council's holiday schedule for a fixed span of years
(2004-2026 in 1.11) and raises `NotImplementedError` outside it. The schedule for a new year
is published late in the year before, so a deployment must be able to supply it before the
package catches up: a YAML holiday file (format in data/holidays/README.md). Entries in the
file also override the package for years it does cover, so an error can be corrected locally.
A year known to neither is counted Monday-Friday, with one warning per year, because a silent
fallback would shift every working-day deadline across a holiday without anyone noticing.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
import pendulum
import yaml

# libyaml's loader when it is built in (several times faster than the pure-Python one)
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

__all__ = ["HolidayFileError", "WorkdayCalendar", "default_calendar", "today_shanghai"]

log = logging.getLogger(__name__)

TIMEZONE = "Asia/Shanghai"
HOLIDAYS_ENV = "GONGKAI_HOLIDAYS"
_RANGE_SEP = ".."
_ONE_DAY = timedelta(days=1)


class HolidayFileError(ValueError):
    """A holiday file could not be read. The message (Chinese, then English) names the file."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"节假日文件 {path} 有误：{problem}")


class WorkdayCalendar:
    """Official working days: chinesecalendar, corrected and extended by an optional holiday file."""

    def __init__(self, holiday_file: str | Path | None = None):
        self.holiday_file: Path | None = Path(holiday_file) if holiday_file is not None else None
        # Dates the file declares off / on, and the years it speaks for. A year key present in
        # the file counts as covered even when its lists are empty (a deliberate "no holidays").
        self._file_holidays: set[date] = set()
        self._file_workdays: set[date] = set()
        self._file_years: set[int] = set()
        self.warnings: list[str] = []
        self._warned_years: set[int] = set()
        self._fingerprint: str | None = None
        if self.holiday_file is not None:
            self._load(self.holiday_file)

    # -- public API -------------------------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        """True when `day` is a working day (including make-up working days on weekends)."""
        day = _as_date(day)
        if day in self._file_holidays:
            return False
        if day in self._file_workdays:
            return True
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            # The package does not know this year: the file's entries (already applied) are
            # the whole schedule, and without them Mon-Fri is a guess worth a warning.
            if day.year not in self._file_years:
                self._warn_uncovered(day.year)
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day strictly after `start` (n < 0: strictly before; n == 0: `start`)."""
        day = _as_date(start)
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_workday(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: so that add_working_days(start, n) == end gives n.

        Negative when `end` is before `start`, mirroring add_working_days with negative n.
        """
        start, end = _as_date(start), _as_date(end)
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += _ONE_DAY
            if self.is_workday(day):
                count += 1
        return count

    def fingerprint(self) -> str:
        """A hash of the schedule this calendar follows (the holiday package's version, the
        holiday file's path and dates): due dates derived under an equal fingerprint are equal."""
        if self._fingerprint is None:
            import hashlib
            from importlib.metadata import PackageNotFoundError, version

            try:
                package = version("chinesecalendar")
            except PackageNotFoundError:
                package = "?"
            parts = [package, str(self.holiday_file or ""), *sorted(f"-{d}" for d in self._file_holidays),
                     *sorted(f"+{d}" for d in self._file_workdays), *sorted(f"y{y}" for y in self._file_years)]
            self._fingerprint = hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()
        return self._fingerprint

    @property
    def file_years(self) -> frozenset[int]:
        """Years for which the holiday file gives the schedule."""
        return frozenset(self._file_years)

    # -- internals --------------------------------------------------------------------------

    def _warn_uncovered(self, year: int) -> None:
        if year in self._warned_years:
            return
        self._warned_years.add(year)
        if self.holiday_file is None:
            message = (
                f"{year}年不在官方节假日日历内且未提供节假日文件，按周一至周五计算工作日"
                f"（{year} is not in the official holiday calendar and no holiday file was given: "
                "counting Monday to Friday as working days）"
            )
        else:
            message = (
                f"{year}年不在官方节假日日历内，节假日文件 {self.holiday_file} 也未包含该年，"
                f"按周一至周五计算工作日（{year} is neither in the official holiday calendar nor in "
                f"the holiday file {self.holiday_file}: counting Monday to Friday as working days）"
            )
        self.warnings.append(message)
        log.warning(message)

    def _load(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise HolidayFileError(path, "文件不存在 (file not found)") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise HolidayFileError(path, f"无法读取 (cannot read): {exc}") from None
        try:
            data = yaml.load(text, Loader=YAML_LOADER)
        except yaml.YAMLError as exc:
            raise HolidayFileError(path, f"不是有效的YAML (not valid YAML): {exc}") from None
        if data is None:
            return
        if not isinstance(data, dict):
            raise HolidayFileError(path, "顶层应为以年份为键的映射 (top level must map years to entries)")
        for key, entry in data.items():
            year = _year_key(path, key)
            if entry is None:
                entry = {}
            if not isinstance(entry, dict):
                raise HolidayFileError(path, f"{year}年的内容应包含 holidays/workdays 列表")
            unknown = set(entry) - {"holidays", "workdays"}
            if unknown:
                raise HolidayFileError(path, f"{year}年有无法识别的键 (unknown keys): {sorted(map(str, unknown))}")
            self._file_years.add(year)
            self._file_holidays.update(_expand(path, year, entry.get("holidays")))
            self._file_workdays.update(_expand(path, year, entry.get("workdays")))
        clash = self._file_holidays & self._file_workdays
        if clash:
            listed = "、".join(d.isoformat() for d in sorted(clash))
            raise HolidayFileError(path, f"以下日期同时列为节假日和工作日 (both holiday and workday): {listed}")


def _as_date(value: date) -> date:
    # datetime is a subclass of date; comparing one with a date raises, so reduce it first.
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, date):
        raise TypeError(f"expected a date, got {type(value).__name__}")
    return date(value.year, value.month, value.day)


def _year_key(path: Path, key: Any) -> int:
    try:
        year = int(str(key).strip())
    except ValueError:
        raise HolidayFileError(path, f"年份键无效 (bad year key): {key!r}") from None
    if not 1 <= year <= 9999:
        raise HolidayFileError(path, f"年份键无效 (bad year key): {key!r}")
    return year


def _expand(path: Path, year: int, entries: Any) -> Iterable[date]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise HolidayFileError(path, f"{year}年的 holidays/workdays 应为列表 (must be a list)")
    days: list[date] = []
    for entry in entries:
        # YAML turns an unquoted 2027-01-01 into a date and leaves ranges as strings.
        if isinstance(entry, date):
            days.append(_as_date(entry))
            continue
        text = str(entry).strip()
        if _RANGE_SEP in text:
            first_text, _, last_text = text.partition(_RANGE_SEP)
            first, last = _parse_day(path, first_text), _parse_day(path, last_text)
            if last < first:
                raise HolidayFileError(path, f"日期范围首尾颠倒 (range ends before it starts): {text}")
            day = first
            while day <= last:
                days.append(day)
                day += _ONE_DAY
        else:
            days.append(_parse_day(path, text))
    return days


def _parse_day(path: Path, text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise HolidayFileError(path, f"日期格式应为 YYYY-MM-DD (bad date): {text.strip()!r}") from None


@functools.lru_cache(maxsize=8)
def _calendar_for(path: str | None) -> WorkdayCalendar:
    return WorkdayCalendar(path)


def default_calendar() -> WorkdayCalendar:
    """The calendar for this process: the holiday file named by $GONGKAI_HOLIDAYS, if set.

    Cached per file path so a nightly run reads the file once and warns once per year.
    """
    path = os.environ.get(HOLIDAYS_ENV, "").strip() or None
    return _calendar_for(path)


@functools.lru_cache(maxsize=64)
def package_covers(year: int) -> bool:
    """Whether the official holiday package (chinesecalendar) knows `year`."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def today_shanghai() -> date:
    """Today's date in Shanghai, whatever the machine's time zone."""
    today = pendulum.today(TIMEZONE).date()
    return date(today.year, today.month, today.day)
