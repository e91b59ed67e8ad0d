"""Alert messages waiting to go out (the outbox) and what was sent to whom (the alert ledger).

A message is rendered once and stored as the exact bytes that go over SMTP, so a re-send after a
crash carries the same Message-ID and body. Status moves queued → sending → sent; a failed attempt
moves it to failed (retried on the next run); an unsent message replaced by a newer digest for the
same recipient becomes superseded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.orm import Mapped, Session, mapped_column

from store.base import Base

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
SUPERSEDED = "superseded"
# The recipient was refused for good (5xx) `max_refusals` times: never retried again.
REJECTED = "rejected"
STATUSES = (QUEUED, SENDING, SENT, FAILED, SUPERSEDED, REJECTED)


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    # SQLite hands DateTime(timezone=True) back naive; every stored time is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Unique: the Message-ID is derived from run date + recipient + content, so queueing the same
    # digest twice (a re-run on the same day) finds the row already there.
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    run_key: Mapped[str] = mapped_column(String(100), index=True)
    district: Mapped[str] = mapped_column(String(50), default="")
    recipient: Mapped[str] = mapped_column(String(320), index=True)  # the envelope address
    recipient_name: Mapped[str] = mapped_column(String(200), default="")
    sender: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    # [{"key": ..., "state": ...}]: what the ledger records once this message is sent.
    alerts: Mapped[list] = mapped_column(JSON, default=list)
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Permanent (5xx) refusals of the recipient so far; at the policy's limit the message is
    # 'rejected' and reported once to the district's 政务公开科 (reported_at).
    refusals: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:  # raw bytes would flood a log line
        return f"OutboxMessage(id={self.id}, message_id={self.message_id!r}, status={self.status!r})"


class AlertLedger(Base):
    __tablename__ = "alert_ledger"
    __table_args__ = (UniqueConstraint("key", "recipient", name="uq_alert_key_recipient"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(500), index=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    state: Mapped[str] = mapped_column(String(30))
    first_sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The run date the last send was for: the repeat interval counts in run dates, so a re-run
    # with --as-of for an earlier day does not look "a week later".
    last_as_of: Mapped[date] = mapped_column(Date)
    message_id: Mapped[str] = mapped_column(String(250))


@dataclass(frozen=True)
class NewMessage:
    message_id: str
    run_key: str
    district: str
    recipient: str
    recipient_name: str
    sender: str
    subject: str
    raw: bytes
    alerts: list[dict]
    as_of: date


def add_message(session: Session, new: NewMessage) -> bool:
    """Queue `new` unless a message with its Message-ID exists already; True when added."""
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.message_id == new.message_id)):
        return False
    session.add(
        OutboxMessage(
            message_id=new.message_id,
            run_key=new.run_key,
            district=new.district,
            recipient=new.recipient,
            recipient_name=new.recipient_name,
            sender=new.sender,
            subject=new.subject,
            raw=new.raw,
            alerts=new.alerts,
            as_of=new.as_of,
            status=QUEUED,
            attempts=0,
            created_at=utcnow(),
        )
    )
    session.flush()
    return True


def add_messages(session: Session, news: Iterable[NewMessage]) -> tuple[int, int]:
    """`add_message` and `supersede_unsent` for a batch of digests (one per recipient), in a few
    statements: returns (newly queued, superseded)."""
    news = list(news)
    existing = existing_message_ids(session, [n.message_id for n in news])
    added: list[dict[str, Any]] = []
    now = utcnow()
    for new in news:
        if new.message_id in existing:
            continue
        existing.add(new.message_id)
        added.append(dict(
            message_id=new.message_id, run_key=new.run_key, district=new.district, recipient=new.recipient,
            recipient_name=new.recipient_name, sender=new.sender, subject=new.subject, raw=new.raw,
            alerts=new.alerts, as_of=new.as_of, status=QUEUED, attempts=0, created_at=now, refusals=0,
        ))
    if added:
        # One INSERT for the batch (ORM instances cost more to build and flush than the rows).
        session.execute(insert(cast(Table, OutboxMessage.__table__)), added)
    superseded = 0
    by_recipient: dict[str, set[str]] = {}
    for new in news:
        by_recipient.setdefault(new.recipient, set()).add(new.message_id)
    pairs = sorted(by_recipient.items())
    for start in range(0, len(pairs), 200):
        chunk = pairs[start : start + 200]
        keep = {m for _r, ids in chunk for m in ids}
        result = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.recipient.in_([r for r, _ids in chunk]),
                OutboxMessage.message_id.not_in(sorted(keep)),
                OutboxMessage.status.in_((QUEUED, FAILED)),
            )
            .values(status=SUPERSEDED, last_error="已被更新的提醒邮件取代")
            .execution_options(synchronize_session=False)
        )
        superseded += _rowcount(result)
    return len(added), superseded


def supersede_unsent(session: Session, recipient: str, keep_message_id: str) -> int:
    """Retire queued/failed messages to `recipient` other than `keep_message_id`: the new digest
    carries everything still current, so sending the old one too would say the same thing twice."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.recipient == recipient,
            OutboxMessage.message_id != keep_message_id,
            OutboxMessage.status.in_((QUEUED, FAILED)),
        )
        .values(status=SUPERSEDED, last_error="已被更新的提醒邮件取代")
    )
    return _rowcount(result)


