"""What each unit owes over the year, what it filed, and the events that open relative duties.

Three tables:

- ``obligations``: one row per duty of one unit under one plan (its own annual plan, a quarterly
  report, an item's deadline …). ``obligation_key`` is built from the plan's doc key, the unit,
  the kind, the item and the period, so deriving the obligations of a plan again (after the
  plan was ingested again, or every night) updates rows in place instead of adding new ones.
  A duty that a newer version of the plan no longer contains is retired (``active`` false),
  never deleted, so nothing filed against it is lost.
- ``filings``: what a unit filed (its plan, a report, the completion of an item). A filing
  carries the obligation key it answers and the parts the key is made of, so it attaches to
  the obligation whenever that is (re)derived, before or after the filing.
- ``obligation_events``: events that open event-relative duties (决策出台 …), per unit.
- ``obligation_derivations``: per plan, the hash of everything its last derivation read (the
  plan's content, registry, policy, calendar, events, the filing that names its unit, the rules'
  version) with what it reported, so a night re-derives only the plans whose inputs changed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base

KINDS = ("plan", "report", "item", "yearly", "next_year", "event")
# Kinds a unit files once per plan or per period, whichever item asked for them: the item
# number is left out of their key so two items asking for the same report do not double it.
PER_PLAN_KINDS = ("plan", "report")
FILING_KINDS = ("plan", "report", "done")


class ObligationRecord(Base):
    __tablename__ = "obligations"
    # A filing looks up one unit's duties under one plan.
    __table_args__ = (Index("ix_obligations_doc_unit", "doc_key", "unit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    obligation_key: Mapped[str] = mapped_column(String(500), unique=True)
    doc_key: Mapped[str] = mapped_column(String(200), index=True)
    # The version of the plan the row was last derived from.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    doc_number: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500), default="")
    district: Mapped[str | None] = mapped_column(String(50), index=True)
    unit: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # The item the duty comes from (for plan/report too, though their key leaves it out).
    item: Mapped[int | None] = mapped_column(Integer)
    period: Mapped[str | None] = mapped_column(String(20))  # 2025Q3 | 2025 | 2025-09-26 (event day)
    due: Mapped[date | None] = mapped_column(Date, index=True)  # None: event duty not yet opened
    issued_on: Mapped[date | None] = mapped_column(Date)  # the plan's issue date (time travel)
    opened_on: Mapped[date | None] = mapped_column(Date)  # event duties: the day the event occurred
    phrase: Mapped[str] = mapped_column(Text, default="")  # the deadline as written
    lead_units: Mapped[list] = mapped_column(JSON, default=list)
    action: Mapped[str] = mapped_column(Text, default="")  # Chinese: what to do
    summary: Mapped[str] = mapped_column(Text, default="")  # the item text, shortened
    event: Mapped[str | None] = mapped_column(String(100))
    calendar_note: Mapped[str | None] = mapped_column(Text)  # set when the due date used a fallback
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FilingRecord(Base):
    __tablename__ = "filings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    obligation_key: Mapped[str] = mapped_column(String(500), index=True)
    doc_key: Mapped[str] = mapped_column(String(200), index=True)
    unit: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # plan | report | done
    item: Mapped[int | None] = mapped_column(Integer)
    period: Mapped[str | None] = mapped_column(String(20))
    filed_on: Mapped[date] = mapped_column(Date)
    path: Mapped[str | None] = mapped_column(Text)
    # A filed unit plan is stored as a document and checked against the district plan.
    document_key: Mapped[str | None] = mapped_column(String(200), index=True)
    check_run_id: Mapped[int | None] = mapped_column(ForeignKey("check_runs.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EventRecord(Base):
    __tablename__ = "obligation_events"
    __table_args__ = (UniqueConstraint("doc_key", "item", "unit", "occurred_on", name="uq_obligation_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doc_key: Mapped[str] = mapped_column(String(200), index=True)
    item: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(100))
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DerivationRecord(Base):
    """The inputs' hash of a plan's last derivation and what it reported (see module doc)."""

    __tablename__ = "obligation_derivations"

    doc_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    document_id: Mapped[int | None] = mapped_column(Integer)
    district: Mapped[str | None] = mapped_column(String(50))
    unit: Mapped[str | None] = mapped_column(String(200))
    obligations: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    derived_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# Up to this many document keys are asked for by name; more, and everything is read (one query).
FEW_KEYS = 500


def _few(doc_keys: Collection[str] | None) -> list[str] | None:
    return sorted(set(doc_keys)) if doc_keys is not None and len(doc_keys) <= FEW_KEYS else None


def derivation_keys(session: Session, doc_keys: Collection[str] | None = None) -> dict[str, DerivationRecord]:
    """doc key → its last derivation's record (of `doc_keys` when given; more may come back), in
    one query."""
    stmt = select(DerivationRecord)
    if (few := _few(doc_keys)) is not None:
        stmt = stmt.where(DerivationRecord.doc_key.in_(few))
    return {r.doc_key: r for r in session.scalars(stmt)}


def save_derivation(session: Session, doc_key: str, key: str, *, document_id: int | None, district: str | None,
                    unit: str | None, obligations: int, warnings: list[str]) -> None:
    """Record (or replace) the inputs' hash of `doc_key`'s derivation and what it reported."""
    record = session.get(DerivationRecord, doc_key)
    if record is None:
        record = DerivationRecord(doc_key=doc_key)
        session.add(record)
    record.key = key
    record.document_id = document_id
    record.district = district
    record.unit = unit
    record.obligations = obligations
    record.warnings = list(warnings)
    record.derived_at = datetime.now(UTC)


def events_by_plan(session: Session, doc_keys: Collection[str] | None = None) -> dict[str, list[EventRecord]]:
    """doc key → its recorded events (in `events_for`'s order; of `doc_keys` when given, more may
    come back), in one query."""
    out: dict[str, list[EventRecord]] = {}
    stmt = select(EventRecord)
    if (few := _few(doc_keys)) is not None:
        stmt = stmt.where(EventRecord.doc_key.in_(few))
    for record in session.scalars(stmt.order_by(EventRecord.occurred_on, EventRecord.id)):
        out.setdefault(record.doc_key, []).append(record)
    return out


# Columns a derivation sets; everything else (id, created_at, active) is the store's business.
DERIVED_COLUMNS = (
    "doc_key", "document_id", "doc_number", "title", "district", "unit", "kind", "item", "period", "due",
    "issued_on", "opened_on", "phrase", "lead_units", "action", "summary", "event", "calendar_note",
)


@dataclass
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    restored: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.retired += other.retired
        self.restored += other.restored


def upsert_obligations(session: Session, doc_key: str, rows: Iterable[dict[str, Any]]) -> UpsertCounts:
    """Make the stored obligations of `doc_key` equal to `rows` (dicts of DERIVED_COLUMNS plus
    ``obligation_key``): insert new keys, update changed rows, retire keys no longer derived."""
    now = datetime.now(UTC)
    counts = UpsertCounts()
    table = cast(Table, ObligationRecord.__table__)
    # Plain rows, not ORM objects: a city's plans derive tens of thousands of obligations each
    # night and only the changed ones are written back.
    existing = {
        r.obligation_key: r
        for r in session.execute(
            select(table.c.id, table.c.obligation_key, table.c.active, *(table.c[c] for c in DERIVED_COLUMNS))
            .where(table.c.doc_key == doc_key)
        )
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in rows:
        key = row["obligation_key"]
        if key in seen:
            continue
        seen.add(key)
        record = existing.get(key)
        values = {c: row.get(c) for c in DERIVED_COLUMNS}
        if record is None:
            inserts.append({**values, "obligation_key": key, "active": True, "created_at": now, "updated_at": now})
            counts.new += 1
            continue
        stored = record._mapping
        changed = {c: v for c, v in values.items() if stored[c] != v}
        if not record.active:
            changed["active"] = True
            counts.restored += 1
        if changed:
            updates.append({"id": record.id, **changed, "updated_at": now})
            counts.updated += 1
        else:
            counts.unchanged += 1
    for key, record in existing.items():
        if key not in seen and record.active:
            updates.append({"id": record.id, "active": False, "updated_at": now})
            counts.retired += 1
    if inserts:
        session.execute(table.insert(), inserts)
    if updates:
        session.execute(update(ObligationRecord), updates)
        # Bulk statements bypass the identity map: reload any row a caller already holds.
        session.expire_all()
    session.flush()
    return counts


def list_obligations(
    session: Session,
    *,
    doc_key: str | None = None,
    district: str | None = None,
    units: Iterable[str] | None = None,
    include_retired: bool = False,
) -> list[ObligationRecord]:
    """Stored obligations, by district, unit, due date (undated last) and key."""
    stmt = select(ObligationRecord)
    if not include_retired:
        stmt = stmt.where(ObligationRecord.active.is_(True))
    if doc_key is not None:
        stmt = stmt.where(ObligationRecord.doc_key == doc_key)
    if district is not None:
        stmt = stmt.where(ObligationRecord.district == district)
    if units is not None:
        stmt = stmt.where(ObligationRecord.unit.in_(list(units)))
    stmt = stmt.order_by(
        ObligationRecord.district, ObligationRecord.unit, ObligationRecord.due.is_(None), ObligationRecord.due,
        ObligationRecord.obligation_key,
    )
    return list(session.scalars(stmt))


def obligation_rows(
    session: Session,
    *,
    doc_key: str | None = None,
    district: str | None = None,
    units: Iterable[str] | None = None,
) -> list[Any]:
    """`list_obligations` (active ones) as plain rows with the same attribute names, for readers
    that only read them: no ORM objects for the tens of thousands a city's night evaluates, and
    plain attributes (a night reads two dozen of each row; a SQLAlchemy Row looks each one up)."""
    table = cast(Table, ObligationRecord.__table__)
    stmt = select(table).where(table.c.active.is_(True))
    if doc_key is not None:
        stmt = stmt.where(table.c.doc_key == doc_key)
    if district is not None:
        stmt = stmt.where(table.c.district == district)
    if units is not None:
        stmt = stmt.where(table.c.unit.in_(list(units)))
    stmt = stmt.order_by(table.c.district, table.c.unit, table.c.due.is_(None), table.c.due, table.c.obligation_key)
    result = session.execute(stmt)
    names = list(result.keys())  # once: a row's own mapping builds its keys afresh each time
    return [SimpleNamespace(**dict(zip(names, row, strict=True))) for row in result]


def derived_document_ids(session: Session, doc_key: str | None = None) -> dict[str, int | None]:
    """doc key → the document id its active obligations were derived from."""
    stmt = (
        select(ObligationRecord.doc_key, func.max(ObligationRecord.document_id))
        .where(ObligationRecord.active.is_(True))
        .group_by(ObligationRecord.doc_key)
    )
    if doc_key is not None:
        stmt = stmt.where(ObligationRecord.doc_key == doc_key)
    return {k: v for k, v in session.execute(stmt)}


def has_obligations(session: Session, doc_key: str, unit: str) -> bool:
    """Whether `unit` (exactly as stored) owes anything under `doc_key`."""
    stmt = select(ObligationRecord.id).where(
        ObligationRecord.doc_key == doc_key, ObligationRecord.unit == unit, ObligationRecord.active.is_(True)
    )
    return session.scalars(stmt.limit(1)).first() is not None


def add_filing(
    session: Session,
    *,
    doc_key: str,
    unit: str,
    kind: str,
    obligation_key: str,
    filed_on: date,
    item: int | None = None,
    period: str | None = None,
    path: str | None = None,
    document_key: str | None = None,
    check_run_id: int | None = None,
    note: str | None = None,
) -> FilingRecord:
    if kind not in FILING_KINDS:
        raise ValueError(f"报送类型应为 {'、'.join(FILING_KINDS)} 之一，收到 {kind!r}")
    record = FilingRecord(
        obligation_key=obligation_key,
        doc_key=doc_key,
        unit=unit,
        kind=kind,
        item=item,
        period=period,
        filed_on=filed_on,
        path=path,
        document_key=document_key,
        check_run_id=check_run_id,
        note=note,
        created_at=datetime.now(UTC),
    )
    session.add(record)
    session.flush()
    return record


def first_filings(
    session: Session, *, as_of: date | None = None, keys: Iterable[str] | None = None
) -> dict[str, date]:
    """obligation key → the earliest filing date (on or before `as_of`: later filings did not
    exist yet on that day, which is what makes --as-of a faithful look back)."""
    stmt = select(FilingRecord.obligation_key, func.min(FilingRecord.filed_on)).group_by(FilingRecord.obligation_key)
    if as_of is not None:
        stmt = stmt.where(FilingRecord.filed_on <= as_of)
    if keys is not None:
        keys = list(keys)
        if len(keys) <= 500:  # a long IN list costs more than reading every filing
            stmt = stmt.where(FilingRecord.obligation_key.in_(keys))
    return {k: v for k, v in session.execute(stmt)}


def filings_for(session: Session, obligation_key: str) -> list[FilingRecord]:
    stmt = select(FilingRecord).where(FilingRecord.obligation_key == obligation_key).order_by(
        FilingRecord.filed_on, FilingRecord.id
    )
    return list(session.scalars(stmt))


def list_filings(session: Session, *, doc_key: str | None = None, unit: str | None = None) -> list[FilingRecord]:
    stmt = select(FilingRecord).order_by(FilingRecord.filed_on, FilingRecord.id)
    if doc_key is not None:
        stmt = stmt.where(FilingRecord.doc_key == doc_key)
    if unit is not None:
        stmt = stmt.where(FilingRecord.unit == unit)
    return list(session.scalars(stmt))


def unit_plan_filings(session: Session, doc_keys: Collection[str] | None = None) -> dict[str, FilingRecord]:
    """Stored unit plan document key → the plan filing that brought it in (the latest one; of
    `doc_keys` when given, more may come back)."""
    stmt = (
        select(FilingRecord)
        .where(FilingRecord.kind == "plan", FilingRecord.document_key.is_not(None))
        .order_by(FilingRecord.id)
    )
    if (few := _few(doc_keys)) is not None:
        stmt = stmt.where(FilingRecord.document_key.in_(few))
    return {r.document_key: r for r in session.scalars(stmt) if r.document_key is not None}


def add_event(
    session: Session, *, doc_key: str, item: int, unit: str, event: str, occurred_on: date, note: str | None = None
) -> tuple[EventRecord, bool]:
    """Record that `event` occurred for `unit` under item `item`; (record, created). Recording
    the same event on the same day again returns the stored one."""
    stmt = select(EventRecord).where(
        EventRecord.doc_key == doc_key,
        EventRecord.item == item,
        EventRecord.unit == unit,
        EventRecord.occurred_on == occurred_on,
    )
    record = session.scalars(stmt).first()
    if record is not None:
        return record, False
    record = EventRecord(
        doc_key=doc_key, item=item, unit=unit, event=event, occurred_on=occurred_on, note=note,
        created_at=datetime.now(UTC),
    )
    session.add(record)
    session.flush()
    return record, True


def events_for(session: Session, doc_key: str) -> list[EventRecord]:
    stmt = select(EventRecord).where(EventRecord.doc_key == doc_key).order_by(EventRecord.occurred_on, EventRecord.id)
    return list(session.scalars(stmt))


def plan_years(session: Session, doc_keys: Iterable[str]) -> dict[str, int | None]:
    """doc key → the year of the plan its active obligations were derived from."""
    from store.documents import DocumentRecord

    ids = derived_document_ids(session)
    wanted = {k: ids.get(k) for k in dict.fromkeys(doc_keys)}
    found = {
        r.id: r.year
        for r in session.execute(
            select(DocumentRecord.id, DocumentRecord.year).where(
                DocumentRecord.id.in_([i for i in wanted.values() if i is not None])
            )
        )
    }
    return {k: found.get(i) if i is not None else None for k, i in wanted.items()}
