"""Turn stored check findings into alert entries, and gather every alert entry of a run.

Findings become `notifications.entries.AlertEntry` objects so they travel the same road as the
obligation reminders: routed to offices, deduplicated against the ledger, sent as one digest per
office. Only error and warning findings alert; info findings stay in the reports.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from documents.model import Document
from notifications.entries import AlertEntry
from offices.registry import Registry, registry_for_place
from pipeline.obligations import alert_entries
from rules.binding import plan_issuer
from rules.findings import CATALOG
from rules.obligation_states import ObligationStatus, PlanYears
from rules.policy import Policy, load_policy
from store.checks import AlertableRun, CheckRun, alertable_run_rows
from store.db import Store
from store.documents import DocumentRecord
from web.links import page_url
from workdays import default_calendar

logger = logging.getLogger(__name__)

ALERT_SEVERITIES = ("error", "warning")



def finding_key(plan_key: str, code: str, directive_item: int | None, plan_item: int | None,
                units: Iterable[str]) -> str:
    """The alert's identity across runs: the same problem in the same plan keeps the same key, so
    the ledger does not tell an office twice about it within the repeat interval."""

    def part(value: int | None) -> str:
        return "" if value is None else str(value)

    return f"finding:{plan_key}:{code}:{part(directive_item)}:{part(plan_item)}:{','.join(units)}"


def _item_map(record: DocumentRecord | None) -> dict[int, dict[str, Any]]:
    if record is None:
        return {}
    return {int(item["number"]): item for item in (record.data or {}).get("items", [])}


def _unit_names(item: dict[str, Any] | None, role: str | None = None) -> tuple[str, ...]:
    if not item:
        return ()
    names = [u.get("name") or u.get("canonical") for u in item.get("units", []) if role is None or u.get("role") == role]
    return tuple(dict.fromkeys(n for n in names if n))


_NO_REGISTRY: Any = object()


def _issuer_unit(record: DocumentRecord, registry: Registry | None = _NO_REGISTRY) -> str | None:
    """The unit that issued a unit-level plan, as the district's registry names it (区教育局 for
    上海市长宁区教育局, 华阳路街道 for 上海市长宁区华阳路街道办事处): it is the one to fix a
    plan-wide problem in its own plan."""
    if not (record.issuer or "").strip():
        return None
    if registry is _NO_REGISTRY:
        registry = registry_for_place(record.place) if record.place else None
    header = Document(title=record.title or "", year=record.year, items=[], issuer=record.issuer,
                      place=record.place, level=record.level)  # type: ignore[arg-type]
    return plan_issuer(header, registry)[1]


def _plan_level_units(record: DocumentRecord | None, registry: Registry | None,
                      finding_units: list[str], memo: _DocumentMemo | None = None) -> tuple[str, ...]:
    """Who answers for a finding about the plan as a whole (missing parent item, late issue).

    The finding's own units are the parent item's (市政府办公厅, 各区政府 …), which name no office
    of the district, so routing would only produce "unknown unit" notes. The plan's author is the
    one to act: the issuing unit for a unit plan, the district's 政务公开科 for a district plan."""
    if record is not None and record.level == "unit":
        unit = memo.issuer_unit(record) if memo is not None else _issuer_unit(record)
        if unit:
            return (unit,)
    section = getattr(registry, "transparency_office", None) if registry is not None else None
    if section is not None:
        return (section.name,)
    return tuple(dict.fromkeys(finding_units))


