"""Reporting periods of the obligations: a quarter (2025Q2), a year (2025) or a day."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    """A period as filings name it: a quarter (2025Q2), a year (2025) or an event day (2025-09-26)."""

    text: str
    kind: str  # quarter | month | year | day
    year: int
    quarter: int | None = None
    day: date | None = None


def parse_period(text: str) -> Period:
    """Read `text` as a period; ValueError (Chinese) when it is none of the accepted forms."""
    value = (text or "").strip()
    if match := _QUARTER.match(value):
        year, quarter = int(match.group(1)), int(match.group(2))
        return Period(quarter_label(year, quarter), "quarter", year, quarter)
    if match := _YEAR.match(value):
        return Period(value, "year", int(value))
    if (match := _MONTH.match(value)) and 1 <= int(match.group(2)) <= 12:
        return Period(value, "month", int(match.group(1)))
    if _DAY.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return Period(value, "day", day.year, day=day)
    raise ValueError(
        f"期间“{text}”格式不正确：季度写作 2025Q2，月份写作 2025-05，年度写作 2025，事件日期写作 2025-09-26"
    )


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}Q{quarter}"


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_start(year: int, quarter: int) -> date:
    return date(year, 3 * quarter - 2, 1)


def quarter_end(year: int, quarter: int) -> date:
    if quarter == 4:
        return date(year, 12, 31)
    return quarter_start(year, quarter + 1) - timedelta(days=1)


def last_ended_quarter(day: date) -> tuple[int, int]:
    """The most recent quarter that ended on or before `day` (a report filed in July is for Q2)."""
    year, quarter = quarter_of(day)
    if day == quarter_end(year, quarter):
        return year, quarter
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def month_label(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def month_end(year: int, month: int) -> date:
    return (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)
