"""Check a plan against its directive, from files or stored documents, and store the result."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from documents.model import Document, DocumentError
from documents.parser import parse_file
from rules.check import CheckResult, check_plan, level_problem
from rules.policy import Policy
from store.checks import save_check
from store.db import Store, open_store
from store.documents import STORED_ID, DocumentRecord, document_key, find_document, find_parent
from workdays.calendar import today_shanghai


def resolve_document(ref: str, session: Session | None, *, stored: bool = False
                     ) -> tuple[Document, DocumentRecord | None]:
    """The one place a document reference is resolved: `#12` is stored document 12 (never a file
    named 12); `stored` (the CLI's --doc) reads `ref` as a 发文字号 only; otherwise `ref` is a file
    path, or, when no such file exists, a stored 发文字号."""
    path = Path(ref)
    if not stored and not STORED_ID.fullmatch(ref.strip()) and path.exists():
        return parse_file(path), None
    if session is not None:
        record = find_document(session, ref)
        if record is not None:
            return record.to_document(), record
    raise DocumentError(ref, "文件不存在，数据库中也没有此发文字号 (no such file or stored document)")


def run_check(
    plan_ref: str,
    against_ref: str | None,
    *,
    policy: Policy,
    db: str | None = None,
    store: Store | None = None,
    kind: str = "on_demand",
    as_of: date | None = None,
    save: bool = True,
    plan_by_number: bool = False,
) -> tuple[CheckResult, int | None]:
    """The on-demand check: parse/load both documents, run the rules, store the findings; returns
    the result and the id of the stored check run (None when not saved).

    Documents are read in one short transaction, the rules run outside any transaction, and
    the findings are stored in a second one, so a slow check never holds the database."""
    store = store or open_store(db)
    with store.transaction() as session:
        plan, plan_record = resolve_document(plan_ref, session, stored=plan_by_number)
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
    run_id = None
    if save:
        with store.transaction() as session:
            run = save_check(
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
            run_id = run.id
    return result, run_id


def check_documents(
    plan_ref: str,
    against_ref: str | None,
    *,
    policy: Policy,
    db: str | None = None,
    store: Store | None = None,
    kind: str = "on_demand",
    as_of: date | None = None,
    save: bool = True,
    plan_by_number: bool = False,
) -> CheckResult:
    """`run_check` without the run id."""
    return run_check(plan_ref, against_ref, policy=policy, db=db, store=store, kind=kind, as_of=as_of,
                     save=save, plan_by_number=plan_by_number)[0]