def _summary(text: str | None, limit: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _DocumentMemo:
    """What entries_for_run reads of a stored document, worked out once per document for all the
    runs of one alert pass (a district plan is the directive of every unit plan under it)."""

    def __init__(self) -> None:
        self.items: dict[int, dict[int, dict[str, Any]]] = {}
        self.issuers: dict[int, str | None] = {}
        self.registries: dict[str, Registry | None] = {}
        self.documents: dict[int, DocumentRecord] = {}  # held here: the session only keeps weak references

    def document(self, session: Session, doc_id: int | None) -> DocumentRecord | None:
        if doc_id is None:
            return None
        if doc_id not in self.documents:
            record = session.get(DocumentRecord, doc_id)
            if record is None:
                return None
            self.documents[doc_id] = record
        return self.documents[doc_id]

    def item_map(self, record: DocumentRecord | None) -> dict[int, dict[str, Any]]:
        if record is None:
            return {}
        if record.id not in self.items:
            self.items[record.id] = _item_map(record)
        return self.items[record.id]

    def issuer_unit(self, record: DocumentRecord) -> str | None:
        if record.id not in self.issuers:
            place = record.place or ""
            if place not in self.registries:
                self.registries[place] = registry_for_place(place) if place else None
            self.issuers[record.id] = _issuer_unit(record, self.registries[place])
        return self.issuers[record.id]


def entries_for_run(session: Session, run: CheckRun | AlertableRun,
                    registries: dict[str, Registry | None] | None = None,
                    memo: _DocumentMemo | None = None) -> list[AlertEntry]:
    """Alert entries for the error and warning findings of one stored check run."""
    registries = {} if registries is None else registries
    memo = memo or _DocumentMemo()
    district = run.district or ""
    if district not in registries:
        registries[district] = registry_for_place(district) if district else None
    registry = registries[district]
    plan = memo.document(session, run.plan_document_id)
    directive = memo.document(session, run.directive_document_id)
    stored: list[Any] = list(run.findings)
    findings = [f for f in sorted(stored, key=lambda f: f.id or 0) if f.severity in ALERT_SEVERITIES]
    if not findings:
        return []
    # Item texts are needed only for findings that name an item (the content is decoded lazily).
    plan_items = memo.item_map(plan) if any(f.plan_item is not None for f in findings) else {}
    directive_items = (memo.item_map(directive) if any(f.plan_item is None and f.directive_item is not None
                                                      for f in findings) else {})
    title = plan.title if plan is not None else ""
    doc_number = (plan.doc_number or "") if plan is not None else ""
    entries: list[AlertEntry] = []
    for finding in findings:
        item = plan_items.get(finding.plan_item) if finding.plan_item is not None else None
        # A finding about how the plan is drafted goes to whoever drafted it, not to the units it
        # names (55 units cannot fix the district's document); the catalog says who acts.
        drafter = CATALOG[finding.code].acts == "drafter"
        if finding.plan_item is not None:
            if drafter:
                units = _plan_level_units(plan, registry, list(finding.units or ()))
            else:
                units = tuple(dict.fromkeys(finding.units or ())) or _unit_names(item)
            label = str(finding.plan_item)
            summary = _summary(item.get("text") if item else "")
        else:
            units = _plan_level_units(plan, registry, list(finding.units or ()), memo)
            parent = directive_items.get(finding.directive_item) if finding.directive_item is not None else None
            label = f"上级文件第{finding.directive_item}项" if finding.directive_item is not None else ""
            summary = _summary(parent.get("text") if parent else "")
        entries.append(
            AlertEntry(
                key=finding_key(run.plan_key, finding.code, finding.directive_item, finding.plan_item, units),
                kind="finding",
                state=finding.severity,
                district=district,
                units=units,
                lead_units=_unit_names(item, "lead"),
                document=title,
                doc_number=doc_number,
                doc_key=run.plan_key,
                item=label,
                summary=summary,
                action=CATALOG[finding.code].action,
                message=finding.message,
                link=page_url("finding", run=run.id, finding=finding.id) or "" if finding.id else "",
                plan_link=page_url("plan", plan=run.plan_document_id) or "" if run.plan_document_id else "",
            )
        )
    return entries


def finding_entries(store: Store, as_of: date, *, run_ids: Iterable[int] | None = None,
                    districts: Iterable[str] | None = None, policy: Policy | None = None) -> list[AlertEntry]:
    """Alert entries from the latest stored check run per plan (or from the runs `run_ids`).

    With `policy`, the latest runs of plans whose year has closed (policy `plan_close`) are left
    out: as with their duties, nobody can still act on a closed plan's findings, and mailing a
    2023 plan's 时限 problems in 2026 is noise. Reports and the dashboard still show them."""
    registries: dict[str, Registry | None] = {}
    memo = _DocumentMemo()
    # runs asked for by id are sent as asked
    years = PlanYears(policy, default_calendar(), as_of) if policy is not None and run_ids is None else None

    def closed(run: CheckRun | AlertableRun) -> bool:
        if years is None:
            return False
        record = memo.documents.get(run.plan_document_id) if run.plan_document_id is not None else None
        return years.closed(record.year if record is not None else None)
    with store.transaction() as session:
        runs: list[CheckRun] | list[AlertableRun]
        if run_ids is not None:
            runs = [r for r in (session.get(CheckRun, i) for i in run_ids) if r is not None]
        else:
            runs = alertable_run_rows(session, as_of, districts=districts, severities=ALERT_SEVERITIES)
        # The runs' plans and directives in one query (their content is read only if needed).
        ids = {i for r in runs for i in (r.plan_document_id, r.directive_document_id) if i is not None}
        if ids:
            memo.documents.update((r.id, r) for r in session.scalars(
                select(DocumentRecord).where(DocumentRecord.id.in_(sorted(ids))).options(defer(DocumentRecord.data))))
        entries: list[AlertEntry] = []
        for run in runs:
            if not closed(run):
                entries.extend(entries_for_run(session, run, registries, memo))
    return entries


def current_policy(path: str | os.PathLike[str] | None = None) -> Policy:
    """The policy for flows and CLI runs: data/policy.yaml overlaid with `path` or $GONGKAI_POLICY
    (a deployment sets the variable on its worker; there is no command line to pass --policy)."""
    return load_policy(path)


def registries_for(districts: Iterable[str]) -> dict[str, Registry]:
    """District (as the documents name it) → its office registry, for every district that has one."""
    out: dict[str, Registry] = {}
    for district in dict.fromkeys(districts):
        registry = registry_for_place(district) if district else None
        if registry is not None:
            out[district] = registry
    return out


def obligation_entries(store: Store, as_of: date, policy: Policy, *,
                       statuses: list[ObligationStatus] | None = None) -> list[AlertEntry]:
    """Reminders for what units owe (their plans, quarterly reports, item deadlines)."""
    return list(alert_entries(store, as_of, policy, statuses=statuses))


def collect_alert_entries(
    store: Store, as_of: date, policy: Policy | None = None, *, districts: Iterable[str] | None = None,
    statuses: list[ObligationStatus] | None = None,
) -> tuple[list[AlertEntry], dict[str, Registry]]:
    """Every alert entry for `as_of` — findings of the latest checks and obligation reminders —
    with the registry of each district they concern (districts without a registry are left out;
    the alert run reports their entries as undeliverable)."""
    policy = current_policy() if policy is None else policy
    entries = finding_entries(store, as_of, districts=districts, policy=policy)
    entries += obligation_entries(store, as_of, policy, statuses=statuses)
    if districts is not None:
        wanted = set(districts)
        entries = [e for e in entries if e.district in wanted]
    return entries, registries_for(e.district for e in entries)
