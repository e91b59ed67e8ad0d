"""Where an obligation stands on a day: the status ruleset (pending, due_soon, overdue, escalated,
done_on_time, done_late — mutually exclusive) and the red/yellow/green lights per unit and district.

The facts already carry the due, as-of and filing ordinals and the policy windows, because the
engine compares fields but cannot do arithmetic on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from durable.lang import m

from documents.model import reader_name
from rules.engine import define_ruleset, run_ruleset
from rules.policy import Policy
from workdays.calendar import WorkdayCalendar

RULESET = "gongkai_obligations"
# Sort order of the kinds of duty in a status list.
KIND_ORDER = {"plan": 0, "report": 1, "item": 2, "yearly": 3, "next_year": 4, "event": 5}
STATES = ("pending", "due_soon", "overdue", "escalated", "done_on_time", "done_late", "closed_unfinished")
# What needs someone's attention now: the default of `gongkai status`.
ATTENTION_STATES = ("escalated", "overdue", "due_soon")
DONE_STATES = ("done_on_time", "done_late")
LIGHTS = ("green", "yellow", "red")
LIGHT_RANK = {light: rank for rank, light in enumerate(LIGHTS)}


@dataclass
class Verdict:
    state: str
    light: str
    days_left: int | None  # due - as_of in days; negative: overdue by that many days
    rule: str = ""


@dataclass
class ObligationStatus:
    """An obligation as it stands on `as_of`: its state, light, days left and filing."""

    key: str
    doc_key: str
    doc_number: str | None
    title: str
    district: str | None
    unit: str
    kind: str
    item: int | None
    period: str | None
    due: date | None
    phrase: str
    action: str
    summary: str
    lead_units: list[str]
    event: str | None
    opened_on: date | None
    state: str
    light: str
    days_left: int | None
    filed_on: date | None
    escalate_to: list[str] = field(default_factory=list)  # lead units + 政务公开科, when escalated
    calendar_note: str | None = None
    plan_year: int | None = None
    document_id: int | None = None  # the stored plan version the duty was derived from
    closed_on: date | None = None  # the day the plan's year closed (None: still open)

    @property
    def plan_name(self) -> str:
        """The plan as a reader names it: its 发文字号, else 《its title》."""
        return reader_name(self.doc_number, self.title)

    @property
    def sort_key(self) -> tuple:
        return (
            self.due is None,
            self.due or date.max,
            self.district or "",
            self.unit,
            KIND_ORDER.get(self.kind, 9),
            self.item or 0,
            self.period or "",
        )

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (docs/obligations.md)."""
        return {
            "key": self.key,
            "doc_key": self.doc_key,
            "doc_number": self.doc_number,
            "title": self.title,
            "district": self.district,
            "unit": self.unit,
            "kind": self.kind,
            "item": self.item,
            "period": self.period,
            "due": self.due.isoformat() if self.due else None,
            "phrase": self.phrase,
            "action": self.action,
            "lead_units": list(self.lead_units),
            "event": self.event,
            "opened_on": self.opened_on.isoformat() if self.opened_on else None,
            "state": self.state,
            "light": self.light,
            "days_left": self.days_left,
            "filed_on": self.filed_on.isoformat() if self.filed_on else None,
            "escalate_to": list(self.escalate_to),
            "calendar_note": self.calendar_note,
            "plan_year": self.plan_year,
            "document_id": self.document_id,
            "closed_on": self.closed_on.isoformat() if self.closed_on else None,
        }


def status_fact(key: str, due: date | None, filed_on: date | None, as_of: date, windows: dict[str, int]) -> dict[str, Any]:
    """One fact per obligation. Ordinals, with 0 for "none" (no due date yet, nothing filed);
    the window edges are computed here because rule conditions can compare fields but not add."""
    due_o = due.toordinal() if due else 0
    return {
        "kind": "obligation",
        "key": key,
        "due": due_o,
        "as_of": as_of.toordinal(),
        "filed": filed_on.toordinal() if filed_on else 0,
        **windows,
        "soon_from": due_o - windows["reminder_lead_days"] if due else 0,
        "escalate_after": due_o + windows["escalation_days"] if due else 0,
    }


# Facts per rules session: the city's tens of thousands of obligations go through in sessions
# of bounded size, each deleted by run_ruleset before the next starts.
BATCH_SIZE = 1000


def _state(name: str):  # noqa: ANN202 - a rule action
    def action(fact: dict[str, Any]) -> dict[str, Any]:
        return {"state": name}

    return action


def _define() -> None:
    filed, unfiled, dated = m.filed > 0, m.filed == 0, m.due > 0
    define_ruleset(
        RULESET,
        [
            # A duty done before it was even opened (an event duty) was done in time.
            ("done_on_time", filed & ((m.due == 0) | (m.filed <= m.due)), _state("done_on_time")),
            ("done_late", filed & dated & (m.filed > m.due), _state("done_late")),
            ("escalated", unfiled & dated & (m.as_of > m.escalate_after), _state("escalated")),
            ("overdue", unfiled & dated & (m.as_of > m.due) & (m.as_of <= m.escalate_after), _state("overdue")),
            ("due_soon", unfiled & dated & (m.as_of <= m.due) & (m.as_of >= m.soon_from), _state("due_soon")),
            ("pending", unfiled & ((m.due == 0) | (m.as_of < m.soon_from)), _state("pending")),
        ],
    )