def _deliverable(cutoff: datetime, *, not_claimed_by: Iterable[str] = ()):
    """Queued, failed, or 'sending' under a claim older than `cutoff`; with `not_claimed_by`,
    none of those whose last claim is one of these tokens."""
    condition = or_(
        OutboxMessage.status.in_((QUEUED, FAILED)),
        and_(OutboxMessage.status == SENDING, OutboxMessage.claimed_at <= cutoff),
    )
    tokens = sorted(set(not_claimed_by))
    if tokens:
        condition = and_(condition, or_(OutboxMessage.claimed_by.is_(None), OutboxMessage.claimed_by.not_in(tokens)))
    return condition


def deliverable_ids(
    session: Session, *, lease_seconds: float, recipients: Iterable[str] | None = None,
    now: datetime | None = None, run_key: str | None = None, not_tried_by: Iterable[str] = (),
) -> list[int]:
    """Messages a delivery run should try: queued, failed, and 'sending' ones whose claim is stale
    (left by a run that died between handing the message to the server and marking it sent).
    `run_key`: only that run's; `not_tried_by`: not those deliveries by these workers (claim
    tokens) claimed already (a pass after another of the same run does not try a failed message twice)."""
    cutoff = (now or utcnow()) - timedelta(seconds=lease_seconds)
    stmt = (select(OutboxMessage.id).where(_deliverable(cutoff, not_claimed_by=not_tried_by))
            .order_by(OutboxMessage.id))
    if recipients is not None:
        stmt = stmt.where(OutboxMessage.recipient.in_(sorted(set(recipients))))
    if run_key is not None:
        stmt = stmt.where(OutboxMessage.run_key == run_key)
    return list(session.scalars(stmt))


def held_elsewhere(session: Session, message_ids: Iterable[int], workers: Iterable[str]) -> int:
    """How many of `message_ids` a delivery other than `workers` (claim tokens) holds 'sending' now."""
    ids = sorted(set(message_ids))
    if not ids:
        return 0
    return int(session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.id.in_(ids), OutboxMessage.status == SENDING,
        OutboxMessage.claimed_by.not_in(sorted(set(workers))))) or 0)


def undelivered_count(session: Session, recipients: Iterable[str] | None = None) -> int:
    stmt = select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status.in_((QUEUED, SENDING, FAILED))
    )
    if recipients is not None:
        stmt = stmt.where(OutboxMessage.recipient.in_(sorted(set(recipients))))
    return int(session.scalar(stmt) or 0)


