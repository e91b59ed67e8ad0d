"""Read files into Documents and store them: all files are parsed before anything is written."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from documents.model import Document
from documents.parser import parse_file
from store.db import Store
from store.documents import IngestResult, save_document


@dataclass
class IngestSummary:
    path: str
    document: Document
    result: IngestResult


def ingest_files(store: Store, paths: list[Path] | list[str], *, is_draft: bool = False) -> list[IngestSummary]:
    """Parse every file (raising DocumentError on the first bad one, before any write), then
    store them all in one transaction: a batch is stored whole or not at all."""
    parsed = [(str(p), parse_file(p)) for p in paths]
    attempts = 10
    for attempt in range(attempts):
        try:
            with store.transaction() as session:
                stored = [
                    IngestSummary(path=path, document=doc, result=save_document(session, doc, is_draft=is_draft))
                    for path, doc in parsed
                ]
            break
        except IntegrityError:
            # Another filing stored a version of the same document between our read and write
            # (drafts of one plan submitted at once): read the versions again and number after it.
            if attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0.01, 0.1))
    else:
        raise AssertionError("unreachable")
    if not is_draft:  # a draft owes nothing: the issued version's duties stand as they are
        rederive(store, [s.result.doc_key for s in stored if s.document.level in ("district", "unit")])
    return stored


def rederive(store: Store, doc_keys: list[str]) -> None:
    """What is owed follows every change: a plan stored (or a new version of it) derives its
    obligations at once, so `status`, `alerts` and `nightly` never depend on an earlier command.
    Drafts owe nothing (derivation skips them)."""
    if not doc_keys:
        return
    from pipeline.obligations import derive_obligations  # the rule engine, only when a plan came in

    derive_obligations(store, doc_keys=list(dict.fromkeys(doc_keys)))


def ingest_document(store: Store, doc: Document, *, path: str = "", is_draft: bool = False) -> IngestSummary:
    """Store one parsed document in its own transaction."""
    with store.transaction() as session:
        result = save_document(session, doc, is_draft=is_draft)
    if doc.level in ("district", "unit") and not is_draft:
        rederive(store, [result.doc_key])
    return IngestSummary(path=path or (doc.source_path or ""), document=doc, result=result)
