"""Check runs and their findings, so the nightly run and on-demand checks share one history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, defer, mapped_column, relationship, selectinload

from documents.model import jsonable
from store.db import Base
from store.documents import DocumentRecord


class CheckRun(Base):
    __tablename__ = "check_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # on_demand | nightly | draft
    plan_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    directive_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    plan_key: Mapped[str] = mapped_column(String(200), index=True)
    directive_key: Mapped[str | None] = mapped_column(String(200))
    district: Mapped[str | None] = mapped_column(String(50), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    coverage: Mapped[list] = mapped_column(JSON)
    counts: Mapped[dict] = mapped_column(JSON)
    # The key of the cached result this run stored (None for runs made before the cache).
    result_key: Mapped[str | None] = mapped_column(String(64), index=True)

    findings: Mapped[list[FindingRecord]] = relationship(back_populates="run", cascade="all, delete-orphan")


class FindingRecord(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("check_runs.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    directive_item: Mapped[int | None] = mapped_column(Integer)
    plan_item: Mapped[int | None] = mapped_column(Integer)
    units: Mapped[list] = mapped_column(JSON)
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict] = mapped_column(JSON)

    run: Mapped[CheckRun] = relationship(back_populates="findings")


class CachedCheck(Base):
    """One check's result under the hash of all its inputs (see rules.check.check_key)."""

    __tablename__ = "check_results"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    plan_hash: Mapped[str] = mapped_column(String(64))
    parent_hash: Mapped[str] = mapped_column(String(64))
    policy_hash: Mapped[str] = mapped_column(String(64))
    registry_hash: Mapped[str] = mapped_column(String(64))
    rules_version: Mapped[str] = mapped_column(String(20))
    result: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def cached_results(session: Session, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The cached results of those of `keys` that are stored, in one query per 500 keys."""
    wanted = sorted(set(keys))
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for key, result in session.execute(select(CachedCheck.key, CachedCheck.result).where(CachedCheck.key.in_(chunk))):
            out[key] = result
    return out


def cache_result(session: Session, key: str, parts: dict[str, str], result: dict[str, Any]) -> None:
    """Keep `result` under `key` (a result already kept under that key is left as it is: the same
    inputs give the same result)."""
    if session.get(CachedCheck, key) is not None:
        return
    session.add(CachedCheck(key=key, result=jsonable(result), created_at=datetime.now(UTC), **parts))
    session.flush()


def cache_results(session: Session, items: Iterable[tuple[str, dict[str, str], dict[str, Any]]]) -> None:
    """`cache_result` for many (key, parts, result) at once: the keys already kept are found in
    one query, the new results written at the next flush (a key given twice is kept once)."""
    todo: dict[str, tuple[dict[str, str], dict[str, Any]]] = {}
    for key, parts, result in items:
        todo.setdefault(key, (parts, result))
    wanted = sorted(todo)
    for start in range(0, len(wanted), 500):
        for key in session.scalars(select(CachedCheck.key).where(CachedCheck.key.in_(wanted[start:start + 500]))):
            todo.pop(key, None)
    now = datetime.now(UTC)
    session.add_all(CachedCheck(key=key, result=jsonable(result), created_at=now, **parts)
                    for key, (parts, result) in todo.items())


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


def save_check(
    session: Session,
    *,
    kind: str,
    result: dict[str, Any],
    plan_document_id: int | None,
    directive_document_id: int | None,
    plan_key: str,
    directive_key: str | None,
    district: str | None,
    as_of: date,
    result_key: str | None = None,
    flush: bool = True,
) -> CheckRun:
    """Store one check (the JSON form of rules.check.CheckResult) with its findings
    (`flush=False`: the run gets its id at the caller's next flush)."""
    run = CheckRun(
        kind=kind,
        plan_document_id=plan_document_id,
        directive_document_id=directive_document_id,
        plan_key=plan_key,
        directive_key=directive_key,
        district=district,
        as_of=as_of,
        created_at=datetime.now(UTC),
        coverage=result["coverage"],
        counts=result["counts"],
        result_key=result_key,
    )
    for f in result["findings"]:
        run.findings.append(
            FindingRecord(
                code=f["code"],
                severity=f["severity"],
                directive_item=f["directive_item"],
                plan_item=f["plan_item"],
                units=f["units"],
                message=f["message"],
                evidence=jsonable(f["evidence"]),
            )
        )
    session.add(run)
    if flush:
        session.flush()
    return run


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


def alertable_run_rows(session: Session, as_of: date, *, districts: Iterable[str] | None = None,
                       severities: Iterable[str] | None = None) -> list[AlertableRun]:
    """`alertable_runs` as plain rows, with only the findings of `severities` (all when None): the
    runs and their findings in a few queries, without building ORM instances (the alert stage
    reads every plan's run each night)."""
    latest = _latest_alertable(session, as_of, districts)
    wanted = None if severities is None else sorted(set(severities))
    heads: dict[int, Any] = {}
    found: dict[int, list[FindingRow]] = {i: [] for i in latest}
    for start in range(0, len(latest), 500):  # SQLite caps the bound parameters of one statement
        chunk = latest[start : start + 500]
        heads.update((r.id, r) for r in session.execute(
            select(CheckRun.id, CheckRun.plan_key, CheckRun.district, CheckRun.plan_document_id,
                   CheckRun.directive_document_id).where(CheckRun.id.in_(chunk))))
        stmt = (select(FindingRecord.run_id, FindingRecord.id, FindingRecord.code, FindingRecord.severity,
                       FindingRecord.directive_item, FindingRecord.plan_item, FindingRecord.units,
                       FindingRecord.message)
                .where(FindingRecord.run_id.in_(chunk)).order_by(FindingRecord.id))
        if wanted is not None:
            stmt = stmt.where(FindingRecord.severity.in_(wanted))
        for f in session.execute(stmt):
            found[f.run_id].append(FindingRow(f.id, f.code, f.severity, f.directive_item, f.plan_item,
                                              list(f.units or []), f.message))
    return [AlertableRun(h.id, h.plan_key, h.district, h.plan_document_id, h.directive_document_id, found[i])
            for i in latest if (h := heads.get(i)) is not None]
