"""How the store names documents, without opening it (nor importing SQLAlchemy): a command
that is handed a file decides so, and rejects an unreadable one, before any database work."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from documents.model import Document

# A stored document named by its id: `#12` (a bare 12 may be a file of that name).
STORED_ID = re.compile(r"#(\d+)")


def document_key(doc: Document) -> str:
    """What identifies a document across versions: its 发文字号, else issuer, year and title."""
    if doc.doc_number:
        return doc.doc_number
    return f"{doc.issuer or doc.place or '?'}:{doc.year or '?'}:{doc.title}"