def plan_close_day(year: int | None, policy: Policy, calendar: WorkdayCalendar) -> date | None:
    """The first day a plan of `year` is closed: the day after the next year's first-quarter
    report window (policy `plan_close`), or None when plans never close."""
    if year is None or policy.plan_close == "never":
        return None
    window_end = calendar.add_working_days(date(year + 1, 3, 31), policy.quarterly_report_working_days)
    return window_end + timedelta(days=1)


class PlanYears:
    """Whether a plan of a given year has closed on `as_of` (`plan_close_day`), each year's close
    day counted once: a working-day count is not free, and a city has a thousand plans of two or
    three years."""

    def __init__(self, policy: Policy, calendar: WorkdayCalendar, as_of: date):
        self.policy, self.calendar, self.as_of = policy, calendar, as_of
        self._days: dict[int | None, date | None] = {}

    def close_day(self, year: int | None) -> date | None:
        if year not in self._days:
            self._days[year] = plan_close_day(year, self.policy, self.calendar)
        return self._days[year]

    def closed(self, year: int | None) -> bool:
        day = self.close_day(year)
        return day is not None and self.as_of >= day


def close_verdict(verdict: Verdict) -> Verdict:
    """An open duty of a closed plan: closed unfinished — kept and reported, never escalated or
    mailed again; no light of its own (the year is over, nobody can still act on it)."""
    if verdict.state in DONE_STATES:
        return verdict
    return Verdict("closed_unfinished", "green", verdict.days_left, f"{RULESET}.closed_unfinished")


def light_for(state: str, days_left: int | None, grace_days: int) -> str:
    """green: nothing overdue; yellow: due soon, or overdue within the grace days; red: escalated,
    or overdue beyond the grace days."""
    if state == "escalated":
        return "red"
    if state == "overdue":
        return "yellow" if days_left is not None and -days_left <= grace_days else "red"
    if state == "due_soon":
        return "yellow"
    return "green"


def evaluate(
    entries: Iterable[tuple[str, date | None, date | None]], as_of: date, policy: Policy
) -> dict[str, Verdict]:
    """(key, due, first filing on or before as_of) triples → key → Verdict, by the status rules."""
    windows = policy.windows()
    entries = list(entries)
    _define()
    # The rules read only the dates: obligations with the same due day and filing day get the same
    # verdict, so one fact per such case goes in (a city's tens of thousands of duties fall due on
    # a few hundred days), and each obligation takes its case's verdict.
    cases: dict[tuple[date | None, date | None], str] = {}
    for _key, due, filed in entries:
        cases.setdefault((due, filed), f"case-{len(cases)}")
    facts = [status_fact(case, due, filed, as_of, windows) for (due, filed), case in cases.items()]
    found: dict[str, list[str]] = {}
    for start in range(0, len(facts), BATCH_SIZE):
        for conclusion in run_ruleset(RULESET, facts[start : start + BATCH_SIZE]):
            found.setdefault(conclusion.fact["key"], []).append(conclusion.verdict["state"])
    verdicts: dict[str, Verdict] = {}
    for key, due, filed in entries:
        states = found.get(cases[(due, filed)], [])
        if len(states) != 1:  # the conditions are meant to partition every case
            raise RuntimeError(f"obligation {key}: status rules gave {states or 'no state'}")
        days_left = (due - as_of).days if due else None
        state = states[0]
        verdicts[key] = Verdict(state, light_for(state, days_left, windows["grace_days"]), days_left,
                                f"{RULESET}.{state}")
    return verdicts


@dataclass
class LightRow:
    district: str | None
    unit: str | None  # None for a district row
    light: str
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {"district": self.district}
        if self.unit is not None:
            row["unit"] = self.unit
        row.update({"light": self.light, "counts": dict(self.counts)})
        return row


@dataclass
class Lights:
    districts: list[LightRow]
    units: list[LightRow]

    def to_dict(self) -> dict[str, Any]:
        return {"districts": [r.to_dict() for r in self.districts], "units": [r.to_dict() for r in self.units]}


def compute_lights(statuses: Iterable[ObligationStatus]) -> Lights:
    """The worst light of each unit and of each district, with counts per state."""
    units: dict[Any, LightRow] = {}  # (district, unit) → row
    districts: dict[Any, LightRow] = {}  # district → row
    for status in statuses:
        for table, key, unit in ((units, (status.district, status.unit), status.unit),
                                 (districts, status.district, None)):
            row = table.get(key)
            if row is None:
                row = table[key] = LightRow(status.district, unit, "green", dict.fromkeys(STATES, 0))
            row.counts[status.state] += 1
            if LIGHT_RANK[status.light] > LIGHT_RANK[row.light]:
                row.light = status.light
    return Lights(
        districts=[districts[k] for k in sorted(districts, key=lambda d: d or "")],
        units=[units[k] for k in sorted(units, key=lambda k: (-LIGHT_RANK[units[k].light], k[0] or "", k[1]))],
    )
