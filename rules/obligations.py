"""Follow-through over the year: what each unit owes under a plan, and where it stands on a day.

Two halves:

Derivation (pure functions: Document + Registry + policy + calendar → Obligation list). Per
responsible unit, collective names expanded through the district's registry:

- ``plan``: the unit's own annual plan, due the window the plan states (an item such as
  "各单位…制订年度政务公开工作计划…发布后30天内报…") or else ``unit_plan_days`` after issue;
  every office the plan names owes one (not the 政务公开科, which receives them);
- ``report``: a quarterly progress report for each quarter not yet ended at issue, where an
  item says 每季度报送; due ``quarterly_report_working_days`` working days after the quarter;
- ``item``: each item's deadline (完成时限) for its lead and responsible units; a quarterly
  activity (每季度不少于1次) becomes one item duty per quarter, due at the quarter's end;
- ``yearly`` (每年, when the item has no dated deadline) and ``next_year`` (次年第一季度);
- ``event``: 决策出台后的10个工作日内 - an unopened duty per unit, and one opened duty per
  recorded event, due on the official working-day calendar.

Status (a durable-rules ruleset over facts that already carry the due, as-of and filing
ordinals and the policy windows, because the engine compares fields but cannot do arithmetic
on them): pending, due_soon, overdue, escalated, done_on_time, done_late - mutually exclusive.
Lights per unit and per district follow from the states.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from durable.lang import m

from documents.model import Deadline, Document, Item, UnitMention
from offices.registry import Registry
from rules.engine import define_ruleset, run_ruleset
from rules.policy import Policy
from workdays.calendar import WorkdayCalendar, package_covers

RULESET = "gongkai_obligations"
STATES = ("pending", "due_soon", "overdue", "escalated", "done_on_time", "done_late")
DONE_STATES = ("done_on_time", "done_late")
LIGHTS = ("green", "yellow", "red")
LIGHT_RANK = {light: rank for rank, light in enumerate(LIGHTS)}
KIND_ORDER = {"plan": 0, "report": 1, "item": 2, "yearly": 3, "next_year": 4, "event": 5}
KIND_LABELS = {
    "plan": "年度计划",
    "report": "季度报告",
    "item": "任务时限",
    "yearly": "年度任务",
    "next_year": "次年任务",
    "event": "事件触发",
}
ROLE_RANK = {"lead": 0, "responsible": 1, "cooperating": 2}
DATED_KINDS = ("absolute", "relative")

# An item that sets the window for the units' own plans: 各单位要…制订年度政务公开工作计划…
# 并于本工作要点发布后30天内报…
_PLAN_WINDOW = re.compile(r"(制订|制定|编制|报送|上报)[^。]{0,30}(政务公开[^。]{0,10})?工作计划")
# 每季度报送工作开展情况 is a report to the district; 每季度不少于1次 is an activity.
_REPORT = re.compile(r"(每季度|按季度|每个季度)[^。；，,]{0,12}(报送|上报|报告|汇报)")
_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# -- periods ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A period as filings name it: a quarter (2025Q2), a year (2025) or an event day (2025-09-26)."""

    text: str
    kind: str  # quarter | year | day
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
    if _DAY.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return Period(value, "day", day.year, day=day)
    raise ValueError(
        f"期间“{text}”格式不正确：季度写作 2025Q2，年度写作 2025，事件日期写作 2025-09-26"
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


# -- derivation -------------------------------------------------------------------------------


@dataclass
class Obligation:
    """One duty of one unit under one plan."""

    doc_key: str
    district: str | None
    unit: str  # canonical office name (or the name as written when the registry lacks it)
    kind: str  # plan | report | item | yearly | next_year | event
    item: int | None  # the item the duty comes from
    period: str | None  # 2025Q3 | 2025 | 2025-09-26 (an opened event duty)
    due: date | None  # None: an event duty not yet opened
    phrase: str  # the deadline as written
    action: str  # Chinese: what to do
    lead_units: list[str] = field(default_factory=list)
    summary: str = ""
    title: str = ""
    doc_number: str | None = None
    issued_on: date | None = None
    opened_on: date | None = None
    event: str | None = None
    calendar_note: str | None = None

    @property
    def key(self) -> str:
        return obligation_key(self.doc_key, self.unit, self.kind, self.item, self.period)

    def to_row(self, document_id: int | None = None) -> dict[str, Any]:
        """The columns of store.obligations.ObligationRecord."""
        # A shallow copy (not dataclasses.asdict, which deep-copies): tens of thousands per night.
        row = dict(self.__dict__)
        row["lead_units"] = list(self.lead_units)
        row["obligation_key"] = self.key
        row["document_id"] = document_id
        return row


@dataclass
class Derivation:
    obligations: list[Obligation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # Chinese, for users

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


@dataclass(frozen=True)
class RecordedEvent:
    """An event that opens an event-relative duty (store.obligations.EventRecord has these fields)."""

    item: int
    unit: str
    occurred_on: date
    event: str = ""


# A unit files one plan per district plan and one report per period, whichever item asks.
PER_PLAN_KINDS = ("plan", "report")


def obligation_key(doc_key: str, unit: str, kind: str, item: int | None = None, period: str | None = None) -> str:
    """The stable identity of an obligation: doc key | unit | kind | item | period."""
    item_part = "" if kind in PER_PLAN_KINDS or item is None else str(item)
    return "|".join((doc_key, unit, kind, item_part, period or ""))


def _short(text: str, limit: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _item_label(item: Item) -> str:
    return _short(item.title or item.text, 40)


def _calendar_note(calendar: WorkdayCalendar, start: date, end: date) -> str | None:
    """Why a working-day due date may be off: a year neither the package nor the holiday file knows."""
    for year in range(start.year, end.year + 1):
        if package_covers(year) or year in calendar.file_years:
            continue
        for warning in calendar.warnings:
            if warning.startswith(f"{year}年"):
                return warning
        return f"{year}年不在官方节假日日历内且未提供节假日文件，按周一至周五计算工作日"
    return None


class _Units:
    """Resolves the unit names of a plan through the district's registry, warning once per name."""

    def __init__(self, registry: Registry | None, derivation: Derivation, place: str | None):
        self.registry = registry
        self.derivation = derivation
        self.place = place or "该区"
        self._cache: dict[str, list[str]] = {}

    def offices(self, mention: UnitMention) -> list[str]:
        name = mention.name
        if name not in self._cache:
            self._cache[name] = self._resolve(mention)
        return self._cache[name]

    def _resolve(self, mention: UnitMention) -> list[str]:
        registry = self.registry
        if registry is None:
            if mention.collective:
                self.derivation.warn(f"没有{self.place}的单位名录，集合名称“{mention.name}”无法展开，未生成其义务")
                return []
            return [mention.canonical or mention.name]
        resolution = registry.resolve(mention.name)
        if resolution.office is not None:
            if resolution.office.kind == "section" or resolution.office.is_transparency_section:
                return []  # the 政务公开科 receives the filings; it owes none of them
            return [resolution.office.name]
        if resolution.collective:
            members = [o.name for o in resolution.members if o.kind != "section" and not o.is_transparency_section]
            if not members:
                self.derivation.warn(f"集合名称“{mention.name}”在{registry.district}单位名录中没有成员单位，未生成其义务")
            return members
        # Kept under the name as written so nobody is silently left out: alerts for it go to
        # the 政务公开科 with a note (notifications.routing), and the check reports UNKNOWN_UNIT.
        hint = f"，是否为“{resolution.suggestion}”？" if resolution.suggestion else ""
        self.derivation.warn(
            f"责任单位“{mention.name}”不在{registry.district}单位名录中{hint}（其义务按原名称记录）"
        )
        return [mention.canonical or mention.name]


def _roles(units: Iterable[UnitMention], resolver: _Units) -> dict[str, str]:
    """office → its strongest role in the mentions (a named unit outranks a collective it is in)."""
    roles: dict[str, str] = {}
    for mention in units:
        for office in resolver.offices(mention):
            role = mention.role if mention.role in ROLE_RANK else "responsible"
            if office not in roles or ROLE_RANK[role] < ROLE_RANK[roles[office]]:
                roles[office] = role
    return roles


def _owners(roles: dict[str, str]) -> list[str]:
    """Who answers for an item: its lead and responsible units; 配合 units only when nobody else is named."""
    owners = [o for o, r in roles.items() if r != "cooperating"]
    return owners or list(roles)


def _dated(deadlines: Iterable[Deadline]) -> list[Deadline]:
    return [d for d in deadlines if d.kind in DATED_KINDS and d.due is not None]


def _due(deadline: Deadline) -> date:
    """The date of a deadline `_dated` kept (it always has one)."""
    assert deadline.due is not None
    return deadline.due


def _pick_due(deadlines: list[Deadline], issued: date | None) -> Deadline | None:
    """The completion deadline: the latest dated one. Deadlines before the plan's issue date
    cannot be met by anyone it binds (the timing check reports them), so they count only
    when there is nothing else."""
    if not deadlines:
        return None
    usable = [d for d in deadlines if issued is None or _due(d) >= issued] or deadlines
    return max(usable, key=_due)


def _unit_deadlines(item: Item, owners: list[str], resolver: _Units | None) -> dict[str, list[Deadline]]:
    """Dated deadlines per owner: a task table row's deadline binds the units of that row; body
    deadlines bind every owner; an owner no row names falls back to the item's deadlines."""
    per_unit: dict[str, list[Deadline]] = {o: [] for o in owners}
    if resolver is not None:
        for row in item.sub_rows:
            dated = _dated(row.deadlines)
            if not dated:
                continue
            for mention in row.units:
                for office in resolver.offices(mention):
                    if office in per_unit:
                        per_unit[office].extend(dated)
    body = [d for d in _dated(item.deadlines) if d.source == "body"]
    every = _dated(item.deadlines)
    for found in per_unit.values():
        # a unit's own table row fixes its deadline; the body's dates apply to units without one
        if not found:
            found.extend(body or every)
    return per_unit


def plan_window_item(doc: Document) -> tuple[Item, Deadline] | None:
    """The item stating when the units' own plans are due (发布后30天内), if the plan has one."""
    for item in doc.items:
        relative = [d for d in item.deadlines if d.kind == "relative" and d.days is not None]
        if relative and _PLAN_WINDOW.search(item.text):
            return item, relative[0]
    return None


def is_report_item(item: Item) -> bool:
    quarterly = any(d.kind == "recurring" and d.period == "quarter" for d in item.deadlines)
    return quarterly and bool(_REPORT.search(item.text))


def _plan_year(doc: Document) -> int | None:
    return doc.year or (doc.issue_date.year if doc.issue_date else None)


def _open_quarters(doc: Document) -> list[tuple[int, int]]:
    """Quarters of the plan's year not yet over when the plan was issued."""
    year = _plan_year(doc)
    if year is None:
        return []
    return [(year, q) for q in (1, 2, 3, 4) if doc.issue_date is None or quarter_end(year, q) >= doc.issue_date]


def _event_due(calendar: WorkdayCalendar, deadline: Deadline, occurred: date) -> tuple[date, str | None]:
    days = deadline.days or 0
    if deadline.working_days:
        due = calendar.add_working_days(occurred, days)
        return due, _calendar_note(calendar, occurred, due)
    return occurred + timedelta(days=days), None


def derive_plan_obligations(
    doc: Document,
    registry: Registry | None,
    policy: Policy,
    calendar: WorkdayCalendar,
    *,
    doc_key: str,
    events: Iterable[RecordedEvent] = (),
) -> Derivation:
    """Every obligation a district plan puts on the offices it names."""
    out = Derivation()
    resolver = _Units(registry, out, doc.place)
    if registry is None:
        out.warn(f"未找到{doc.place or '该文件'}的单位名录，集合名称无法展开")
    base = _base(doc, doc_key)
    year = _plan_year(doc)

    named: dict[str, None] = {}
    for item in doc.items:
        for mention in item.units:
            named.update(dict.fromkeys(resolver.offices(mention)))
        for row in item.sub_rows:
            for mention in row.units:
                named.update(dict.fromkeys(resolver.offices(mention)))

    window = plan_window_item(doc)
    out.obligations += _plan_duties(doc, list(named), window, policy, resolver, base, year, out)
    out.obligations += _report_duties(doc, policy, calendar, resolver, base)

    events = list(events)
    for item in doc.items:
        if window is not None and item is window[0]:
            continue  # its deadlines are the plan window, taken care of above
        roles = _roles([*item.units, *(u for row in item.sub_rows for u in row.units)], resolver)
        out.obligations += _item_duties(doc, item, roles, calendar, base, events, resolver=resolver)
    return _dedupe(out)


def derive_unit_plan_obligations(
    doc: Document,
    unit: str,
    policy: Policy,
    calendar: WorkdayCalendar,
    *,
    doc_key: str,
    district: str | None = None,
    events: Iterable[RecordedEvent] = (),
) -> Derivation:
    """A unit's own plan binds the unit itself: its items' deadlines are owed by `unit` (the
    科室 it names are not offices of the district registry)."""
    out = Derivation()
    base = _base(doc, doc_key)
    base["district"] = district or doc.place
    events = list(events)
    for item in doc.items:
        out.obligations += _item_duties(doc, item, {unit: "responsible"}, calendar, base, events, resolver=None)
    return _dedupe(out)


def _base(doc: Document, doc_key: str) -> dict[str, Any]:
    return {
        "doc_key": doc_key,
        "district": doc.place,
        "title": doc.title,
        "doc_number": doc.doc_number,
        "issued_on": doc.issue_date,
    }


def _dedupe(out: Derivation) -> Derivation:
    seen: dict[str, Obligation] = {}
    for obligation in out.obligations:
        seen.setdefault(obligation.key, obligation)  # the first item asking for it is its source
    out.obligations = list(seen.values())
    return out


def _plan_duties(
    doc: Document,
    units: list[str],
    window: tuple[Item, Deadline] | None,
    policy: Policy,
    resolver: _Units,
    base: dict[str, Any],
    year: int | None,
    out: Derivation,
) -> list[Obligation]:
    if window is not None:
        item, deadline = window
        due = deadline.due or (doc.issue_date + timedelta(days=deadline.days or 0) if doc.issue_date else None)
        phrase, source, summary = deadline.phrase, item.number, _short(item.text, 80)
        leads = [o for o, r in _roles(item.units, resolver).items() if r == "lead"]
    else:
        days = policy.unit_plan_days
        due = doc.issue_date + timedelta(days=days) if doc.issue_date else None
        phrase, source, summary, leads = f"印发后{days}天内（政策设定）", None, _short(doc.title, 80), []
    if due is None:
        out.warn("方案没有印发日期，无法计算各单位年度计划的报送时限")
        return []
    action = f"制订并报送本单位{year or ''}年度政务公开工作计划"
    return [
        Obligation(**base, unit=unit, kind="plan", item=source, period=None, due=due, phrase=phrase,
                   action=action, lead_units=leads, summary=summary)
        for unit in units
    ]


def _report_duties(
    doc: Document, policy: Policy, calendar: WorkdayCalendar, resolver: _Units, base: dict[str, Any]
) -> list[Obligation]:
    days = policy.quarterly_report_working_days
    duties: list[Obligation] = []
    for item in doc.items:
        if not is_report_item(item):
            continue
        roles = _roles([*item.units, *(u for row in item.sub_rows for u in row.units)], resolver)
        leads = [o for o, r in roles.items() if r == "lead"]
        for year, quarter in _open_quarters(doc):
            end = quarter_end(year, quarter)
            due = calendar.add_working_days(end, days)
            note = _calendar_note(calendar, end, due)
            for unit in _owners(roles):
                duties.append(Obligation(
                    **base, unit=unit, kind="report", item=item.number, period=quarter_label(year, quarter),
                    due=due, phrase=f"每季度（季度结束后{days}个工作日内）",
                    action=f"报送{year}年第{quarter}季度政务公开工作开展情况", lead_units=leads,
                    summary=_short(item.text, 80), calendar_note=note,
                ))
    return duties


def _item_duties(
    doc: Document,
    item: Item,
    roles: dict[str, str],
    calendar: WorkdayCalendar,
    base: dict[str, Any],
    events: list[RecordedEvent],
    *,
    resolver: _Units | None,
) -> list[Obligation]:
    """The duties one item puts on its owners. `resolver` None: a unit plan, whose owner is
    fixed (the issuing unit) and whose quarterly reports are an internal matter."""
    if not roles:
        return []  # nobody named: the assignment check reports ITEM_WITHOUT_UNIT
    owners = _owners(roles)
    leads = [o for o, r in roles.items() if r == "lead"]
    label = _item_label(item)
    common = {**base, "item": item.number, "lead_units": leads, "summary": _short(item.text, 80)}
    duties: list[Obligation] = []
    per_unit = _unit_deadlines(item, owners, resolver)
    chosen_by_unit = {unit: _pick_due(per_unit.get(unit, []), doc.issue_date) for unit in owners}
    for unit in owners:
        chosen = chosen_by_unit[unit]
        if chosen is not None:
            duties.append(Obligation(**common, unit=unit, kind="item", period=None, due=chosen.due,
                                     phrase=chosen.phrase, action=f"完成第{item.number}项任务：{label}"))
    year = _plan_year(doc)
    for deadline in item.deadlines:
        if deadline.kind == "recurring" and deadline.period == "quarter" and (resolver is None or not is_report_item(item)):
            for q_year, quarter in _open_quarters(doc):
                for unit in owners:
                    duties.append(Obligation(
                        **common, unit=unit, kind="item", period=quarter_label(q_year, quarter),
                        due=quarter_end(q_year, quarter), phrase=deadline.phrase,
                        action=f"完成第{item.number}项{q_year}年第{quarter}季度任务：{label}",
                    ))
        elif deadline.kind == "recurring" and deadline.period == "year" and year is not None:
            for unit in owners:
                if chosen_by_unit[unit] is None:
                    duties.append(Obligation(
                        **common, unit=unit, kind="yearly", period=str(year), due=date(year, 12, 31),
                        phrase=deadline.phrase, action=f"完成第{item.number}项{year}年度任务：{label}",
                    ))
        elif deadline.kind == "next_year" and (deadline.due is not None or year is not None):
            due = deadline.due or date((year or 0) + 1, 3, 31)  # the branch has a due date or a year
            q_year, quarter = quarter_of(due)
            for unit in owners:
                duties.append(Obligation(
                    **common, unit=unit, kind="next_year", period=quarter_label(q_year, quarter), due=due,
                    phrase=deadline.phrase, action=f"于{deadline.phrase}完成第{item.number}项任务：{label}",
                ))
        elif deadline.kind == "event":
            duties += _event_duties(item, deadline, owners, calendar, common, label, events)
    return duties


def _event_duties(
    item: Item,
    deadline: Deadline,
    owners: list[str],
    calendar: WorkdayCalendar,
    common: dict[str, Any],
    label: str,
    events: list[RecordedEvent],
) -> list[Obligation]:
    event = deadline.event or "相关事件"
    unit_word = "个工作日" if deadline.working_days else "天"
    what = f"在{event}后{deadline.days or 0}{unit_word}内完成第{item.number}项任务：{label}"
    duties = [
        Obligation(**common, unit=unit, kind="event", period=None, due=None, phrase=deadline.phrase,
                   action=what, event=event)
        for unit in owners
    ]
    for recorded in events:
        if recorded.item != item.number or recorded.unit not in owners:
            continue
        due, note = _event_due(calendar, deadline, recorded.occurred_on)
        duties.append(Obligation(
            **common, unit=recorded.unit, kind="event", period=recorded.occurred_on.isoformat(), due=due,
            phrase=deadline.phrase, action=f"{what}（{event}日期：{recorded.occurred_on.isoformat()}）",
            event=recorded.event or event, opened_on=recorded.occurred_on, calendar_note=note,
        ))
    return duties


# -- status -----------------------------------------------------------------------------------


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
    facts = [status_fact(key, due, filed, as_of, windows) for key, due, filed in entries]
    found: dict[str, list[str]] = {}
    for start in range(0, len(facts), BATCH_SIZE):
        for conclusion in run_ruleset(RULESET, facts[start : start + BATCH_SIZE]):
            found.setdefault(conclusion.fact["key"], []).append(conclusion.verdict["state"])
    verdicts: dict[str, Verdict] = {}
    for key, due, _filed in entries:
        states = found.get(key, [])
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