def claim(session: Session, message_id: int, worker: str, *, lease_seconds: float) -> OutboxMessage | None:
    """Mark the message 'sending' for `worker` and count the attempt about to be made; None when
    another run holds it. A conditional UPDATE, so two runs at once cannot both take one message.
    """
    now = utcnow()
    cutoff = now - timedelta(seconds=lease_seconds)
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _deliverable(cutoff))
        .values(status=SENDING, claimed_at=now, claimed_by=worker, attempts=OutboxMessage.attempts + 1)
    )
    if not _rowcount(result):
        return None
    return session.get(OutboxMessage, message_id)


@dataclass(frozen=True)
class Claimed:
    """A message claimed for sending, with what its claim replaced (to undo a claim never tried)."""

    id: int
    message_id: str
    sender: str
    recipient: str
    raw: bytes
    before: tuple[str, datetime | None, str | None, int]  # status, claimed_at, claimed_by, attempts


def claim_many(session: Session, message_ids: Iterable[int], worker: str, *, lease_seconds: float,
               spare: Iterable[str] = ()) -> list[Claimed]:
    """`claim` for a batch in one statement: the deliverable ones among `message_ids` are marked
    'sending' for `worker` (another run's fresh claims are left alone); returns them in id order.
    `spare`: claim tokens of deliveries running beside this one in the same run (its courier):
    what they claimed is theirs whatever the lease says, sent or failed by them, never taken over
    (with a short lease, or a send slower than it, both would send it; a message one of them failed
    is not tried twice in one run)."""
    ids = sorted(set(message_ids))
    if not ids:
        return []
    now = utcnow()
    cutoff = now - timedelta(seconds=lease_seconds)
    condition = _deliverable(cutoff, not_claimed_by=spare)
    before = {
        row.id: (row.status, row.claimed_at, row.claimed_by, row.attempts)
        for row in session.execute(
            select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.claimed_at, OutboxMessage.claimed_by,
                   OutboxMessage.attempts).where(OutboxMessage.id.in_(ids), condition)
        )
    }
    if not before:
        return []
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(sorted(before)), condition)
        .values(status=SENDING, claimed_at=now, claimed_by=worker, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.message_id, OutboxMessage.sender, OutboxMessage.recipient,
               OutboxMessage.raw)
        .where(OutboxMessage.id.in_(sorted(before)), OutboxMessage.claimed_by == worker,
               OutboxMessage.status == SENDING)
        .order_by(OutboxMessage.id)
    )
    return [Claimed(r.id, r.message_id, r.sender, r.recipient, r.raw, before[r.id]) for r in rows]


def release(session: Session, claimed: Iterable[Claimed], worker: str) -> None:
    """Undo the claims of messages this run claimed but never tried (delivery stopped early):
    each goes back exactly as it was, so the next run treats it as if this one never touched it."""
    for c in claimed:
        status, claimed_at, claimed_by, attempts = c.before
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == c.id, OutboxMessage.claimed_by == worker, OutboxMessage.status == SENDING)
            .values(status=status, claimed_at=claimed_at, claimed_by=claimed_by, attempts=attempts)
            .execution_options(synchronize_session=False)
        )


def record_retry(session: Session, message_id: int, error: str) -> None:
    """A failed attempt that will be retried in this run: note the error, count the next attempt,
    renew the claim (the message stays 'sending')."""
    message = session.get(OutboxMessage, message_id)
    if message is not None:
        message.attempts += 1
        message.last_error = error[:2000]
        message.claimed_at = utcnow()


