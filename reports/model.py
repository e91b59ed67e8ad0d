"""The read-only view of the store that every page and report shows.

`build_snapshot` reads the store once for one day: every plan with its latest check (coverage and
counts), every duty's state and light, the lights per unit and district. It is cheap to keep and
costly to build on a city's store (tens of thousands of duties go through the status rules), so
`SnapshotCache` keeps one per day and builds it again only when the store changed (new documents,
checks, filings, events or re-derived duties: `store_fingerprint`).

Details of one plan, one check run or one unit are read on demand (`plan_detail`, `unit_filings`).
"""

from __future__ import annotations

import difflib
import gc
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from notifications.entries import STATE_LABELS
from pipeline import UNKNOWN_DISTRICT
from pipeline.summary import SEVERITY_LABELS
from rules.obligation_states import (
    LIGHT_RANK,
    STATES,
    Lights,
    ObligationStatus,
    PlanYears,
    compute_lights,
)
from rules.obligations import KIND_LABELS
from rules.policy import Policy, as_policy, load_policy
from store.db import Store
from store.views import (
    CheckRow,
    DocumentRow,
    city_rows,
    filing_rows,
    findings_of_runs,
    plan_rows,
    store_fingerprint,
)
from workdays import default_calendar

COVERAGE_STATUSES = ("covered", "partial", "missing", "not_binding")
COVERAGE_LABELS = {"covered": "已覆盖", "partial": "部分覆盖", "missing": "缺失", "not_binding": "不适用"}
LIGHT_LABELS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}
LEVEL_LABELS = {"municipal": "市级", "district": "区级", "unit": "单位"}
RUN_KIND_LABELS = {"nightly": "夜间检查", "on_demand": "即时检查", "draft": "草稿检查"}
FILING_LABELS = {"plan": "年度计划", "report": "季度报告", "done": "事项完成"}
OPEN_STATES = ("pending", "due_soon", "overdue", "escalated")
LATE_STATES = ("overdue", "escalated")
DONE_STATES = ("done_on_time", "done_late")

__all__ = [
    "COVERAGE_LABELS", "KIND_LABELS", "LIGHT_LABELS", "STATE_LABELS", "Snapshot", "SnapshotCache", "build_snapshot",
    "plan_detail", "store_fingerprint", "unit_filings",
]


@dataclass
class PlanView:
    """A stored plan (newest issued version) with its latest check."""

    id: int
    doc_key: str
    doc_number: str | None
    title: str
    level: str
    district: str
    year: int | None
    issue_date: date | None
    version: int
    is_draft: bool = False
    issuer: str | None = None
    run_id: int | None = None
    run_kind: str | None = None
    run_at: datetime | None = None
    directive_key: str | None = None
    directive_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    coverage: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False  # its year has closed (policy plan_close) by the snapshot's day: history

    @property
    def name(self) -> str:
        return self.doc_number or self.title

    @property
    def short_name(self) -> str:
        """A column head: the 发文字号, else the issuing office without the city and district
        (绿化市容局 for 上海市黄浦区绿化市容局: a unit plan usually has no 文号), else the title."""
        if self.doc_number:
            return self.doc_number
        issuer = (self.issuer or "").strip()
        for prefix in ("上海市", self.district):
            if issuer.startswith(prefix) and len(issuer) > len(prefix):
                issuer = issuer[len(prefix):]
        return issuer or self.title

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.level, self.level)

    def coverage_counts(self, binding_only: bool = True) -> dict[str, int]:
        counts = dict.fromkeys(COVERAGE_STATUSES, 0)
        for row in self.coverage:
            if binding_only and not row.get("binding"):
                continue
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        return counts


@dataclass
class DistrictView:
    name: str
    light: str
    counts: dict[str, int]  # duty states
    plans: list[PlanView]  # every stored plan, those whose year has closed too
    coverage: dict[str, int]  # binding items of its newest district-level plans in force, by coverage status
    findings: dict[str, int]  # by severity, latest check of each plan in force
    last_run: datetime | None

    @property
    def late(self) -> int:
        return self.counts.get("overdue", 0) + self.counts.get("escalated", 0)

    @property
    def current_plans(self) -> list[PlanView]:
        """The plans in force: not those whose year has closed (history, listed but not counted)."""
        return [p for p in self.plans if not p.closed]

    @property
    def has_current_district_plan(self) -> bool:
        return any(p.level == "district" for p in self.current_plans)


def newest_district_plans(plans: list[PlanView]) -> list[PlanView]:
    """The district-level plans in force of the newest year: from January until last year's plan
    closes both years' plans are in force, and adding their coverage up would count each directive
    item twice."""
    district = [p for p in plans if p.level == "district" and not p.closed]
    newest = max((p.year or 0 for p in district), default=0)
    return [p for p in district if (p.year or 0) == newest]


