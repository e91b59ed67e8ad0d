"""The official working-day calendar (工作日历) of the People's Republic of China.

Duties such as 决策出台后的10个工作日内 are counted in working days: weekends and
statutory holidays are off, and some weekends are make-up working days (调休上班).
`chinesecalendar` knows the official schedule for the years it ships; for other years a
holiday file (see data/holidays/README.md) supplies it, and without one the calendar falls
back to Monday-Friday and says so in `WorkdayCalendar.warnings`.
"""

from workdays.calendar import (
    HolidayFileError,
    WorkdayCalendar,
    default_calendar,
    today_shanghai,
)

__all__ = ["HolidayFileError", "WorkdayCalendar", "default_calendar", "today_shanghai"]
