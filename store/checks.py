"""Check runs and their findings, so the nightly run and on-demand checks share one history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Mapped, Session, aliased, defer, relationship, selectinload

from documents.model import jsonable
from store import tables
from store.base import Base
from store.documents import DocumentRecord


class CheckRun(Base):
    __table__ = tables.check_runs

    id: Mapped[int]
    kind: Mapped[str]  # on_demand | nightly | draft
    plan_document_id: Mapped[int | None]
    directive_document_id: Mapped[int | None]
    plan_key: Mapped[str]
    directive_key: Mapped[str | None]
    district: Mapped[str | None]
    as_of: Mapped[date]
    created_at: Mapped[datetime]
    coverage: Mapped[list]
    counts: Mapped[dict]
    # The key of the cached result this run stored (None for runs made before the cache).
    result_key: Mapped[str | None]

    findings: Mapped[list[FindingRecord]] = relationship(back_populates="run", cascade="all, delete-orphan")


class FindingRecord(Base):
    __table__ = tables.findings

    id: Mapped[int]
    run_id: Mapped[int]
    code: Mapped[str]
    severity: Mapped[str]
    directive_item: Mapped[int | None]
    plan_item: Mapped[int | None]
    units: Mapped[list]
    message: Mapped[str]
    evidence: Mapped[dict]

    run: Mapped[CheckRun] = relationship(back_populates="findings")


class CachedCheck(Base):
    """One check's result under the hash of all its inputs (see rules.check.check_key)."""

    __table__ = tables.check_results

    key: Mapped[str]
    plan_hash: Mapped[str]
    parent_hash: Mapped[str]
    policy_hash: Mapped[str]
    registry_hash: Mapped[str]
    rules_version: Mapped[str]
    result: Mapped[dict]
    created_at: Mapped[datetime]


