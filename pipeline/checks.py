"""Check a plan against its directive, from files or stored documents, and store the result.

A check whose inputs (plan, parent, policy, registry, rules version) are unchanged is answered
from the result kept under their hash (rules.check.check_key), never run again.

`gongkai check` imports this module first: a plan or directive given as a file is read before
the policy and the store, so an unreadable file is rejected without loading either (nor
SQLAlchemy), and a kept result is answered without the rules. Hence the imports in functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from documents.model import Document, DocumentError
from store.names import STORED_ID, document_key

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from rules.check import CheckResult
    from rules.policy import Policy
    from store.checks import CheckRun
    from store.db import Store
    from store.documents import DocumentRecord


# The rules, the store's tables and SQLAlchemy load when first used (see above); these three stay
# names of this module, where tests and the crash trials replace them.
def check_plan(plan: Document, directive: Document | None, **kwargs: Any) -> CheckResult:
    """rules.check.check_plan."""
    from rules.check import check_plan as run

    return run(plan, directive, **kwargs)


def save_check(session: Session, **kwargs: Any) -> CheckRun:
    """store.checks.save_check."""
    from store.checks import save_check as save

    return save(session, **kwargs)


def find_parent(session: Session, doc: Document | DocumentRecord) -> DocumentRecord | None:
    """store.documents.find_parent."""
    from store.documents import find_parent as find

    return find(session, doc)


def read_file(ref: str, *, stored: bool = False) -> Document | None:
    """The document in the file `ref` names, parsed; None when `ref` names a stored document:
    `#12` is stored document 12 (never a file named 12), `stored` (the CLI's --doc) reads `ref`
    as a 发文字号 only, and a path with no file behind it may be a stored 发文字号."""
    path = Path(ref)
    if stored or STORED_ID.fullmatch(ref.strip()) or not path.exists():
        return None
    from documents.parser import parse_file

    return parse_file(path)


def _find_stored(ref: str, session: Session | None) -> tuple[Document, DocumentRecord]:
    if session is not None:
        from store.documents import find_document

        record = find_document(session, ref)
        if record is not None:
            return record.to_document(), record
    raise DocumentError(ref, "文件不存在，数据库中也没有此发文字号 (no such file or stored document)")


def resolve_document(ref: str, session: Session | None, *, stored: bool = False
                     ) -> tuple[Document, DocumentRecord | None]:
    """The one place a document reference is resolved: the file `ref` names (`read_file`), else
    the stored document it names (`#12`, a 发文字号)."""
    doc = read_file(ref, stored=stored)
    if doc is not None:
        return doc, None
    return _find_stored(ref, session)


def run_check(
    plan_ref: str,
    against_ref: str | None,
    *,
    policy: Policy | None = None,
    policy_file: Path | None = None,
    db: str | None = None,
    store: Store | None = None,
    kind: str = "on_demand",
    as_of: date | None = None,
    save: bool = True,
    plan_by_number: bool = False,
) -> tuple[CheckResult, int | None]:
    """The on-demand check: parse/load both documents, run the rules, store the findings; returns
    the result and the id of the stored check run (None when not saved). `policy` None: the
    policy in `policy_file` (default data/policy.yaml), read once the files given are.

    Files are parsed before the store is opened; stored documents are read in one short
    transaction, the rules run outside any transaction, and the findings are stored in a second
    one, so a slow check never holds the database."""
    plan_file = read_file(plan_ref, stored=plan_by_number)
    directive_file = read_file(against_ref) if against_ref else None
    if policy is None:
        from rules.policy import load_policy

        policy = load_policy(policy_file)
    from offices.registry import registry_for_place
    from rules.check import CheckResult, check_key, document_hash, level_problem, stored_document_hash
    from store.db import open_store
    from store.tables import keep_result, kept_result, record_check
    from workdays.calendar import today_shanghai

    store = store or open_store(db)
    plan_record: DocumentRecord | None = None
    directive_record: DocumentRecord | None = None
    with ExitStack() as stack:
        if plan_file is not None and directive_file is not None:
            # Both from files: the kept result is read through SQLAlchemy Core, and a check
            # answered from it never loads the ORM.
            connection = stack.enter_context(store.engine.connect())
            plan, directive = plan_file, directive_file
        else:
            session = stack.enter_context(store.transaction())
            connection = session.connection()
            plan, plan_record = (plan_file, None) if plan_file is not None else _find_stored(plan_ref, session)
            if directive_file is not None:
                directive = directive_file
            elif against_ref:
                directive, directive_record = _find_stored(against_ref, session)
            else:
                directive_record = find_parent(session, plan)
                directive = directive_record.to_document() if directive_record else None
        problem = level_problem(plan, directive)
        if problem:
            raise DocumentError(plan_ref, problem)
        registry = registry_for_place(plan.place) if plan.place else None
        key, parts = check_key(
            stored_document_hash(plan_record.content_hash) if plan_record else document_hash(plan),
            stored_document_hash(directive_record.content_hash) if directive_record else document_hash(directive),
            policy, registry)
        kept = kept_result(connection, key)
    if kept is not None:
        result = CheckResult.from_dict(kept, plan, directive)
    else:
        result = check_plan(plan, directive, policy=policy, registry=registry)
    run_id = None
    if save:
        data = result.to_dict()
        with store.engine.begin() as connection:
            if kept is None:
                keep_result(connection, key, parts, data)
            run_id = record_check(
                connection,
                kind=kind,
                result=data,
                plan_document_id=plan_record.id if plan_record else None,
                directive_document_id=directive_record.id if directive_record else None,
                plan_key=document_key(plan),
                directive_key=document_key(directive) if directive else None,
                district=plan.place,
                as_of=as_of or today_shanghai(),
                result_key=key,
            )
    return result, run_id


def check_stored_plans(
    store: Store,
    plans: Iterable[Mapping[str, Any]],
    policy: Policy,
    *,
    kind: str = "nightly",
    as_of: date,
) -> list[tuple[dict[str, Any], int]]:
    """Check stored plans (each a mapping with `id`, `content_hash`, `place`, `parent` and
    `parent_hash`) and return (result as a dict, check run id) for each, in order.

    The dict is the result's summary (`store.checks.result_summary`: the documents' heading
    fields, the counts and the findings without evidence). A plan's newest run stands when it
    carries the same key and is of the same kind: its summary is read from that run's rows
    (`run_summaries`), not by decoding the whole kept result. A plan whose kept result matches its
    key gets a new run from that result; only the plans whose inputs changed are read and checked
    (a parent is read once for all its plans), and everything new is written in one transaction."""
    from sqlalchemy import select

    from offices.registry import registry_for_place
    from rules.check import check_key, stored_document_hash
    from store.checks import cache_results, cached_results, newest_run_keys, result_summary, run_summaries
    from store.documents import DocumentRecord

    plans = list(plans)
    keys: list[tuple[str, dict[str, str]]] = []
    registries: dict[str | None, Any] = {}
    for plan in plans:
        place = plan.get("place")
        if place not in registries:
            registries[place] = registry_for_place(place) if place else None
        keys.append(check_key(stored_document_hash(plan["content_hash"]),
                              stored_document_hash(plan["parent_hash"]), policy, registries[place]))
    with store.transaction() as session:
        newest = newest_run_keys(session, [p["id"] for p in plans], as_of)
        standing = {i: newest[plan["id"]][0] for i, plan in enumerate(plans)
                    if (newest.get(plan["id"]) or (None, None, None))[1:] == (keys[i][0], kind)}
        kept = cached_results(session, [k for i, (k, _) in enumerate(keys) if i not in standing])
        summaries = run_summaries(session, standing.values())
    results: list[dict[str, Any] | None] = [summaries[standing[i]] if i in standing else kept.get(k)
                                            for i, (k, _) in enumerate(keys)]
    fresh: set[int] = set()
    missing = [i for i, r in enumerate(results) if r is None]
    if missing:
        # Read in one short transaction, check outside it: a slow check never holds the database.
        documents: dict[int, Document] = {}
        with store.transaction() as session:
            wanted = sorted({d for i in missing for d in (plans[i]["id"], plans[i]["parent"]) if d is not None})
            for start in range(0, len(wanted), 500):  # in a few queries, not one per document
                # only what a check reads (DocumentRecord.to_document's data), as plain rows
                for doc_id, data in session.execute(select(DocumentRecord.id, DocumentRecord.data)
                                                    .where(DocumentRecord.id.in_(wanted[start:start + 500]))):
                    documents[doc_id] = Document.from_dict(data)
            lost = [d for d in wanted if d not in documents]
            if lost:
                raise DocumentError(f"#{lost[0]}", "数据库中没有此文件 (no such stored document)")
        for i in missing:
            plan = plans[i]
            directive = documents[plan["parent"]] if plan["parent"] is not None else None
            try:
                results[i] = check_plan(documents[plan["id"]], directive, policy=policy,
                                        registry=registries[plan.get("place")]).to_dict()
            except Exception as exc:
                # Name the plan: the nightly run reports its district as failed with this message.
                raise RuntimeError(f"{plan.get('place') or ''} {plan['key']}：检查失败：{exc}") from exc
            fresh.add(i)
    out: list[tuple[dict[str, Any], int]] = []
    run_ids: dict[int, int] = {}
    # A run of the same kind with the same key stands (an explicit re-check, e.g. after a directive
    # was filed, still records its own run, from the kept result).
    to_save = [i for i in range(len(plans)) if i not in standing]
    if to_save:
        with store.transaction() as session:
            cache_results(session, [(keys[i][0], keys[i][1], results[i]) for i in to_save
                                    if i in fresh and results[i] is not None])
            runs: dict[int, Any] = {}
            for i in to_save:
                plan, key, data = plans[i], keys[i][0], results[i]
                assert data is not None
                runs[i] = save_check(
                    session,
                    kind=kind,
                    result=data,
                    plan_document_id=plan["id"],
                    directive_document_id=plan["parent"],
                    plan_key=plan["key"],
                    directive_key=plan.get("parent_key"),
                    district=plan.get("place"),
                    as_of=as_of,
                    result_key=key,
                    flush=False,
                )
            session.flush()  # every run and finding in a few INSERTs; the runs get their ids
            run_ids.update((i, run.id) for i, run in runs.items())
    for i, plan in enumerate(plans):
        data = results[i]
        assert data is not None
        out.append((data if i in standing else result_summary(data),
                    run_ids[i] if i in run_ids else newest[plan["id"]][0]))
    return out


def check_documents(
    plan_ref: str,
    against_ref: str | None,
    *,
    policy: Policy | None = None,
    policy_file: Path | None = None,
    db: str | None = None,
    store: Store | None = None,
    kind: str = "on_demand",
    as_of: date | None = None,
    save: bool = True,
    plan_by_number: bool = False,
) -> CheckResult:
    """`run_check` without the run id."""
    return run_check(plan_ref, against_ref, policy=policy, policy_file=policy_file, db=db, store=store, kind=kind,
                     as_of=as_of, save=save, plan_by_number=plan_by_number)[0]
