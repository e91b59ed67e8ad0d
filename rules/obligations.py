"""What each unit owes under a plan over the year (derivation; status and periods live beside it).

Derivation (pure functions: Document + Registry + policy + calendar → Obligation list). Per
responsible unit, collective names expanded through the district's registry:

- ``plan``: the unit's own annual plan, due the window the plan states (an item such as
  "各单位…制订年度政务公开工作计划…发布后30天内报…") or else ``unit_plan_days`` after issue;
  every office the plan names owes one (not the 政务公开科, which receives them);
- ``report``: a quarterly progress report for each quarter not yet ended at issue, where an
  item says 每季度报送; due ``quarterly_report_working_days`` working days after the quarter;
- ``item``: each item's deadline (完成时限) for its lead and responsible units; a quarterly
  activity (每季度不少于1次) becomes one item duty per quarter, due at the quarter's end;
- ``yearly`` (每年, when the item has no dated deadline; also an item with no deadline at all in a
  yearly plan, due at the year's end when the policy's ``default_item_due`` is ``year_end``) and
  ``next_year`` (次年第一季度); a monthly activity (每月) is one item duty per month;
- an item that names only the issuer's 政务公开科 (or no unit at all) is owed by the 政务公开科;
- ``event``: 决策出台后的10个工作日内 - an unopened duty per unit, and one opened duty per
  recorded event, due on the official working-day calendar.

Status (pending … done_late, and the lights) is in `rules.obligation_states`; reporting periods
(2025Q2, 2025, a day) in `rules.periods`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from documents.model import Deadline, Document, Item, UnitMention
from offices.registry import Registry
from rules.periods import (
    month_end,
    month_label,
    quarter_end,
    quarter_label,
    quarter_of,
)
from rules.policy import Policy
from workdays.calendar import WorkdayCalendar, package_covers

KIND_LABELS = {
    "plan": "年度计划",
    "report": "季度报告",
    "item": "任务时限",
    "yearly": "年度任务",
    "next_year": "次年任务",
    "event": "事件触发",
}
UNDATED_PHRASE = "未明确时限，按年底前计"
ROLE_RANK = {"lead": 0, "responsible": 1, "cooperating": 2}
DATED_KINDS = ("absolute", "relative")

# An item that sets the window for the units' own plans: 各单位要…制订年度政务公开工作计划…
# 并于本工作要点发布后30天内报…
_PLAN_WINDOW = re.compile(r"(制订|制定|编制|报送|上报)[^。]{0,30}(政务公开[^。]{0,10})?工作计划")
# 每季度报送工作开展情况 is a report to the district; 每季度不少于1次 is an activity.
_REPORT = re.compile(r"(每季度|按季度|每个季度)[^。；，,]{0,12}(报送|上报|报告|汇报)")


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


# The version of the derivation's code in kept derivations (store.obligations.DerivationRecord):
# bump it with any change here that can change the obligations derived from the same inputs.
DERIVATION_VERSION = "2026.12.1"


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

    def section(self, mention: UnitMention | None = None) -> list[str]:
        """The 政务公开科 when `mention` names it (or, with no mention, the district's one): the
        office that carries the items no other unit is named for."""
        registry = self.registry
        if registry is None:
            return []
        if mention is not None:
            office = registry.resolve(mention.name).office
            if office is None or not (office.kind == "section" or office.is_transparency_section):
                return []
            return [office.name]
        section = getattr(registry, "transparency_office", None)
        return [section.name] if section is not None else []

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
        mentions = [*item.units, *(u for row in item.sub_rows for u in row.units)]
        roles = _roles(mentions, resolver)
        if not roles:
            # Only the issuer's 政务公开科 is named, or nobody: the issuing office carries it itself.
            named_section = [o for m in mentions for o in resolver.section(m)]
            roles = dict.fromkeys(named_section or ([] if mentions else resolver.section()), "lead")
        out.obligations += _item_duties(doc, item, roles, calendar, base, events, resolver=resolver,
                                        default_due=policy.default_item_due)
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
        out.obligations += _item_duties(doc, item, {unit: "responsible"}, calendar, base, events, resolver=None,
                                        default_due=policy.default_item_due)
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
    default_due: str = "year_end",
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
        elif deadline.kind == "recurring" and deadline.period == "month" and year is not None:
            for month in range(1, 13):
                end = month_end(year, month)
                if doc.issue_date is not None and end < doc.issue_date:
                    continue
                for unit in owners:
                    duties.append(Obligation(
                        **common, unit=unit, kind="item", period=month_label(year, month), due=end,
                        phrase=deadline.phrase, action=f"完成第{item.number}项{year}年{month}月任务：{label}",
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
    reports_only = resolver is not None and is_report_item(item)  # its duties are the quarterly reports
    if default_due == "year_end" and year is not None and not reports_only:
        # A task of a yearly plan with no deadline of its own is a task for the year.
        owing = {d.unit for d in duties}
        for unit in owners:
            if unit not in owing:
                duties.append(Obligation(
                    **common, unit=unit, kind="yearly", period=str(year), due=date(year, 12, 31),
                    phrase=UNDATED_PHRASE, action=f"完成第{item.number}项{year}年度任务：{label}",
                ))
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
