"""Read-only views of the store for what people look at (the dashboard in web/, the reports in reports/).

Every function takes the `Store`, reads in one transaction and returns plain frozen dataclasses,
never ORM objects: the callers keep them after the session is closed and cannot write through
them. Reads are one query per table (no query per row), and never decode a document's whole
parsed content (`documents.data`) when its items are wanted: those come from the `items` table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.checks import CheckRun, FindingRecord
from store.db import Store
from store.documents import DocumentRecord, ItemRecord
from store.obligations import EventRecord, FilingRecord, ObligationRecord

# An IN list longer than this is split: SQLite caps the number of bound parameters.
CHUNK = 500


@dataclass(frozen=True)
class DocumentRow:
    """One stored version of a document, without its parsed content."""

    id: int
    doc_key: str
    version: int
    doc_number: str | None
    title: str
    level: str
    place: str | None
    issuer: str | None
    year: int | None
    issue_date: date | None
    is_draft: bool
    ingested_at: datetime


@dataclass(frozen=True)
class CheckRow:
    """One check run of a plan version (coverage rows and counts as stored)."""

    id: int
    kind: str
    plan_document_id: int | None
    directive_document_id: int | None
    directive_key: str | None
    district: str | None
    as_of: date
    created_at: datetime
    counts: dict[str, int] = field(default_factory=dict)
    coverage: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class DirectiveRow:
    """A document that plans are checked against, with its items' texts by number."""

    document: DocumentRow
    items: dict[int, str]


@dataclass(frozen=True)
class FindingRow:
    id: int
    run_id: int
    code: str
    severity: str
    directive_item: int | None
    plan_item: int | None
    units: list[str]
    message: str
    evidence: dict[str, Any]  # as stored: {"rule": …, "facts": {…}}


@dataclass(frozen=True)
class FilingRow:
    id: int
    unit: str
    doc_key: str
    kind: str
    item: int | None
    period: str | None
    filed_on: date
    document_key: str | None
    check_run_id: int | None
    note: str | None


@dataclass(frozen=True)
class CityRows:
    """What the city overview reads in one transaction: the plans in force, the newest check of
    each, the directives those checks answer to, and the last nightly run per district."""

    plans: list[DocumentRow]
    checks: dict[int, CheckRow]  # plan document id → its newest non-draft check
    directives: dict[int, DirectiveRow]  # document id → directive
    last_nightly: dict[str | None, datetime]  # district (None: no district) → newest nightly run


@dataclass(frozen=True)
class PlanRows:
    """One plan version, a check of it, the directive, the findings and every version's items."""

    plan: DocumentRow
    items: dict[int, str]
    check: CheckRow | None
    directive: DirectiveRow | None
    findings: list[FindingRow]
    versions: list[tuple[DocumentRow, dict[int, str]]]  # oldest first


_DOCUMENT_COLUMNS = (
    DocumentRecord.id, DocumentRecord.doc_key, DocumentRecord.version, DocumentRecord.doc_number,
    DocumentRecord.title, DocumentRecord.level, DocumentRecord.place, DocumentRecord.issuer, DocumentRecord.year,
    DocumentRecord.issue_date, DocumentRecord.is_draft, DocumentRecord.ingested_at,
)
_CHECK_COLUMNS = (
    CheckRun.id, CheckRun.kind, CheckRun.plan_document_id, CheckRun.directive_document_id, CheckRun.directive_key,
    CheckRun.district, CheckRun.as_of, CheckRun.created_at, CheckRun.counts, CheckRun.coverage,
)
_FINDING_COLUMNS = (
    FindingRecord.id, FindingRecord.run_id, FindingRecord.code, FindingRecord.severity, FindingRecord.directive_item,
    FindingRecord.plan_item, FindingRecord.units, FindingRecord.message, FindingRecord.evidence,
)


def _document(row: Any) -> DocumentRow:
    return DocumentRow(
        id=row.id, doc_key=row.doc_key, version=row.version, doc_number=row.doc_number, title=row.title,
        level=row.level, place=row.place, issuer=row.issuer, year=row.year, issue_date=row.issue_date, is_draft=bool(row.is_draft),
        ingested_at=row.ingested_at,
    )


def _check(row: Any) -> CheckRow:
    return CheckRow(
        id=row.id, kind=row.kind, plan_document_id=row.plan_document_id,
        directive_document_id=row.directive_document_id, directive_key=row.directive_key, district=row.district,
        as_of=row.as_of, created_at=row.created_at, counts=dict(row.counts or {}), coverage=list(row.coverage or []),
    )


def _finding(row: Any) -> FindingRow:
    return FindingRow(
        id=row.id, run_id=row.run_id, code=row.code, severity=row.severity, directive_item=row.directive_item,
        plan_item=row.plan_item, units=list(row.units or []), message=row.message, evidence=dict(row.evidence or {}),
    )


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), CHUNK):
        yield wanted[start : start + CHUNK]


def _items_of(session: Session, document_ids: Iterable[int]) -> dict[int, dict[int, str]]:
    """document id → {item number: text}, one query per CHUNK documents."""
    out: dict[int, dict[int, str]] = {}
    for chunk in _chunks(document_ids):
        stmt = (select(ItemRecord.document_id, ItemRecord.number, ItemRecord.text)
                .where(ItemRecord.document_id.in_(chunk)).order_by(ItemRecord.document_id, ItemRecord.number))
        for document_id, number, text in session.execute(stmt):
            out.setdefault(document_id, {})[number] = text
    return out


def _directives(session: Session, ids: Iterable[int]) -> dict[int, DirectiveRow]:
    ids = list(ids)
    items = _items_of(session, ids)
    out: dict[int, DirectiveRow] = {}
    for chunk in _chunks(ids):
        for row in session.execute(select(*_DOCUMENT_COLUMNS).where(DocumentRecord.id.in_(chunk))):
            out[row.id] = DirectiveRow(_document(row), items.get(row.id, {}))
    return out