@dataclass
class Heatmap:
    """Directive items (rows) × the plans checked against that directive (columns)."""

    directive_id: int | None
    directive_key: str
    directive_title: str
    directive_number: str | None  # its 发文字号, when it has one
    items: list[tuple[int, str, bool]]  # number, text, binds at least one of the plans
    plans: list[PlanView]
    cells: dict[tuple[int, int], dict[str, Any]]  # (directive item, plan id) → coverage row


@dataclass
class Snapshot:
    as_of: date
    built_at: datetime
    fingerprint: tuple
    plans: dict[int, PlanView]
    directives: dict[int, dict[str, Any]]  # id → {key, title, items: {number: text}}
    statuses: list[ObligationStatus]
    lights: Lights
    districts: list[DistrictView]
    last_nightly: datetime | None

    def district(self, name: str) -> DistrictView | None:
        return next((d for d in self.districts if d.name == name), None)

    def directive_name(self, plan: PlanView) -> str:
        """What a plan was checked against, as people name it: the 发文字号, else the title (the
        stored key of a document without a 文号 is an internal name), else nothing."""
        directive = self.directives.get(plan.directive_id) if plan.directive_id is not None else None
        if directive:
            return directive.get("doc_number") or directive.get("title") or ""
        return plan.directive_key or ""

    def district_statuses(self, name: str) -> list[ObligationStatus]:
        return [s for s in self.statuses if (s.district or UNKNOWN_DISTRICT) == name]

    def unit_rows(self, district: str) -> list[Any]:
        return [r for r in self.lights.units if (r.district or UNKNOWN_DISTRICT) == district]

    def unit_statuses(self, district: str, unit: str) -> list[ObligationStatus]:
        return [s for s in self.statuses if (s.district or UNKNOWN_DISTRICT) == district and s.unit == unit]

    def unit_light(self, district: str, unit: str) -> str | None:
        row = next((r for r in self.unit_rows(district) if r.unit == unit), None)
        return row.light if row is not None else None

    def heatmaps(self, district: str) -> list[Heatmap]:
        """One heatmap per directive the district's checked plans answer to (the city plan for
        the district plan, the district plan for the units' plans)."""
        view = self.district(district)
        if view is None:
            return []
        groups: dict[Any, list[PlanView]] = defaultdict(list)
        for plan in view.plans:
            if plan.run_id is not None and plan.coverage and plan.directive_key:
                groups[(plan.directive_id, plan.directive_key)].append(plan)
        maps = []
        for (directive_id, directive_key), plans in groups.items():
            texts = (self.directives.get(directive_id) or {}).get("items", {}) if directive_id else {}
            numbers: dict[int, bool] = {}
            cells = {}
            for plan in plans:
                for row in plan.coverage:
                    n = row["directive_item"]
                    numbers[n] = numbers.get(n, False) or bool(row.get("binding"))
                    cells[(n, plan.id)] = row
            directive = self.directives.get(directive_id) or {}
            maps.append(Heatmap(
                directive_id=directive_id, directive_key=directive_key,
                directive_title=directive.get("title") or directive_key,
                directive_number=directive.get("doc_number"),
                items=[(n, texts.get(n, ""), numbers[n]) for n in sorted(numbers)],
                plans=sorted(plans, key=lambda p: (p.level != "district", p.name)), cells=cells,
            ))
        maps.sort(key=lambda h: (not any(p.level == "district" for p in h.plans), h.directive_key))
        return maps

    def timeline(self, statuses: list[ObligationStatus] | None = None) -> list[dict[str, Any]]:
        """Dated duties per month of their due date: done, open and late."""
        months: dict[str, Counter[str]] = defaultdict(Counter)
        for s in statuses if statuses is not None else self.statuses:
            if s.due is None:
                continue
            group = "done" if s.state in DONE_STATES else "late" if s.state in LATE_STATES else "open"
            months[f"{s.due.year}-{s.due.month:02d}"][group] += 1
        peak = max((sum(c.values()) for c in months.values()), default=0) or 1
        return [
            {"month": m, "done": c["done"], "open": c["open"], "late": c["late"], "total": sum(c.values()),
             "scale": sum(c.values()) / peak}
            for m, c in sorted(months.items())
        ]


def _plan_view(document: DocumentRow, check: CheckRow | None) -> PlanView:
    plan = PlanView(
        id=document.id, doc_key=document.doc_key, doc_number=document.doc_number, title=document.title,
        level=document.level, district=document.place or UNKNOWN_DISTRICT, year=document.year,
        issue_date=document.issue_date, version=document.version, is_draft=document.is_draft,
        issuer=document.issuer,
    )
    if check is not None:
        plan.run_id, plan.run_kind, plan.run_at = check.id, check.kind, check.created_at
        plan.directive_key, plan.directive_id = check.directive_key, check.directive_document_id
        plan.counts, plan.coverage = dict(check.counts), list(check.coverage)
    return plan