def mark_sent(session: Session, message_id: int) -> OutboxMessage:
    """Mark sent and record every alert it carried in the ledger — in the caller's one transaction."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise LookupError(f"outbox message {message_id} not found")
    now = utcnow()
    message.status = SENT
    message.sent_at = now
    message.last_error = None
    # The message's ledger rows in one query; new ones are written at the commit in one flush.
    known = ledger_rows(session, [alert["key"] for alert in message.alerts or []])
    for alert in message.alerts or []:
        record_sent_alert(session, alert["key"], message.recipient, alert["state"], message.message_id,
                          as_of=message.as_of, when=now, known=known)
    return message


_LEDGER_FIELDS = ("key", "recipient", "state", "first_sent_at", "last_sent_at", "last_as_of", "message_id")


class _LedgerRow:
    """A ledger row as `mark_sent_many` handles it: read (with its id) or new (id None). A plain
    object: building and flushing thousands of ORM instances cost more than the statements."""

    __slots__ = ("id", *_LEDGER_FIELDS)

    def __init__(self, id: int | None = None, **values: Any) -> None:  # noqa: A002 - the column's name
        self.id = id
        for name, value in values.items():
            setattr(self, name, value)

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _LEDGER_FIELDS}


def mark_sent_many(session: Session, message_ids: Iterable[int]) -> list[int]:
    """`mark_sent` for several messages in the caller's one transaction: the messages are marked
    in one UPDATE, their ledger rows read in one query, the changed ones updated in one more and
    the new ones inserted in another. Returns the ids marked."""
    ids = list(message_ids)
    if not ids:
        return []
    table = cast(Table, OutboxMessage.__table__)
    rows = {r.id: r for r in session.execute(
        select(table.c.id, table.c.recipient, table.c.message_id, table.c.as_of, table.c.alerts)
        .where(table.c.id.in_(ids)))}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise LookupError(f"outbox messages {missing} not found")
    now = utcnow()
    session.execute(update(table).where(table.c.id.in_(ids)).values(status=SENT, sent_at=now, last_error=None))
    ledger = cast(Table, AlertLedger.__table__)
    keys = sorted({a["key"] for r in rows.values() for a in r.alerts or []})
    known: dict[tuple[str, str], Any] = {}
    for start in range(0, len(keys), 500):  # SQLite caps the bound parameters of one statement
        for row_id, *values in session.execute(select(ledger.c.id, *(ledger.c[name] for name in _LEDGER_FIELDS))
                                               .where(ledger.c.key.in_(keys[start : start + 500]))):
            fields = dict(zip(_LEDGER_FIELDS, values, strict=True))
            known[(fields["key"], fields["recipient"])] = _LedgerRow(row_id, **fields)
    new_rows: list[Any] = []
    touched: set[tuple[str, str]] = set()
    for message_id in ids:  # in sending order: a later message's state wins, as one by one
        row = rows[message_id]
        for alert in row.alerts or []:
            record_sent_alert(session, alert["key"], row.recipient, alert["state"], row.message_id,
                              as_of=row.as_of, when=now, known=known, new_rows=new_rows)
            touched.add((alert["key"], row.recipient))
    changed = [known[pair] for pair in sorted(touched) if known[pair].id is not None]
    if changed:
        # The rows already there in one executemany UPDATE (by id), same transaction.
        session.execute(
            update(ledger).where(ledger.c.id == bindparam("row_id")).values(
                state=bindparam("new_state"), last_sent_at=bindparam("new_sent_at"),
                last_as_of=bindparam("new_as_of"), message_id=bindparam("new_message_id")),
            [{"row_id": r.id, "new_state": r.state, "new_sent_at": r.last_sent_at, "new_as_of": r.last_as_of,
              "new_message_id": r.message_id} for r in changed])
    if new_rows:
        # New ledger rows in one INSERT (the ORM would flush them one by one): same transaction.
        session.execute(ledger.insert(), [r.values() for r in new_rows])
    return ids


def mark_failed(session: Session, message_id: int, error: str) -> None:
    message = session.get(OutboxMessage, message_id)
    if message is not None:
        message.status = FAILED
        message.last_error = error[:2000]


def record_refusal(session: Session, message_id: int, error: str, *, max_refusals: int) -> bool:
    """A permanent refusal of the recipient: failed (tried again next run) until the
    `max_refusals`-th, then rejected for good. True when this refusal rejected it."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        return False
    message.refusals = (message.refusals or 0) + 1
    message.last_error = error[:2000]
    message.status = REJECTED if message.refusals >= max_refusals else FAILED
    return message.status == REJECTED


def unreported_rejections(session: Session) -> list[OutboxMessage]:
    """Rejected messages nobody has been told about yet, oldest first."""
    return list(session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == REJECTED, OutboxMessage.reported_at.is_(None))
        .order_by(OutboxMessage.id)
    ))


