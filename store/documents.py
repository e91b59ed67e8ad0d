"""Ingested documents: one row per version of a document, with its items as rows too."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, defer, mapped_column, relationship

from documents.header import cited_place
from documents.model import Document, DocumentError
from store.base import Base
from store.names import STORED_ID, document_key


class DocumentRecord(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("doc_key", "version", name="uq_document_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # doc_key identifies "the same document" across versions: the 发文字号 when there is one.
    doc_key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    doc_number: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    year: Mapped[int | None] = mapped_column(Integer)
    place: Mapped[str | None] = mapped_column(String(50), index=True)
    level: Mapped[str] = mapped_column(String(20))
    issuer: Mapped[str | None] = mapped_column(String(200))
    issue_date: Mapped[date | None] = mapped_column(Date)
    layout: Mapped[str] = mapped_column(String(30))
    source_path: Mapped[str | None] = mapped_column(Text)
    is_draft: Mapped[bool] = mapped_column(default=False)
    parent_key: Mapped[str | None] = mapped_column(String(200))  # doc_key of its directive, when known
    data: Mapped[dict] = mapped_column(JSON)  # Document.to_dict()
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    items: Mapped[list[ItemRecord]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="ItemRecord.number"
    )

    def to_document(self) -> Document:
        return Document.from_dict(self.data)


class ItemRecord(Base):
    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_item_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    units: Mapped[list] = mapped_column(JSON)
    deadlines: Mapped[list] = mapped_column(JSON)

    document: Mapped[DocumentRecord] = relationship(back_populates="items")


@dataclass
class IngestResult:
    record_id: int
    doc_key: str
    version: int
    status: str  # new | unchanged | new_version


def save_document(
    session: Session, doc: Document, *, is_draft: bool = False, parent_key: str | None = None
) -> IngestResult:
    """Store `doc` unless this exact version is stored already; a changed text is a new version."""
    key = document_key(doc)
    versions = session.scalars(
        select(DocumentRecord).where(DocumentRecord.doc_key == key).order_by(DocumentRecord.version)
    ).all()
    for record in versions:
        if record.content_hash == doc.content_hash:
            if record.is_draft and not is_draft:
                record.is_draft = False  # the draft was issued as it stood
            if parent_key and not record.parent_key:
                record.parent_key = parent_key
            return IngestResult(record.id, key, record.version, "unchanged")
    if versions and (versions[-1].place, versions[-1].level) != (doc.place, doc.level):
        raise DocumentError(
            doc.source_path,
            f"发文字号{key}已属于另一份文件（{versions[-1].place}，{versions[-1].title}），未入库 (document number clash)",
        )
    version = (versions[-1].version + 1) if versions else 1
    data = doc.to_dict()
    record = DocumentRecord(
        doc_key=key,
        version=version,
        content_hash=doc.content_hash or "",
        doc_number=doc.doc_number,
        title=doc.title,
        year=doc.year,
        place=doc.place,
        level=doc.level,
        issuer=doc.issuer,
        issue_date=doc.issue_date,
        layout=doc.layout,
        source_path=doc.source_path,
        is_draft=is_draft,
        parent_key=parent_key,
        data=data,
        ingested_at=datetime.now(UTC),
    )
    for item in data["items"]:
        record.items.append(
            ItemRecord(
                number=item["number"],
                section=" / ".join(item["section_path"]),
                text=item["text"],
                units=item["units"],
                deadlines=item["deadlines"],
            )
        )
    session.add(record)
    session.flush()
    return IngestResult(record.id, key, version, "new" if version == 1 else "new_version")


def latest_documents(session: Session, *, include_drafts: bool = False, with_data: bool = True,
                     doc_keys: Collection[str] | None = None) -> list[DocumentRecord]:
    """The newest version of every stored document, or of those named in `doc_keys`
    (`with_data=False`: the parsed content is read only when a record's `data` is first used, for
    callers that skip most records)."""
    stmt = select(DocumentRecord).order_by(DocumentRecord.doc_key, DocumentRecord.version)
    if doc_keys is not None:
        if not doc_keys:
            return []
        if len(doc_keys) <= 500:  # by name; a longer list is filtered below
            stmt = stmt.where(DocumentRecord.doc_key.in_(sorted(set(doc_keys))))
    if not with_data:
        stmt = stmt.options(defer(DocumentRecord.data))
    records = session.scalars(stmt)
    latest: dict[str, DocumentRecord] = {}
    for record in records:
        if record.is_draft and not include_drafts:
            continue
        if doc_keys is not None and record.doc_key not in doc_keys:
            continue
        latest[record.doc_key] = record
    return list(latest.values())


def find_document(session: Session, ref: str, *, include_drafts: bool = True) -> DocumentRecord | None:
    """The newest version by 发文字号 / doc key (issued versions only unless `include_drafts`), or
    the record `#12` names by its id."""
    stmt = select(DocumentRecord).where(DocumentRecord.doc_key == ref).order_by(DocumentRecord.version.desc())
    if not include_drafts:
        stmt = stmt.where(DocumentRecord.is_draft.is_(False))
    record = session.scalars(stmt).first()
    stored_id = STORED_ID.fullmatch(ref.strip())
    if record is None and stored_id:
        record = session.get(DocumentRecord, int(stored_id.group(1)))
    return record


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


def stored_plans(session: Session) -> list[DocumentRecord]:
    """Every stored plan below the city level (the nightly run checks each)."""
    return [r for r in latest_documents(session) if r.level in ("district", "unit")]


def plan_heads(session: Session) -> list[dict[str, Any]]:
    """Every stored plan below the city level, as `stored_plans` gives them, with its parent as
    `find_parent` finds it — read without the documents' content (the nightly run needs only their
    ids and hashes to tell what changed), in one query."""
    columns = (DocumentRecord.id, DocumentRecord.doc_key, DocumentRecord.version, DocumentRecord.content_hash,
               DocumentRecord.title, DocumentRecord.level, DocumentRecord.year, DocumentRecord.place,
               DocumentRecord.issue_date, DocumentRecord.is_draft)
    newest: dict[str, Any] = {}
    for row in session.execute(select(*columns).order_by(DocumentRecord.doc_key, DocumentRecord.version)):
        if not row.is_draft:
            newest[row.doc_key] = row
    candidates: dict[tuple[str, int | None, str | None], list[Any]] = {}
    for row in newest.values():
        if row.level in ("municipal", "district"):
            candidates.setdefault((row.level, row.year, row.place if row.level == "district" else None), []).append(row)
    heads = []
    for row in newest.values():
        if row.level not in ("district", "unit"):
            continue
        parent = None
        if row.year is not None:
            wanted = ("municipal", row.year, None) if row.level == "district" else ("district", row.year, row.place)
            fitting = [c for c in candidates.get(wanted, [])
                       if not row.issue_date or not c.issue_date or c.issue_date <= row.issue_date]
            parent = max(fitting, key=lambda c: (c.issue_date or date.min, c.id), default=None)
        heads.append({
            "id": row.id, "key": row.doc_key, "title": row.title, "level": row.level, "place": row.place,
            "content_hash": row.content_hash,
            "parent": parent.id if parent is not None else None,
            "parent_key": parent.doc_key if parent is not None else None,
            "parent_hash": parent.content_hash if parent is not None else None,
        })
    return heads
