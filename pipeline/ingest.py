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
                return [
                    IngestSummary(path=path, document=doc, result=save_document(session, doc, is_draft=is_draft))
                    for path, doc in parsed
                ]
        except IntegrityError:
            # Another filing stored a version of the same document between our read and write
            # (drafts of one plan submitted at once): read the versions again and number after it.
            if attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0.01, 0.1))
    raise AssertionError("unreachable")


def ingest_document(store: Store, doc: Document, *, path: str = "", is_draft: bool = False) -> IngestSummary:
    """Store one parsed document in its own transaction."""
    with store.transaction() as session:
        result = save_document(session, doc, is_draft=is_draft)
    return IngestSummary(path=path or (doc.source_path or ""), document=doc, result=result)