def store_fingerprint(store: Store) -> tuple:
    """What changes whenever something a view shows changes: the newest ids of documents, checks,
    filings and events, and the newest re-derivation of duties. A few index look-ups."""
    columns = (DocumentRecord.id, CheckRun.id, FilingRecord.id, EventRecord.id, ObligationRecord.updated_at,
               ObligationRecord.id)
    # One statement (every page asks this first): a scalar subquery per table.
    stmt = select(*(select(func.max(column)).scalar_subquery() for column in columns))
    with store.transaction() as session:
        row = session.execute(stmt).one()
    return tuple(row)


def city_rows(store: Store) -> CityRows:
    """The plans in force (newest issued version of every district and unit plan) with their
    newest non-draft check, the directives of those checks, and the last nightly run per district."""
    with store.transaction() as session:
        newest: dict[str, DocumentRow] = {}
        stmt = select(*_DOCUMENT_COLUMNS).order_by(DocumentRecord.doc_key, DocumentRecord.version)
        for row in session.execute(stmt):
            if not row.is_draft:
                newest[row.doc_key] = _document(row)
        plans = [d for d in newest.values() if d.level in ("district", "unit")]
        ids = [p.id for p in plans]
        checks: dict[int, CheckRow] = {}
        for chunk in _chunks(ids):
            newest_run = (select(func.max(CheckRun.id))
                          .where(CheckRun.plan_document_id.in_(chunk), CheckRun.kind != "draft")
                          .group_by(CheckRun.plan_document_id))
            for row in session.execute(select(*_CHECK_COLUMNS).where(CheckRun.id.in_(newest_run))):
                checks[row.plan_document_id] = _check(row)
        wanted = {c.directive_document_id for c in checks.values() if c.directive_document_id is not None}
        directives = _directives(session, wanted)
        last_nightly: dict[str | None, datetime] = {
            district: at for district, at in session.execute(
                select(CheckRun.district, func.max(CheckRun.created_at)).where(CheckRun.kind == "nightly")
                .group_by(CheckRun.district))
        }
    return CityRows(plans=plans, checks=checks, directives=directives, last_nightly=last_nightly)


def plan_rows(store: Store, *, plan_id: int | None = None, run_id: int | None = None) -> PlanRows | None:
    """One plan version and a check of it: the check `run_id`, else the plan's newest non-draft
    check, else its newest draft check; None when neither the run nor the plan is stored."""
    with store.transaction() as session:
        check = None
        if run_id is not None:
            row = session.execute(select(*_CHECK_COLUMNS).where(CheckRun.id == run_id)).first()
            if row is None:
                return None
            check = _check(row)
            plan_id = check.plan_document_id
        if plan_id is None:
            return None
        row = session.execute(select(*_DOCUMENT_COLUMNS).where(DocumentRecord.id == plan_id)).first()
        if row is None:
            return None
        plan = _document(row)
        if check is None:
            stmt = (select(*_CHECK_COLUMNS).where(CheckRun.plan_document_id == plan.id)
                    .order_by((CheckRun.kind == "draft").asc(), CheckRun.id.desc()).limit(1))
            row = session.execute(stmt).first()
            check = _check(row) if row is not None else None
        directive = None
        findings: list[FindingRow] = []
        if check is not None:
            if check.directive_document_id is not None:
                directive = _directives(session, [check.directive_document_id]).get(check.directive_document_id)
            findings = [_finding(r) for r in session.execute(
                select(*_FINDING_COLUMNS).where(FindingRecord.run_id == check.id).order_by(FindingRecord.id))]
        versions = [_document(r) for r in session.execute(
            select(*_DOCUMENT_COLUMNS).where(DocumentRecord.doc_key == plan.doc_key).order_by(DocumentRecord.version))]
        items = _items_of(session, [v.id for v in versions])
    return PlanRows(plan=plan, items=items.get(plan.id, {}), check=check, directive=directive, findings=findings,
                    versions=[(v, items.get(v.id, {})) for v in versions])


def findings_of_runs(store: Store, run_ids: Iterable[int]) -> list[FindingRow]:
    """The findings of the given check runs, by id."""
    out: list[FindingRow] = []
    with store.transaction() as session:
        for chunk in _chunks(run_ids):
            out += [_finding(r) for r in session.execute(
                select(*_FINDING_COLUMNS).where(FindingRecord.run_id.in_(chunk)))]
    out.sort(key=lambda f: f.id)
    return out


def filing_rows(store: Store, unit: str | None = None, doc_keys: Iterable[str] | None = None) -> list[FilingRow]:
    """Filings (of one unit, under some plans), oldest first."""
    stmt = select(
        FilingRecord.id, FilingRecord.unit, FilingRecord.doc_key, FilingRecord.kind, FilingRecord.item,
        FilingRecord.period, FilingRecord.filed_on, FilingRecord.document_key, FilingRecord.check_run_id,
        FilingRecord.note,
    ).order_by(FilingRecord.filed_on, FilingRecord.id)
    if unit is not None:
        stmt = stmt.where(FilingRecord.unit == unit)
    wanted = set(doc_keys) if doc_keys is not None else None
    with store.transaction() as session:
        return [
            FilingRow(id=r.id, unit=r.unit, doc_key=r.doc_key, kind=r.kind, item=r.item, period=r.period,
                      filed_on=r.filed_on, document_key=r.document_key, check_run_id=r.check_run_id, note=r.note)
            for r in session.execute(stmt)
            if wanted is None or r.doc_key in wanted
        ]