def _mark_closed(plans: Iterable[PlanView], as_of: date, policy: Policy) -> None:
    """Mark the plans whose year has closed by `as_of` (policy `plan_close`), as their duties are."""
    years = PlanYears(policy, default_calendar(), as_of)
    for plan in plans:
        plan.closed = years.closed(plan.year)


@contextmanager
def _bulk() -> Iterator[None]:
    """No cyclic garbage collection while a snapshot's tens of thousands of objects are made:
    the collector would walk the whole (large) heap again and again for nothing to free."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_snapshot(store: Store, as_of: date, policy: dict[str, Any] | None = None,
                   fingerprint: tuple | None = None) -> Snapshot:
    """Read everything the overview, district pages and reports show, as of `as_of`."""
    from pipeline.obligations import obligation_status

    fingerprint = fingerprint if fingerprint is not None else store_fingerprint(store)
    with _bulk():
        rows = city_rows(store)
        plans = {p.id: _plan_view(p, rows.checks.get(p.id)) for p in rows.plans}
        _mark_closed(plans.values(), as_of, as_policy(policy) if policy is not None else load_policy())
        directives = {
            i: {"key": d.document.doc_key, "title": d.document.title, "doc_number": d.document.doc_number,
                "items": d.items}
            for i, d in rows.directives.items()
        }
        nightly = rows.last_nightly
        statuses = obligation_status(store, as_of, policy=policy)
        lights = compute_lights(statuses)
    by_district: dict[str, list[PlanView]] = defaultdict(list)
    for plan in plans.values():
        by_district[plan.district].append(plan)
    light_rows = {(r.district or UNKNOWN_DISTRICT): r for r in lights.districts}
    districts = []
    for name in sorted(set(by_district) | set(light_rows)):
        row = light_rows.get(name)
        own = sorted(by_district.get(name, []), key=lambda p: (p.level != "district", -(p.year or 0), p.name))
        coverage = dict.fromkeys(COVERAGE_STATUSES, 0)
        findings: Counter[str] = Counter({s: 0 for s in SEVERITY_LABELS})
        for plan in own:
            if not plan.closed:  # a closed plan is history: nobody acts on its findings any more
                findings.update(plan.counts)
        for plan in newest_district_plans(own):
            for status, n in plan.coverage_counts().items():
                coverage[status] += n
        districts.append(DistrictView(
            name=name, light=row.light if row else "green",
            counts=dict(row.counts) if row else dict.fromkeys(STATES, 0), plans=own, coverage=coverage,
            findings=dict(findings), last_run=nightly.get(name if name != UNKNOWN_DISTRICT else None),
        ))
    return Snapshot(
        as_of=as_of, built_at=datetime.now(UTC), fingerprint=fingerprint, plans=plans, directives=directives,
        statuses=statuses, lights=lights, districts=districts,
        last_nightly=max((t for t in nightly.values() if t), default=None),
    )


class SnapshotCache:
    """One snapshot per day, built again only when the store's fingerprint moved."""

    def __init__(self, store: Store, policy: dict[str, Any] | None = None):
        self.store = store
        self.policy = policy
        self._snapshots: dict[date, Snapshot] = {}
        self._lock = threading.Lock()

    def get(self, as_of: date) -> Snapshot:
        fingerprint = store_fingerprint(self.store)
        with self._lock:
            snapshot = self._snapshots.get(as_of)
            if snapshot is None or snapshot.fingerprint != fingerprint:
                snapshot = build_snapshot(self.store, as_of, self.policy, fingerprint)
                # A handful of days at most (today and the ones someone looked back at).
                if len(self._snapshots) > 8:
                    self._snapshots.clear()
                self._snapshots[as_of] = snapshot
            return snapshot


# --------------------------------------------------------------------------- one plan


@dataclass
class ItemChange:
    number: int
    change: str  # added | removed | changed
    before: str
    after: str
    diff: list[tuple[str, str]]  # (op, text) with op in equal | insert | delete


@dataclass
class VersionView:
    id: int
    version: int
    is_draft: bool
    ingested_at: datetime
    items: int
    changes: list[ItemChange]  # against the version before it


@dataclass
class PlanDetail:
    plan: PlanView
    items: dict[int, str]
    directive_items: dict[int, str]
    directive: dict[str, Any] | None
    run: dict[str, Any] | None
    findings: list[dict[str, Any]]
    versions: list[VersionView]


def _char_diff(before: str, after: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("equal", before[i1:i2]))
            continue
        if i2 > i1:
            out.append(("delete", before[i1:i2]))
        if j2 > j1:
            out.append(("insert", after[j1:j2]))
    return out