def mark_reported(session: Session, message_id: int) -> None:
    message = session.get(OutboxMessage, message_id)
    if message is not None:
        message.reported_at = utcnow()


def record_sent_alert(
    session: Session, key: str, recipient: str, state: str, message_id: str, *, as_of: date,
    when: datetime | None = None, known: dict[tuple[str, str], Any] | None = None,
    new_rows: list[Any] | None = None,
) -> None:
    """Record that `recipient` was told about `key` in `state`. `known`: the ledger rows of these
    keys read beforehand (`ledger_rows`), kept up to date here, so recording a message's alerts
    asks the database nothing per alert."""
    when = when or utcnow()
    if known is None:
        row = session.scalar(select(AlertLedger).where(AlertLedger.key == key, AlertLedger.recipient == recipient))
    else:
        row = known.get((key, recipient))
    if row is None:
        if new_rows is not None and known is not None:
            pending = _LedgerRow(key=key, recipient=recipient, state=state, first_sent_at=when,
                                 last_sent_at=when, last_as_of=as_of, message_id=message_id)
            new_rows.append(pending)  # the caller inserts these in one statement
            known[(key, recipient)] = pending
            return
        row = AlertLedger(key=key, recipient=recipient, state=state, first_sent_at=when,
                          last_sent_at=when, last_as_of=as_of, message_id=message_id)
        session.add(row)
        if known is None:
            session.flush()
        else:
            known[(key, recipient)] = row
        return
    row.state = state
    row.last_sent_at = when
    row.last_as_of = max(as_of, row.last_as_of) if row.last_as_of else as_of
    row.message_id = message_id


def ledger_rows(session: Session, keys: Iterable[str]) -> dict[tuple[str, str], AlertLedger]:
    """Ledger rows for `keys`, by (key, recipient)."""
    wanted = sorted(set(keys))
    rows: dict[tuple[str, str], AlertLedger] = {}
    # Chunked: SQLite caps the number of bound parameters in one statement.
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        for row in session.scalars(select(AlertLedger).where(AlertLedger.key.in_(chunk))):
            rows[(row.key, row.recipient)] = row
    return rows


def ledger_view(session: Session, keys: Iterable[str]) -> dict[tuple[str, str], Any]:
    """`ledger_rows` as plain read-only rows (same attribute names), for planning a run."""
    table = cast(Table, AlertLedger.__table__)
    wanted = sorted(set(keys))
    rows: dict[tuple[str, str], Any] = {}
    for start in range(0, len(wanted), 500):
        for row in session.execute(select(table).where(table.c.key.in_(wanted[start:start + 500]))):
            rows[(row.key, row.recipient)] = row
    return rows


def in_flight_alerts(session: Session) -> dict[tuple[str, str], str]:
    """(alert key, recipient) → state for messages left 'sending': handed to the server or not,
    nobody knows, and the lease re-send will deliver exactly those bytes. A new digest must not
    carry the same alerts again under another Message-ID."""
    found: dict[tuple[str, str], str] = {}
    rows = session.execute(select(OutboxMessage.recipient, OutboxMessage.alerts).where(OutboxMessage.status == SENDING))
    for recipient, alerts in rows:
        for alert in alerts or []:
            found[(alert["key"], recipient)] = alert["state"]
    return found


def existing_message_ids(session: Session, message_ids: Iterable[str]) -> set[str]:
    wanted = sorted(set(message_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        found.update(session.scalars(select(OutboxMessage.message_id).where(OutboxMessage.message_id.in_(chunk))))
    return found


def list_messages(session: Session, *, status: str | None = None, limit: int = 100) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    return list(session.scalars(stmt))


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return {status: count for status, count in rows}


def get_message(session: Session, message_id: str) -> OutboxMessage | None:
    return session.scalar(select(OutboxMessage).where(OutboxMessage.message_id == message_id))


def _rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE touched (its result is a CursorResult)."""
    return cast(CursorResult[Any], result).rowcount or 0
