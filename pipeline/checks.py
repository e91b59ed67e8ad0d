"""Check a plan against its directive, from files or stored documents, and store the result."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from documents.header import cited_place
from documents.model import Document, DocumentError
from documents.parser import parse_file
from rules.check import CheckResult, check_plan, level_problem
from store.checks import save_check
from store.db import Store, open_store
from store.documents import DocumentRecord, document_key, find_document, latest_documents
from workdays.calendar import today_shanghai


def resolve_document(ref: str, session: Session | None) -> tuple[Document, DocumentRecord | None]:
    """A document from a file path, else from the store by 发文字号 or id."""
    path = Path(ref)
    if path.exists():
        return parse_file(path), None
    if session is not None:
        record = find_document(session, ref)
        if record is not None:
            return record.to_document(), record
    raise DocumentError(ref, "文件不存在，数据库中也没有此发文字号 (no such file or stored document)")


def find_parent(session: Session, doc: Document | DocumentRecord) -> DocumentRecord | None:
    """The directive above `doc` (a Document or a stored record: only its level, year, place and
    issue date are read): the city plan of the same year for a district plan, the district plan
    of the same place and year for a unit plan. The store is asked for those candidates only."""
    wanted = {"district": "municipal", "unit": "district"}.get(doc.level)
    if wanted is None or doc.year is None:
        return None
    stmt = select(DocumentRecord).where(
        DocumentRecord.level == wanted, DocumentRecord.year == doc.year, DocumentRecord.is_draft.is_(False)
    )
    if wanted == "district":
        stmt = stmt.where(DocumentRecord.place == doc.place)
    newest: dict[str, DocumentRecord] = {}
    for record in session.scalars(stmt.order_by(DocumentRecord.version)):
        newest[record.doc_key] = record
    candidates = [
        r for r in newest.values() if not doc.issue_date or not r.issue_date or r.issue_date <= doc.issue_date
    ]
    candidates = _cited_first(doc, candidates)
    return max(candidates, key=lambda r: (r.issue_date or date.min, r.id), default=None)


def _cited_first(doc: Document | DocumentRecord, candidates: list[DocumentRecord]) -> list[DocumentRecord]:
    """The directive the plan's preamble cites (根据《…》（文号）), when stored; else the candidates
    of the place the cited title names (a district of another city never gets this city's plan)."""
    data = doc.data if isinstance(doc, DocumentRecord) else {}
    title = getattr(doc, "parent_title", None) or data.get("parent_title")
    number = getattr(doc, "parent_doc_number", None) or data.get("parent_doc_number")
    if not title and not number:
        return candidates
    named = [r for r in candidates if (number and r.doc_number == number) or (title and r.title == title)]
    if named:
        return named
    place = cited_place(title) if title else None
    return [r for r in candidates if r.place == place] if place else candidates


def check_documents(
    plan_ref: str,
    against_ref: str | None,
    *,
    policy: dict[str, Any],
    db: str | None = None,
    store: Store | None = None,
    kind: str = "on_demand",
    as_of: date | None = None,
    save: bool = True,
) -> CheckResult:
    """The on-demand check: parse/load both documents, run the rules, store the findings.

    Documents are read in one short transaction, the rules run outside any transaction, and
    the findings are stored in a second one, so a slow check never holds the database."""
    store = store or open_store(db)
    with store.transaction() as session:
        plan, plan_record = resolve_document(plan_ref, session)
        directive, directive_record = (None, None)
        if against_ref:
            directive, directive_record = resolve_document(against_ref, session)
        else:
            directive_record = find_parent(session, plan)
            directive = directive_record.to_document() if directive_record else None
        problem = level_problem(plan, directive)
        if problem:
            raise DocumentError(plan_ref, problem)
        plan_id = plan_record.id if plan_record else None
        directive_id = directive_record.id if directive_record else None
    result = check_plan(plan, directive, policy=policy)
    if save:
        with store.transaction() as session:
            save_check(
                session,
                kind=kind,
                result=result.to_dict(),
                plan_document_id=plan_id,
                directive_document_id=directive_id,
                plan_key=document_key(plan),
                directive_key=document_key(directive) if directive else None,
                district=plan.place,
                as_of=as_of or today_shanghai(),
            )
    return result


def stored_plans(session: Session) -> list[DocumentRecord]:
    """Every stored plan below the city level (the nightly run checks each)."""
    return [r for r in latest_documents(session) if r.level in ("district", "unit")]
