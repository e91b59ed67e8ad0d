"""Follow-through as application steps: derive obligations, record filings, report status.

The CLI (`gongkai file`, `gongkai status`), the nightly flow and alerting call these plain
functions; everything they read and write is in the store, so a nightly run and an on-demand
command see the same state. Every function takes the day to evaluate (`as_of`) explicitly
where the answer depends on it; None means today in Shanghai.

- ``derive_obligations(store, as_of)``: (re)derive the obligations of every stored district
  and unit plan. Idempotent: obligations are keyed, so running it again updates rows in place
  and keeps every filing attached.
- ``record_filing(store, kind, unit, plan_ref, …)``: a unit filed its plan (checked against the
  district plan when the file is given), a quarterly report, the completion of an item, or an
  event that opens a relative duty.
- ``obligation_status(store, as_of, district, unit)``: each obligation's state and light.
- ``lights(store, as_of, …)``, ``status_report(…)`` (the JSON of `gongkai status --json`),
  ``alert_entries(store, as_of, policy)`` (for notifications).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from documents.model import Document, DocumentError, reader_name
from documents.parser import parse_file
from notifications.entries import AlertEntry
from offices.registry import Registry, all_registries, registry_for_place
from pipeline import UNKNOWN_DISTRICT
from rules.binding import plan_issuer
from rules.check import RULES_VERSION, CheckResult, check_plan, registry_hash
from rules.obligation_states import (
    DONE_STATES,
    STATES,
    Lights,
    ObligationStatus,
    PlanYears,
    close_verdict,
    compute_lights,
    evaluate,
)
from rules.obligations import (
    DERIVATION_VERSION,
    Derivation,
    RecordedEvent,
    derive_plan_obligations,
    derive_unit_plan_obligations,
    obligation_key,
)
from rules.periods import (
    Period,
    last_ended_quarter,
    parse_period,
    quarter_label,
)
from rules.policy import Policy, load_policy
from store import obligations as ob_store
from store.checks import save_check
from store.db import Store
from store.documents import DocumentRecord, document_key, find_document, latest_documents, save_document
from web.links import page_url
from workdays.calendar import WorkdayCalendar, default_calendar, today_shanghai

ITEM_KINDS = ("item", "yearly", "next_year", "event")
FILING_KINDS = ("plan", "report", "done", "event")
ALERT_STATES = ("due_soon", "overdue", "escalated", *DONE_STATES)


# -- derivation -------------------------------------------------------------------------------


@dataclass
class PlanDerivation:
    doc_key: str
    district: str | None
    level: str
    unit: str | None  # for a unit plan: the unit it binds
    obligations: int
    counts: ob_store.UpsertCounts
    warnings: list[str] = field(default_factory=list)
    name: str = ""  # the plan as a reader names it (documents.model.reader_name)


@dataclass
class DeriveSummary:
    plans: list[PlanDerivation] = field(default_factory=list)
    counts: ob_store.UpsertCounts = field(default_factory=ob_store.UpsertCounts)
    warnings: list[str] = field(default_factory=list)  # Chinese, for users

    @property
    def obligations(self) -> int:
        return sum(p.obligations for p in self.plans)

    def warnings_for(self, district: str | None = None) -> list[str]:
        """The warnings of the plans of `district` (all plans when None), each naming its plan."""
        wanted = _district_name(district)
        lines: list[str] = []
        for plan in self.plans:
            if wanted is not None and plan.district != wanted:
                continue
            for warning in plan.warnings:
                line = f"{plan.name or plan.doc_key}：{warning}"
                if line not in lines:
                    lines.append(line)
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "plans": [
                {"doc_key": p.doc_key, "district": p.district, "level": p.level, "unit": p.unit,
                 "obligations": p.obligations, "counts": vars(p.counts), "warnings": list(p.warnings)}
                for p in self.plans
            ],
            "counts": vars(self.counts),
            "warnings": list(self.warnings),
        }


def derive_obligations(
    store: Store,
    as_of: date | None = None,
    *,
    policy: Policy | None = None,
    calendar: WorkdayCalendar | None = None,
    doc_keys: list[str] | None = None,
) -> DeriveSummary:
    """Derive (or re-derive) the obligations of every stored district and unit plan, or of the
    plans in `doc_keys`. Plans issued after `as_of` are left alone: on that day they did not
    exist yet. Drafts owe nothing until issued.

    A plan whose inputs (see `derivation_key`) are those of its last derivation is not derived
    again: its stored obligations are what a derivation would write, and its kept warnings are
    reported. Only what depends on the day (states, lights) is evaluated each night."""
    policy = policy if policy is not None else load_policy()
    calendar = calendar or default_calendar()
    summary = DeriveSummary()
    with store.transaction() as session:
        # a filing derives one plan or a few: only their rows are read, not the whole city's
        wanted = set(doc_keys) if doc_keys is not None else None
        unit_filings = ob_store.unit_plan_filings(session, wanted)
        events = ob_store.events_by_plan(session, wanted)
        kept = ob_store.derivation_keys(session, wanted)
        parent_places = _parent_places(session, unit_filings)
        registries: dict[str, Any] = {}  # by place, read once for the whole derivation
        policy_fingerprint = _policy_fingerprint(policy)
        keyed: list[tuple[DocumentRecord, str]] = []
        for record in latest_documents(session, with_data=False, doc_keys=wanted):
            if record.level not in ("district", "unit"):
                continue
            if doc_keys is not None and record.doc_key not in doc_keys:
                continue
            if as_of is not None and record.issue_date is not None and record.issue_date > as_of:
                continue
            keyed.append((record, derivation_key(record, policy, calendar, events.get(record.doc_key, []),
                                                 unit_filings.get(record.doc_key), parent_places, registries,
                                                 policy_fingerprint)))
        _load_contents(session, [r for r, key in keyed
                                 if (stored := kept.get(r.doc_key)) is None or stored.key != key])
        for record, key in keyed:
            stored = kept.get(record.doc_key)
            if stored is not None and stored.key == key:
                derivation = Derivation()
                derivation.warnings = list(stored.warnings)
                result = PlanDerivation(record.doc_key, stored.district, record.level, stored.unit,
                                        stored.obligations, ob_store.UpsertCounts(unchanged=stored.obligations),
                                        list(stored.warnings), reader_name(record.doc_number, record.title))
                plan: tuple[Derivation, PlanDerivation] | None = (derivation, result)
            else:
                try:
                    plan = _derive_record(session, record, policy, calendar, unit_filings,
                                          events=events.get(record.doc_key, []), key=key,
                                          registries=registries, parent_places=parent_places)
                except (ValueError, KeyError, TypeError) as exc:
                    # a plan the rules cannot read is reported; the others' obligations still go on
                    summary.warnings.append(f"{reader_name(record.doc_number, record.title)}：未能生成责任事项（{type(exc).__name__}: {exc}）")
                    continue
            if plan is None:
                continue
            derivation, result = plan
            summary.plans.append(result)
            summary.counts.add(result.counts)
            for warning in derivation.warnings:
                line = f"{reader_name(record.doc_number, record.title)}：{warning}"
                if line not in summary.warnings:
                    summary.warnings.append(line)
    return summary


def _load_contents(session: Session, records: list[DocumentRecord]) -> None:
    """Read the parsed content of `records` (read without it) in one query per 500, not one each
    when a derivation first touches it: a new rules release re-derives every plan."""
    ids = [r.id for r in records]
    for start in range(0, len(ids), 500):
        session.scalars(select(DocumentRecord).where(DocumentRecord.id.in_(ids[start : start + 500]))
                        .options(undefer(DocumentRecord.data))
                        .execution_options(populate_existing=True)).all()


def _registry_of(place: str | None, registries: dict[str, Any] | None) -> Registry | None:
    """The registry of `place`, through `registries` (by place) when a caller keeps one."""
    if not place:
        return None
    if registries is None:
        return registry_for_place(place)
    if place not in registries:
        registries[place] = registry_for_place(place)
    return registries[place]


def _parent_places(session: Session, unit_filings: dict[str, ob_store.FilingRecord]) -> dict[str, str | None]:
    """doc key of each plan filed under → its place (the district a filed unit plan belongs to)."""
    places: dict[str, str | None] = {}
    for filing in unit_filings.values():
        if filing.doc_key not in places:
            parent = find_document(session, filing.doc_key)
            places[filing.doc_key] = parent.place if parent is not None else None
    return places


def _policy_fingerprint(policy: Policy) -> str:
    data = policy.model_dump(mode="json") if hasattr(policy, "model_dump") else dict(policy)
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def derivation_key(
    record: DocumentRecord,
    policy: Policy,
    calendar: WorkdayCalendar,
    events: list[ob_store.EventRecord],
    filing: ob_store.FilingRecord | None,
    parent_places: dict[str, str | None],
    registries: dict[str, Any] | None = None,
    policy_fingerprint: str | None = None,
) -> str:
    """The hash of everything a plan's derivation reads: the stored version (id, content hash,
    level, place), the office registry of its place, the whole policy, the working-day calendar,
    the events recorded under it, for a unit plan the filing that names its unit (and the place
    of the plan it was filed under), and the rules' and derivation's versions. `registries` (by
    place) and `policy_fingerprint` carry what a derivation of many plans works out once."""
    registry = _registry_of(record.place, registries)
    parts = {
        "document": [record.id, record.content_hash, record.level, record.place, record.doc_key],
        "registry": registry_hash(registry),
        "policy": policy_fingerprint or _policy_fingerprint(policy),
        "calendar": calendar.fingerprint(),
        "events": [[e.item, e.unit, e.occurred_on.isoformat(), e.event] for e in events],
        "filing": ([filing.unit, filing.doc_key, parent_places.get(filing.doc_key)]
                   if filing is not None and record.level == "unit" else None),
        "versions": [RULES_VERSION, DERIVATION_VERSION],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _derive_record(
    session: Session,
    record: DocumentRecord,
    policy: Policy,
    calendar: WorkdayCalendar,
    unit_filings: dict[str, ob_store.FilingRecord],
    *,
    events: list[ob_store.EventRecord] | None = None,
    key: str | None = None,
    registries: dict[str, Any] | None = None,
    parent_places: dict[str, str | None] | None = None,
) -> tuple[Derivation, PlanDerivation] | None:
    """Derive one plan's obligations, store them and the key of the inputs they came from.
    `registries` and `parent_places`: what a derivation of many plans looks up once."""
    if events is None:
        events = ob_store.events_for(session, record.doc_key)
    if key is None:
        filing = unit_filings.get(record.doc_key)
        key = derivation_key(record, policy, calendar, events, filing, _parent_places(
            session, {record.doc_key: filing} if filing is not None else {}))
    plan = _derive_uncached(session, record, policy, calendar, unit_filings, events, registries, parent_places)
    derivation, result = plan
    ob_store.save_derivation(session, record.doc_key, key, document_id=record.id, district=result.district,
                             unit=result.unit, obligations=result.obligations, warnings=list(derivation.warnings))
    return plan


def _derive_uncached(
    session: Session,
    record: DocumentRecord,
    policy: Policy,
    calendar: WorkdayCalendar,
    unit_filings: dict[str, ob_store.FilingRecord],
    stored_events: list[ob_store.EventRecord],
    registries: dict[str, Any] | None = None,
    parent_places: dict[str, str | None] | None = None,
) -> tuple[Derivation, PlanDerivation]:
    doc = record.to_document()
    events = [
        RecordedEvent(item=e.item, unit=e.unit, occurred_on=e.occurred_on, event=e.event)
        for e in stored_events
    ]
    unit: str | None = None
    if record.level == "unit":
        filing = unit_filings.get(record.doc_key)
        district = record.place
        if filing is not None:
            unit = filing.unit
            parent_place = (parent_places or {}).get(filing.doc_key)
            if parent_place is not None:
                district = parent_place
            else:  # not looked up by the caller, or no place: ask the store
                parent = find_document(session, filing.doc_key)
                district = parent.place if parent is not None else district
        else:
            unit = _issuing_unit(doc, registries)
        if unit is None:
            derivation = Derivation()
            derivation.warn("无法确定该单位计划的制定单位（未通过 gongkai file plan 报送，发文机关也不在单位名录中），未生成义务")
            return derivation, PlanDerivation(record.doc_key, record.place, record.level, None, 0,
                                              ob_store.UpsertCounts(), list(derivation.warnings), doc.name)
        derivation = derive_unit_plan_obligations(
            doc, unit, policy, calendar, doc_key=record.doc_key, district=district, events=events
        )
    else:
        derivation = derive_plan_obligations(doc, _registry_of(doc.place, registries), policy, calendar,
                                             doc_key=record.doc_key, events=events)
    for obligation in derivation.obligations:
        if obligation.calendar_note:
            derivation.warn(obligation.calendar_note)
    counts = ob_store.upsert_obligations(
        session, record.doc_key, [o.to_row(record.id) for o in derivation.obligations]
    )
    return derivation, PlanDerivation(
        record.doc_key, doc.place, record.level, unit, len(derivation.obligations), counts, list(derivation.warnings),
        doc.name,
    )


def _issuing_unit(doc: Document, registries: dict[str, Any] | None = None) -> str | None:
    """The office that issued a unit plan, when the registry knows it."""
    registry = _registry_of(doc.place, registries)
    if registry is None:
        return None
    _level, name = plan_issuer(doc, registry)
    office = registry.find(name) if name else None
    return office.name if office is not None else None


def _ensure_derived(
    session: Session, record: DocumentRecord, policy: Policy, calendar: WorkdayCalendar, *, force: bool = False
) -> list[str]:
    """Derive the obligations of `record` unless they already come from this very version."""
    if record.is_draft:
        return []
    if not force and ob_store.derived_document_ids(session, record.doc_key).get(record.doc_key) == record.id:
        return []
    result = _derive_record(session, record, policy, calendar, ob_store.unit_plan_filings(session, [record.doc_key]))
    return result[0].warnings if result else []


# -- filings ----------------------------------------------------------------------------------


@dataclass
class FilingResult:
    """What `record_filing` did. For an event, `obligation_key`/`due` are those of the duty it opened."""

    kind: str  # plan | report | done | event
    doc_key: str
    unit: str
    filed_on: date
    obligation_key: str | None = None
    due: date | None = None
    state: str | None = None  # the obligation's state on `filed_on`
    period: str | None = None
    item: int | None = None
    filing_id: int | None = None
    plan_name: str = ""  # the plan as a reader names it (Document.name)
    event_id: int | None = None
    event: str | None = None
    document_key: str | None = None  # the stored unit plan
    check_run_id: int | None = None
    check: CheckResult | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return self.check is not None and self.check.has_errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "doc_key": self.doc_key,
            "unit": self.unit,
            "filed_on": self.filed_on.isoformat(),
            "obligation_key": self.obligation_key,
            "due": self.due.isoformat() if self.due else None,
            "state": self.state,
            "period": self.period,
            "item": self.item,
            "filing_id": self.filing_id,
            "event_id": self.event_id,
            "event": self.event,
            "document_key": self.document_key,
            "check_run_id": self.check_run_id,
            "check": self.check.to_dict() if self.check is not None else None,
            "warnings": list(self.warnings),
        }


def record_filing(
    store: Store,
    kind: str,
    unit: str,
    plan_ref: str,
    period: str | None = None,
    item: int | None = None,
    filed_on: date | None = None,
    path: str | Path | None = None,
    event: str | None = None,
    *,
    policy: Policy | None = None,
    calendar: WorkdayCalendar | None = None,
    note: str | None = None,
) -> FilingResult:
    """Record that `unit` filed something under the plan `plan_ref` (发文字号 / doc key / id).

    kind: ``plan`` (its annual plan; with `path`, the file is parsed, stored and checked against
    the plan), ``report`` (a quarterly report; `period` defaults to the quarter that ended last
    before `filed_on`), ``done`` (item `item` completed; `period` picks one duty of a recurring
    item), ``event`` (or any kind with `event`: the event that opens item `item`'s relative duty
    occurred on `filed_on`). Raises ValueError for an unknown unit (with the registry's
    suggestion), a bad period or an obligation the plan does not contain, DocumentError for an
    unknown plan or an unreadable file.
    """
    kind = (kind or "").strip().lower()
    if kind not in FILING_KINDS:
        raise ValueError(f"报送类型应为 plan（单位计划）、report（季度报告）、done（完成事项）或 event（事件），收到“{kind}”")
    if event is not None and kind not in ("event", "done"):
        raise ValueError("--event 用于记录触发事件，应与 event（或 done）一起使用")
    is_event = kind == "event" or event is not None
    parsed_period = parse_period(period) if period else None
    policy = policy if policy is not None else load_policy()
    calendar = calendar or default_calendar()
    filed_on = filed_on or today_shanghai()
    unit_doc = parse_file(Path(path)) if (kind == "plan" and path is not None) else None  # fail before any write

    with store.transaction() as session:
        # Units file against the issued plan: a newer draft of it owes nothing yet.
        record = find_document(session, plan_ref, include_drafts=False)
        if record is None:
            raise DocumentError(plan_ref, "数据库中没有此方案（请先用 gongkai ingest 导入，或核对发文字号）")
        doc = record.to_document()
        if record.level not in ("district", "unit"):
            raise DocumentError(plan_ref, f"{doc.name} 是市级文件，各单位应对照区级方案报送")
        registry = registry_for_place(doc.place) if doc.place else None
        warnings = _ensure_derived(session, record, policy, calendar)
        office = _filing_unit(session, record.doc_key, unit, registry, doc)
        mine = ob_store.list_obligations(session, doc_key=record.doc_key, units=[office])
        if not mine:
            raise ValueError(f"“{office}”在方案 {doc.name} 中没有需要报送或完成的事项")
        result = FilingResult(kind="event" if is_event else kind, doc_key=record.doc_key, unit=office,
                              filed_on=filed_on, warnings=list(warnings), plan_name=doc.name)
        if is_event:
            _record_event(session, record, doc, office, item, event, filed_on, policy, calendar, result, note)
            return result
        if kind == "plan":
            target = _one(mine, "plan", None, f"“{office}”没有需报送的年度计划")
            if unit_doc is not None:
                _file_unit_plan(session, record, doc, unit_doc, office, registry, policy, filed_on, result)
        elif kind == "report":
            target = _report_target(mine, office, parsed_period, filed_on)
        else:
            target = _done_target(session, mine, office, item, parsed_period, doc)
        filing = ob_store.add_filing(
            session,
            doc_key=record.doc_key,
            unit=office,
            kind=kind,
            obligation_key=target.obligation_key,
            filed_on=filed_on,
            item=target.item if kind == "done" else None,
            period=target.period,
            path=str(path) if path is not None else None,
            document_key=result.document_key,
            check_run_id=result.check_run_id,
            note=note,
        )
        if result.document_key:
            unit_record = find_document(session, result.document_key)
            if unit_record is not None:  # the unit's own plan binds the unit from now on
                result.warnings += _ensure_derived(session, unit_record, policy, calendar, force=True)
        first = ob_store.first_filings(session, keys=[target.obligation_key]).get(target.obligation_key)
        verdict = evaluate([(target.obligation_key, target.due, first)], filed_on, policy)[target.obligation_key]
        result.obligation_key = target.obligation_key
        result.due = target.due
        result.period = target.period
        result.item = target.item
        result.state = verdict.state
        result.filing_id = filing.id
    return result


def _filing_unit(session: Session, doc_key: str, unit: str, registry: Registry | None, doc: Document) -> str:
    """The canonical office for `unit`, or a ValueError naming it (with the registry's suggestion)."""
    name = (unit or "").strip()
    if not name:
        raise ValueError("请用 --unit 指明报送单位")
    if ob_store.has_obligations(session, doc_key, name):
        return name  # includes names kept as written because the registry lacks them
    if registry is None:
        raise ValueError(f"单位“{name}”不在方案的责任单位中（未找到{doc.place or '该区'}的单位名录）")
    resolution = registry.resolve(name)
    if resolution.office is not None:
        return resolution.office.name
    if resolution.collective:
        raise ValueError(f"“{name}”是集合名称，请指明具体单位（如 {'、'.join(o.name for o in resolution.members[:3])}）")
    hint = f"，是否为“{resolution.suggestion}”？" if resolution.suggestion else "，请核对单位名称"
    raise ValueError(f"单位“{name}”不在{registry.district}单位名录中{hint}")


def _one(rows: list[ob_store.ObligationRecord], kind: str, period: str | None, missing: str) -> ob_store.ObligationRecord:
    for row in rows:
        if row.kind == kind and row.period == period:
            return row
    raise ValueError(missing)


def _report_target(
    mine: list[ob_store.ObligationRecord], office: str, period: Period | None, filed_on: date
) -> ob_store.ObligationRecord:
    reports = [o for o in mine if o.kind == "report"]
    if not reports:
        raise ValueError(f"该方案没有要求“{office}”报送季度报告")
    if period is None:
        label = quarter_label(*last_ended_quarter(filed_on))
    elif period.kind != "quarter":
        raise ValueError(f"季度报告的期间应写作 2025Q2 这样的季度，收到“{period.text}”")
    else:
        label = period.text
    owed = "、".join(o.period for o in sorted(reports, key=lambda o: o.period or ""))
    return _one(reports, "report", label, f"该方案没有要求“{office}”报送{label}的季度报告（应报送：{owed}）")


def _done_target(
    session: Session,
    mine: list[ob_store.ObligationRecord],
    office: str,
    item: int | None,
    period: Period | None,
    doc: Document,
) -> ob_store.ObligationRecord:
    """The duty a `done` filing completes: the one named by `period`; else the item's own
    deadline; else its earliest opened duty not yet filed."""
    if item is None:
        raise ValueError("报送完成事项（done）时请用 --item 指明条目序号")
    if not any(i.number == item for i in doc.items):
        raise ValueError(f"方案中没有第{item}项")
    duties = [o for o in mine if o.kind in ITEM_KINDS and o.item == item]
    if not duties:
        raise ValueError(f"“{office}”不是第{item}项的责任单位，或该项没有时限")
    if period is not None:
        for duty in duties:
            if duty.period == period.text:
                return duty
        listed = "、".join(sorted(d.period for d in duties if d.period)) or "无"
        raise ValueError(f"第{item}项没有期间为“{period.text}”的事项（可选：{listed}）")
    for duty in duties:
        if duty.kind == "item" and duty.period is None:
            return duty
    opened = sorted((d for d in duties if d.due is not None), key=lambda d: (d.due, d.obligation_key))
    filed = ob_store.first_filings(session, keys=[d.obligation_key for d in opened])
    for duty in opened:
        if duty.obligation_key not in filed:
            return duty
    if opened:
        return opened[0]
    raise ValueError(f"第{item}项对“{office}”尚无已触发的事项：请先记录触发事件（gongkai file event）")


def _record_event(
    session: Session,
    record: DocumentRecord,
    doc: Document,
    office: str,
    item: int | None,
    event: str | None,
    occurred_on: date,
    policy: Policy,
    calendar: WorkdayCalendar,
    result: FilingResult,
    note: str | None,
) -> None:
    if item is None:
        raise ValueError("记录触发事件时请用 --item 指明条目序号")
    try:
        plan_item = doc.item(item)
    except KeyError:
        raise ValueError(f"方案中没有第{item}项") from None
    relative = [d for d in plan_item.deadlines if d.kind == "event"]
    if not relative:
        raise ValueError(f"第{item}项没有以事件起算的时限（如“决策出台后的10个工作日内”）")
    template = obligation_key(record.doc_key, office, "event", item, None)
    if not any(o.obligation_key == template for o in ob_store.list_obligations(session, doc_key=record.doc_key, units=[office])):
        raise ValueError(f"“{office}”不是第{item}项的责任单位")
    name = (event or "").strip() or relative[0].event or "相关事件"
    stored, _created = ob_store.add_event(
        session, doc_key=record.doc_key, item=item, unit=office, event=name, occurred_on=occurred_on, note=note
    )
    result.warnings += _ensure_derived(session, record, policy, calendar, force=True)
    key = obligation_key(record.doc_key, office, "event", item, occurred_on.isoformat())
    opened = next(
        o for o in ob_store.list_obligations(session, doc_key=record.doc_key, units=[office]) if o.obligation_key == key
    )
    result.obligation_key = key
    result.due = opened.due
    result.period = opened.period
    result.item = item
    result.event = name
    result.event_id = stored.id
    result.state = evaluate([(key, opened.due, None)], occurred_on, policy)[key].state
    if opened.calendar_note:
        result.warnings.append(opened.calendar_note)


def _file_unit_plan(
    session: Session,
    record: DocumentRecord,
    district_plan: Document,
    unit_doc: Document,
    office: str,
    registry: Registry | None,
    policy: Policy,
    filed_on: date,
    result: FilingResult,
) -> None:
    """Store a filed unit plan as a unit-level document and check it against the district plan:
    the same rules, one level down."""
    unit_doc.level = "unit"
    unit_doc.place = unit_doc.place or district_plan.place
    unit_doc.year = unit_doc.year or district_plan.year
    # The binding rules find the unit from the issuer; a file without a usable one is the unit's.
    _level, issuer = plan_issuer(unit_doc)
    found = registry.find(issuer) if (registry is not None and issuer) else None
    if found is None or found.name != office:
        if issuer and found is not None and found.name != office:
            result.warnings.append(f"文件的发文机关为“{unit_doc.issuer}”，与报送单位“{office}”不一致，按报送单位检查")
        unit_doc.issuer = office
    saved = save_document(session, unit_doc, parent_key=record.doc_key)
    check = check_plan(unit_doc, district_plan, policy=policy, registry=registry)
    run = save_check(
        session,
        kind="filing",
        result=check.to_dict(),
        plan_document_id=saved.record_id,
        directive_document_id=record.id,
        plan_key=saved.doc_key,
        directive_key=record.doc_key,
        district=district_plan.place,
        as_of=filed_on,
    )
    result.document_key = saved.doc_key
    result.check_run_id = run.id
    result.check = check
    if document_key(unit_doc) == record.doc_key:
        result.warnings.append("单位计划与区方案的文件标识相同，请核对文件")


# -- status -----------------------------------------------------------------------------------


def district_statuses(statuses: list[ObligationStatus], district: str) -> list[ObligationStatus]:
    """The part of an unfiltered `obligation_status` answer that `obligation_status(…, district)`
    gives (same order)."""
    wanted = _district_name(district)
    return [s for s in statuses if s.district == wanted]


def _district_name(district: str | None) -> str | None:
    if not district:
        return None
    registry = registry_for_place(district)
    return registry.district if registry is not None else district.strip()


def _unit_names(unit: str | None, district: str | None) -> tuple[set[str] | None, str | None]:
    """Office names `unit` stands for (a collective name stands for its members), and the
    registry's suggestion when no registry knows the name."""
    if not unit:
        return None, None
    names = {unit.strip()}
    registries: list[Registry]
    if district:
        registry = registry_for_place(district)
        registries = [registry] if registry is not None else []
    else:
        registries = list(all_registries().values())
    suggestion = None
    for registry in registries:
        resolution = registry.resolve(unit)
        names.update(o.name for o in resolution.members)
        suggestion = suggestion or resolution.suggestion
    return names, (suggestion if len(names) == 1 else None)


def obligation_status(
    store: Store,
    as_of: date | None = None,
    district: str | None = None,
    unit: str | None = None,
    *,
    policy: Policy | None = None,
    doc_key: str | None = None,
    year: int | None = None,
) -> list[ObligationStatus]:
    """Every active obligation as it stood on `as_of`, sorted by due date (undated last).

    As of a past day, plans issued later, events recorded for later days and filings made
    later are left out, so the answer is what the office would have seen that day. Once a
    plan's year has closed (policy `plan_close`), its open duties are closed unfinished."""
    as_of = as_of or today_shanghai()
    policy = policy if policy is not None else load_policy()
    district_name = _district_name(district)
    names, suggestion = _unit_names(unit, district)
    with store.transaction() as session:
        rows = ob_store.obligation_rows(session, doc_key=doc_key, district=district_name, units=names)
        if names is not None and not rows and suggestion:
            raise ValueError(f"单位“{unit}”不在单位名录中，是否为“{suggestion}”？")
        rows = [
            r for r in rows
            if (r.issued_on is None or r.issued_on <= as_of) and (r.opened_on is None or r.opened_on <= as_of)
        ]
        years = ob_store.plan_years(session, {r.doc_key for r in rows})
        if year is not None:
            rows = [r for r in rows if years.get(r.doc_key) == year]
        filed = ob_store.first_filings(session, as_of=as_of, keys=[r.obligation_key for r in rows])
    verdicts = evaluate([(r.obligation_key, r.due, filed.get(r.obligation_key)) for r in rows], as_of, policy)
    plan_years = PlanYears(policy, default_calendar(), as_of)
    sections: dict[str | None, str | None] = {}
    statuses = []
    for r in rows:
        verdict = verdicts[r.obligation_key]
        closed_on = plan_years.close_day(years.get(r.doc_key))
        if closed_on is not None and as_of >= closed_on:
            verdict = close_verdict(verdict)
        else:
            closed_on = None
        escalate_to: list[str] = []
        if verdict.state == "escalated":
            if r.district not in sections:
                registry = registry_for_place(r.district) if r.district else None
                sections[r.district] = registry.transparency_office.name if registry is not None else None
            escalate_to = [u for u in r.lead_units if u != r.unit]
            if sections[r.district]:
                escalate_to.append(sections[r.district])
        statuses.append(ObligationStatus(
            key=r.obligation_key, doc_key=r.doc_key, doc_number=r.doc_number, title=r.title, district=r.district,
            unit=r.unit, kind=r.kind, item=r.item, period=r.period, due=r.due, phrase=r.phrase, action=r.action,
            summary=r.summary, lead_units=list(r.lead_units or []), event=r.event, opened_on=r.opened_on,
            state=verdict.state, light=verdict.light, days_left=verdict.days_left,
            filed_on=filed.get(r.obligation_key), escalate_to=escalate_to, calendar_note=r.calendar_note,
            plan_year=years.get(r.doc_key), closed_on=closed_on, document_id=r.document_id,
        ))
    statuses.sort(key=lambda s: s.sort_key)
    return statuses


def lights(
    store: Store,
    as_of: date | None = None,
    district: str | None = None,
    unit: str | None = None,
    *,
    policy: Policy | None = None,
    statuses: list[ObligationStatus] | None = None,
) -> Lights:
    """Red/yellow/green per unit and per district (pass `statuses` to reuse an evaluation)."""
    if statuses is None:
        statuses = obligation_status(store, as_of, district, unit, policy=policy)
    return compute_lights(statuses)


SCHEMA_VERSION = 1


def status_report(
    store: Store,
    as_of: date | None = None,
    district: str | None = None,
    unit: str | None = None,
    *,
    policy: Policy | None = None,
    statuses: list[ObligationStatus] | None = None,
    warnings: list[str] | None = None,
) -> dict[str, Any]:
    """The document `gongkai status --json` prints (described in docs/obligations.md)."""
    as_of = as_of or today_shanghai()
    policy = policy if policy is not None else load_policy()
    if statuses is None:
        statuses = obligation_status(store, as_of, district, unit, policy=policy)
    summary = compute_lights(statuses)
    notes = list(warnings or [])
    for status in statuses:
        if status.calendar_note and status.calendar_note not in notes:
            notes.append(status.calendar_note)
    counts = dict.fromkeys(STATES, 0)
    for status in statuses:
        counts[status.state] += 1
    return {
        "schema": SCHEMA_VERSION,
        "as_of": as_of.isoformat(),
        "filters": {"district": district, "unit": unit},
        "policy": {
            "unit_plan_days": policy.unit_plan_days,
            "quarterly_report_working_days": policy.quarterly_report_working_days,
            **policy.windows(),
        },
        "counts": counts,
        "districts": [row.to_dict() for row in summary.districts],
        "units": [row.to_dict() for row in summary.units],
        "obligations": [s.to_dict() for s in statuses],
        "warnings": notes,
    }


# -- alerts -----------------------------------------------------------------------------------


def alert_entries(store: Store, as_of: date | None, policy: Policy | None = None, *,
                  statuses: list[ObligationStatus] | None = None) -> list[AlertEntry]:
    """One AlertEntry per obligation that is due soon, overdue, escalated or done (done ones let
    the outbox send a single 已办结 note to offices it reminded before). `statuses`: every
    obligation's status on `as_of` as `obligation_status` gave it, to reuse one evaluation."""
    as_of = as_of or today_shanghai()
    policy = policy or load_policy()
    # Duties long past (an earlier year's plan) stay in `gongkai status` and the report but are
    # no longer emailed: a reminder a year late helps nobody and buries this year's.
    stale_after = policy.alert_max_overdue_days
    entries = []
    if statuses is None:
        statuses = obligation_status(store, as_of, policy=policy)
    for status in statuses:
        if status.state not in ALERT_STATES:
            continue
        if status.days_left is not None and status.days_left < -stale_after:
            continue
        entries.append(AlertEntry(
            key=f"obligation:{status.key}",
            kind="obligation",
            state=status.state,
            district=status.district or UNKNOWN_DISTRICT,
            units=(status.unit,),
            lead_units=tuple(status.lead_units),
            document=status.title,
            doc_number=status.doc_number or "",
            doc_key=status.doc_key,
            item=str(status.item) if status.item is not None else "",
            summary=status.summary[:80],
            due=status.due,
            days_left=status.days_left,
            action=status.action,
            link=page_url("unit", district=status.district or "", unit=status.unit, as_of=as_of) or "",
            plan_link=(page_url("plan", plan=status.document_id, as_of=as_of) or "") if status.document_id else "",
        ))
    return entries