def cached_results(session: Session, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The cached results of those of `keys` that are stored, in one query per 500 keys."""
    wanted = sorted(set(keys))
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for key, result in session.execute(select(CachedCheck.key, CachedCheck.result).where(CachedCheck.key.in_(chunk))):
            out[key] = result
    return out


def cache_results(session: Session, items: Iterable[tuple[str, dict[str, str], dict[str, Any]]]) -> None:
    """`store.tables.keep_result` for many (key, parts, result) at once, in the session's
    transaction: the keys already kept are found in one query and the new results written in one
    more, as plain rows (no ORM instances: nothing reads them back in this session; a key given
    twice is kept once)."""
    todo: dict[str, tuple[dict[str, str], dict[str, Any]]] = {}
    for key, parts, result in items:
        todo.setdefault(key, (parts, result))
    wanted = sorted(todo)
    for start in range(0, len(wanted), 500):
        for key in session.scalars(select(CachedCheck.key).where(CachedCheck.key.in_(wanted[start:start + 500]))):
            todo.pop(key, None)
    now = datetime.now(UTC)
    rows = [{"key": key, "result": jsonable(result), "created_at": now, **parts}
            for key, (parts, result) in todo.items()]
    if rows:
        session.execute(insert(tables.check_results), rows)


def newest_run_keys(session: Session, plan_document_ids: Iterable[int], as_of: date
                    ) -> dict[int, tuple[int, str | None, str]]:
    """Per plan document: (id, result key, kind) of its newest non-draft run on or before `as_of` —
    the run a night keeps when the plan's inputs did not change since."""
    ids = sorted(set(plan_document_ids))
    out: dict[int, tuple[int, str | None, str]] = {}
    for start in range(0, len(ids), 500):
        newest = (
            select(func.max(CheckRun.id))
            .where(CheckRun.plan_document_id.in_(ids[start : start + 500]), CheckRun.as_of <= as_of,
                   CheckRun.kind != "draft")
            .group_by(CheckRun.plan_document_id)
        )
        stmt = (select(CheckRun.plan_document_id, CheckRun.id, CheckRun.result_key, CheckRun.kind)
                .where(CheckRun.id.in_(newest)))
        for plan_id, run_id, key, kind in session.execute(stmt):
            out[plan_id] = (run_id, key, kind)
    return out


def save_check(session: Session, *, flush: bool = True, **run: Any) -> CheckRun:
    """Store one check with its findings; `run`: `store.tables.run_row`'s fields (`result`, the JSON
    form of rules.check.CheckResult, among them). `flush=False`: the run gets its id at the
    caller's next flush."""
    record = CheckRun(**tables.run_row(**run))
    record.findings.extend(FindingRecord(**finding) for finding in tables.finding_rows(run["result"]))
    session.add(record)
    if flush:
        session.flush()
    return record


def latest_runs(session: Session, kind: str | None = None) -> list[CheckRun]:
    """The newest check run per plan."""
    stmt = select(CheckRun).order_by(CheckRun.plan_key, CheckRun.id)
    if kind:
        stmt = stmt.where(CheckRun.kind == kind)
    latest: dict[str, CheckRun] = {}
    for run in session.scalars(stmt):
        latest[run.plan_key] = run
    return list(latest.values())


def _latest_alertable(session: Session, as_of: date, districts: Iterable[str] | None) -> list[int]:
    """Ids of the newest check run on or before `as_of` of every stored, issued plan."""
    # Ids and keys only: neither the documents' content nor the runs' coverage is read here.
    newest_version: dict[str, tuple[int, str]] = {}
    for doc_id, doc_key, level, is_draft in session.execute(
        select(DocumentRecord.id, DocumentRecord.doc_key, DocumentRecord.level, DocumentRecord.is_draft)
        .order_by(DocumentRecord.doc_key, DocumentRecord.version)
    ):
        if not is_draft:
            newest_version[doc_key] = (doc_id, level)
    current = {doc_id for doc_id, level in newest_version.values() if level in ("district", "unit")}
    wanted = set(districts) if districts is not None else None
    stmt = (
        select(CheckRun.id, CheckRun.plan_key, CheckRun.plan_document_id, CheckRun.district)
        .where(CheckRun.as_of <= as_of, CheckRun.kind != "draft", CheckRun.plan_document_id.is_not(None))
        .order_by(CheckRun.plan_key, CheckRun.id)
    )
    latest: dict[str, int] = {}
    for run_id, plan_key, plan_document_id, district in session.execute(stmt):
        if plan_document_id in current and (wanted is None or district in wanted):
            latest[plan_key] = run_id
    return list(latest.values())


def alertable_runs(session: Session, as_of: date, *, districts: Iterable[str] | None = None) -> list[CheckRun]:
    """The newest check run on or before `as_of` of every stored, issued plan.

    Drafts are left out (a draft alerts only from its own check, when the policy says so), and so
    are runs of an older version of a plan or of a file never stored: their findings may no longer
    hold for the plan in force."""
    latest = _latest_alertable(session, as_of, districts)
    if not latest:
        return []
    # The chosen runs with their findings, in two queries (not one per run).
    runs = {r.id: r for r in session.scalars(
        select(CheckRun).where(CheckRun.id.in_(latest))
        .options(defer(CheckRun.coverage), selectinload(CheckRun.findings).defer(FindingRecord.evidence)))}
    return [runs[i] for i in latest]


@dataclass(frozen=True)
class FindingRow:
    """What the alerts read of a stored finding (a plain row, not an ORM instance)."""

    id: int
    code: str
    severity: str
    directive_item: int | None
    plan_item: int | None
    units: list[str]
    message: str


@dataclass(frozen=True)
class AlertableRun:
    """What the alerts read of a stored check run, with its findings (oldest first)."""

    id: int
    plan_key: str
    district: str | None
    plan_document_id: int | None
    directive_document_id: int | None
    findings: list[FindingRow]


def finding_rows_of(session: Session, run_ids: list[int], severities: Iterable[str] | None = None
                    ) -> dict[int, list[FindingRow]]:
    """run id → its findings (of `severities`, all when None) as plain rows, in the order they were
    stored, in one query (callers pass at most a few hundred ids: SQLite caps bound parameters)."""
    stmt = (select(FindingRecord.run_id, FindingRecord.id, FindingRecord.code, FindingRecord.severity,
                   FindingRecord.directive_item, FindingRecord.plan_item, FindingRecord.units,
                   FindingRecord.message)
            .where(FindingRecord.run_id.in_(run_ids)).order_by(FindingRecord.id))
    if severities is not None:
        stmt = stmt.where(FindingRecord.severity.in_(sorted(set(severities))))
    out: dict[int, list[FindingRow]] = {}
    for f in session.execute(stmt):
        out.setdefault(f.run_id, []).append(FindingRow(f.id, f.code, f.severity, f.directive_item, f.plan_item,
                                                       list(f.units or []), f.message))
    return out


def alertable_run_rows(session: Session, as_of: date, *, districts: Iterable[str] | None = None,
                       severities: Iterable[str] | None = None) -> list[AlertableRun]:
    """`alertable_runs` as plain rows, with only the findings of `severities` (all when None): the
    runs and their findings in a few queries, without building ORM instances (the alert stage
    reads every plan's run each night)."""
    latest = _latest_alertable(session, as_of, districts)
    heads: dict[int, Any] = {}
    found: dict[int, list[FindingRow]] = {i: [] for i in latest}
    for start in range(0, len(latest), 500):  # SQLite caps the bound parameters of one statement
        chunk = latest[start : start + 500]
        heads.update((r.id, r) for r in session.execute(
            select(CheckRun.id, CheckRun.plan_key, CheckRun.district, CheckRun.plan_document_id,
                   CheckRun.directive_document_id).where(CheckRun.id.in_(chunk))))
        for run_id, rows in finding_rows_of(session, chunk, severities).items():
            found[run_id] = rows
    return [AlertableRun(h.id, h.plan_key, h.district, h.plan_document_id, h.directive_document_id, found[i])
            for i in latest if (h := heads.get(i)) is not None]


SUMMARY_HEADING = ("doc_number", "title", "place", "level", "year", "issue_date")
SUMMARY_FINDING = ("code", "severity", "directive_item", "plan_item", "units", "message")


def result_summary(result: dict[str, Any]) -> dict[str, Any]:
    """The part of a check result (rules.check.CheckResult.to_dict) that `run_summaries` reads
    back from a stored run: the same shape, whichever way a night got it."""
    def heading(doc: dict[str, Any] | None) -> dict[str, Any] | None:
        return {k: doc.get(k) for k in SUMMARY_HEADING} if doc is not None else None

    return {
        "plan": heading(result.get("plan") or {}),
        "directive": heading(result.get("directive")),
        "counts": dict(result.get("counts") or {}),
        "findings": [{k: (list(f.get(k) or []) if k == "units" else f.get(k)) for k in SUMMARY_FINDING}
                     for f in result.get("findings", [])],
    }


def run_summaries(session: Session, run_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Per check run, what a night's summary reads of its result, from the run's own rows: the
    plan's and the directive's heading fields, the counts and the findings (without evidence).
    A kept result carries the coverage and every finding's evidence too, and decoding those for
    every unchanged plan was most of an unchanged night's check stage."""
    ids = sorted(set(run_ids))
    plan_doc, directive_doc = aliased(DocumentRecord), aliased(DocumentRecord)
    heading = SUMMARY_HEADING
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        stmt = (
            select(CheckRun.id, CheckRun.counts, CheckRun.directive_document_id,
                   *(getattr(plan_doc, c) for c in heading), *(getattr(directive_doc, c) for c in heading))
            .outerjoin(plan_doc, plan_doc.id == CheckRun.plan_document_id)
            .outerjoin(directive_doc, directive_doc.id == CheckRun.directive_document_id)
            .where(CheckRun.id.in_(chunk))
        )
        for row in session.execute(stmt):
            plan = dict(zip(heading, row[3 : 3 + len(heading)], strict=True))
            directive = dict(zip(heading, row[3 + len(heading) :], strict=True))
            for doc in (plan, directive):
                doc["issue_date"] = doc["issue_date"].isoformat() if doc["issue_date"] else None
            out[row.id] = {"plan": plan, "directive": directive if row.directive_document_id is not None else None,
                           "counts": dict(row.counts or {}), "findings": []}
        for run_id, rows in finding_rows_of(session, chunk).items():
            out[run_id]["findings"] = [{k: getattr(row, k) for k in SUMMARY_FINDING} for row in rows]
    return out