def item_changes(before: dict[int, str], after: dict[int, str]) -> list[ItemChange]:
    """What changed between two versions of a plan, item by item (by number)."""
    changes = []
    for n in sorted(set(before) | set(after)):
        old, new = before.get(n), after.get(n)
        if old == new:
            continue
        if old is None:
            changes.append(ItemChange(n, "added", "", new or "", [("insert", new or "")]))
        elif new is None:
            changes.append(ItemChange(n, "removed", old, "", [("delete", old)]))
        else:
            changes.append(ItemChange(n, "changed", old, new, _char_diff(old, new)))
    return changes


def plan_detail(store: Store, *, plan_id: int | None = None, run_id: int | None = None) -> PlanDetail | None:
    """One plan version with a check of it (`run_id`, else its newest non-draft check, else its
    newest draft check), its findings with evidence, and its versions with what changed."""
    rows = plan_rows(store, plan_id=plan_id, run_id=run_id)
    if rows is None:
        return None
    plan = _plan_view(rows.plan, rows.check)
    directive = None
    run_info = None
    findings = []
    if rows.check is not None:
        run = rows.check
        run_info = {"id": run.id, "kind": run.kind, "kind_label": RUN_KIND_LABELS.get(run.kind, run.kind),
                    "as_of": run.as_of, "created_at": run.created_at}
        if rows.directive is not None:
            d = rows.directive.document
            directive = {"id": d.id, "key": d.doc_key, "title": d.title, "doc_number": d.doc_number,
                         "place": d.place, "level": d.level}
        order = {"error": 0, "warning": 1, "info": 2}
        for f in sorted(rows.findings, key=lambda f: (order.get(f.severity, 9), f.plan_item or 0,
                                                        f.directive_item or 0, f.id)):
            findings.append({
                "id": f.id, "code": f.code, "severity": f.severity,
                "severity_label": SEVERITY_LABELS.get(f.severity, f.severity),
                "directive_item": f.directive_item, "plan_item": f.plan_item, "units": list(f.units),
                "message": f.message, "evidence": f.evidence,
            })
    versions = []
    previous: dict[int, str] | None = None
    for v, items in rows.versions:
        versions.append(VersionView(v.id, v.version, v.is_draft, v.ingested_at, len(items),
                                    item_changes(previous, items) if previous is not None else []))
        previous = items
    return PlanDetail(plan=plan, items=rows.items, directive_items=rows.directive.items if rows.directive else {},
                      directive=directive, run=run_info, findings=findings, versions=versions)


# --------------------------------------------------------------------------- reports' extra reads


def latest_findings(store: Store, snapshot: Snapshot) -> list[dict[str, Any]]:
    """The findings of every plan's latest check in the snapshot, errors first."""
    run_plan = {p.run_id: p for p in snapshot.plans.values() if p.run_id is not None}
    if not run_plan:
        return []
    rows = []
    for f in findings_of_runs(store, run_plan):
        plan = run_plan[f.run_id]
        rows.append({"district": plan.district, "plan": plan, "code": f.code, "severity": f.severity,
                     "directive_item": f.directive_item, "plan_item": f.plan_item,
                     "units": list(f.units), "message": f.message, "evidence": f.evidence, "id": f.id})
    order = {"error": 0, "warning": 1, "info": 2}
    rows.sort(key=lambda r: (order.get(r["severity"], 9), r["district"], r["plan"].name, r["plan_item"] or 0))
    return rows


def unit_filings(store: Store, unit: str | None = None, doc_keys: set[str] | None = None) -> list[dict[str, Any]]:
    """Filings (of one unit, under some plans), newest first."""
    rows = [
        {"id": f.id, "unit": f.unit, "doc_key": f.doc_key, "kind": f.kind,
         "kind_label": FILING_LABELS.get(f.kind, f.kind), "item": f.item, "period": f.period,
         "filed_on": f.filed_on, "document_key": f.document_key, "check_run_id": f.check_run_id,
         "note": f.note or ""}
        for f in filing_rows(store, unit, doc_keys)
    ]
    rows.sort(key=lambda r: (r["filed_on"], r["id"]), reverse=True)
    return rows


_QUARTER = re.compile(r"(\d{4})Q([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def period_label(period: str | None) -> str:
    """A duty's period as people write it: 2026Q2 → 2026年第二季度, 2026-05 → 2026年5月, 2026 → 2026年;
    an event day (2026-09-26) stays a date."""
    if not period:
        return ""
    if m := _QUARTER.fullmatch(period):
        return f"{m.group(1)}年第{'一二三四'[int(m.group(2)) - 1]}季度"
    if m := _MONTH.fullmatch(period):
        return f"{m.group(1)}年{int(m.group(2))}月"
    if period.isdigit() and len(period) == 4:
        return f"{period}年"
    return period


def worst_light(lights: list[str]) -> str:
    return max(lights, key=lambda light: LIGHT_RANK[light], default="green")
