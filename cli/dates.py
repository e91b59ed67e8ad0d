"""Dates given on the command line: YYYY-MM-DD, defaulting to today in Asia/Shanghai."""

from __future__ import annotations

from datetime import date


def parse_day(value: str | None, option: str = "--as-of") -> date | None:
    """`value` as a date, None when not given; a malformed date is a ValueError naming the option
    (the CLI prints it in one line and exits 2)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{option}: 日期格式应为 YYYY-MM-DD，收到 {value!r}") from None


def as_of_day(value: str | None) -> date:
    """The evaluation date of a command: `--as-of`, else today in Shanghai."""
    from workdays.calendar import today_shanghai  # the calendar loads its holiday data

    return parse_day(value) or today_shanghai()
