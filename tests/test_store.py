"""The store on SQLite and on a real PostgreSQL server (the `store_url` fixture runs each test on
both; `pytest -m postgres` runs the PostgreSQL half): the schema through the Alembic migrations,
an upgrade that keeps rows, a whole nightly run, and the outbox's claims under concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, func, inspect, select, text

from notifications.transport import EmlFolderTransport
from pipeline import nightly as steps
from pipeline.alerts import current_policy
from pipeline.ingest import ingest_files
from pipeline.obligations import obligation_status, record_filing
from store import migrate
from store import outbox as outbox_store
from store.checks import CheckRun, FindingRecord
from store.db import Base, Store, open_store
from store.documents import DocumentRecord, find_document
from store.obligations import FilingRecord, ObligationRecord
from workdays.calendar import WorkdayCalendar

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
CITY = SAMPLES / "shanghai-2026-municipal-plan.txt"
CHANGNING = SAMPLES / "changning-2026-district-plan.txt"
JINGAN = SAMPLES / "jingan-2025-work-points.txt"
AS_OF = date(2026, 11, 22)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    for var in ("GONGKAI_SMTP_HOST", "GONGKAI_SMTP_CONFIG", "GONGKAI_POLICY", "GONGKAI_DB"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GONGKAI_OUTBOX", str(tmp_path / "outbox"))


def _message(message_id: str, recipient: str = "jyj@changning.example.gov.cn") -> outbox_store.NewMessage:
    return outbox_store.NewMessage(
        message_id=message_id, run_key="r1", district="长宁区", recipient=recipient, recipient_name="区教育局",
        sender="gongkai@localhost", subject="提醒", raw=b"Message-ID: <" + message_id.encode() + b">\r\n\r\nx",
        alerts=[{"key": f"k-{message_id}", "state": "overdue"}], as_of=AS_OF,
    )


# --------------------------------------------------------------------------- schema and migrations


def test_new_database_gets_the_newest_revision(store_url) -> None:
    store = open_store(store_url)
    try:
        with store.engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision() == "0004_obligation_derivations"
        tables = set(inspect(store.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        # Opening again is a no-op, not a second migration.
        open_store(store_url).dispose()
    finally:
        store.dispose()


def test_migrations_match_the_table_classes(store_url) -> None:
    # A column added to a table class without a revision in store/migrations/versions/ fails here.
    store = open_store(store_url)
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == []
    finally:
        store.dispose()


def _baseline_rows(engine) -> None:
    """Rows written the way the baseline schema (before revision 0002) stored them."""
    now = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO outbox_messages (message_id, run_key, district, recipient, recipient_name, sender, "
                 "subject, raw, alerts, as_of, status, attempts, created_at) VALUES (:m, 'r0', '长宁区', "
                 ":to, '区教育局', 'gongkai@localhost', '逾期提醒', :raw, '[]', :as_of, 'failed', 2, :now)"),
            {"m": "<old@gongkai>", "to": "jyj@changning.example.gov.cn", "raw": b"\x00raw bytes\xff",
             "as_of": date(2026, 11, 1), "now": now},
        )
        conn.execute(
            text("INSERT INTO alert_ledger (key, recipient, state, first_sent_at, last_sent_at, last_as_of, "
                 "message_id) VALUES ('obligation:x', 'jyj@changning.example.gov.cn', 'overdue', :now, :now, "
                 ":as_of, '<old@gongkai>')"),
            {"now": now, "as_of": date(2026, 11, 1)},
        )


def _assert_baseline_rows_kept(store: Store) -> None:
    with store.transaction() as session:
        message = outbox_store.get_message(session, "<old@gongkai>")
        assert message is not None
        assert (message.status, message.attempts, message.raw) == ("failed", 2, b"\x00raw bytes\xff")
        assert message.refusals == 0 and message.reported_at is None
        assert outbox_store.aware(message.created_at) == datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
        ledger = outbox_store.ledger_rows(session, ["obligation:x"])
        assert ledger[("obligation:x", "jyj@changning.example.gov.cn")].state == "overdue"
        # The upgraded table takes new rows with the new columns.
        assert outbox_store.add_message(session, _message("<new@gongkai>"))


def test_upgrade_from_the_baseline_keeps_rows(store_url) -> None:
    engine = create_engine(store_url)
    migrate.upgrade(engine, "0001")
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == "0001"
        assert "refusals" not in {c["name"] for c in inspect(conn).get_columns("outbox_messages")}
    _baseline_rows(engine)
    engine.dispose()
    store = open_store(store_url)
    try:
        with store.engine.connect() as conn:
            assert migrate.current_revision(conn) == "0004_obligation_derivations"
        _assert_baseline_rows_kept(store)
    finally:
        store.dispose()


def test_database_made_before_migrations_is_adopted(store_url) -> None:
    # What `create_all` left before Alembic: the baseline tables and no alembic_version.
    engine = create_engine(store_url)
    migrate.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    _baseline_rows(engine)
    engine.dispose()
    store = open_store(store_url)
    try:
        _assert_baseline_rows_kept(store)
    finally:
        store.dispose()


def test_processes_opening_a_new_database_at_once_do_not_collide(store_url) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_one() -> None:
        try:
            barrier.wait()
            open_store(store_url).dispose()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    engine = create_engine(store_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


# --------------------------------------------------------------------------- the store in use


def test_a_night_on_the_store(store_url, tmp_path) -> None:
    """Ingest, check, derive, file, alert and run again: every table family written and read back."""
    store = open_store(store_url)
    policy = current_policy()
    try:
        ingest_files(store, [CITY, CHANGNING, JINGAN])
        # The same file again is one record, not a second version.
        again = ingest_files(store, [CHANGNING])
        assert again[0].result.status == "unchanged"
        with store.transaction() as session:
            plan = find_document(session, "长府办〔2026〕8号")
            assert plan is not None and plan.place == "长宁区" and plan.issue_date == date(2026, 5, 8)
            assert plan.to_document().items and len(plan.items) == len(plan.to_document().items)

        folder = tmp_path / "outbox"
        first = steps.run_nightly(store, AS_OF, policy, transport=EmlFolderTransport(folder))
        assert not first["failed"]
        sent = first["alerts"]["sent"]
        assert sent > 0 and len(list(folder.glob("*.eml"))) == sent
        with store.transaction() as session:
            runs = session.scalars(select(CheckRun)).all()
            assert {r.district for r in runs} >= {"长宁区", "静安区"}
            assert session.scalar(select(func.count()).select_from(FindingRecord)) > 0
            assert session.scalar(select(func.count()).select_from(ObligationRecord)) > 0
            counts = outbox_store.count_by_status(session)
            assert counts.get(outbox_store.SENT) == sent and set(counts) == {outbox_store.SENT}
            message = outbox_store.list_messages(session, limit=1)[0]
            assert outbox_store.aware(message.sent_at).tzinfo is not None

        # The same night again: nothing new to say, nothing sent twice.
        second = steps.run_nightly(store, AS_OF, policy, transport=EmlFolderTransport(folder))
        assert second["alerts"]["sent"] == 0
        assert len(list(folder.glob("*.eml"))) == sent
        # A filing is stored and read back, and changes the unit's state.
        with store.transaction() as session:
            unit = session.scalars(select(ObligationRecord.unit).where(
                ObligationRecord.district == "长宁区", ObligationRecord.kind == "plan")
                .order_by(ObligationRecord.unit)).first()
        assert unit
        result = record_filing(store, "plan", unit, "长府办〔2026〕8号", filed_on=date(2026, 6, 20),
                               policy=policy, calendar=WorkdayCalendar())
        assert result.state in ("done_on_time", "done_late")
        with store.transaction() as session:
            assert session.scalar(select(func.count()).select_from(FilingRecord)) == 1
        filed = [s for s in obligation_status(store, AS_OF, "长宁区", unit, policy=policy) if s.kind == "plan"]
        assert filed and filed[0].filed_on == date(2026, 6, 20)

    finally:
        store.dispose()


def test_outbox_claim_is_exclusive_under_concurrency(store_url) -> None:
    store = open_store(store_url)
    try:
        with store.transaction() as session:
            for i in range(20):
                outbox_store.add_message(session, _message(f"<m{i}@gongkai>"))
            # Queueing the same Message-ID again finds it.
            assert not outbox_store.add_message(session, _message("<m0@gongkai>"))
        with store.transaction() as session:
            ids = outbox_store.deliverable_ids(session, lease_seconds=600)
        claimed: dict[str, list[int]] = {"a": [], "b": [], "c": []}
        barrier = threading.Barrier(len(claimed))

        def claimer(worker: str) -> None:
            barrier.wait()
            for row_id in ids:
                with store.transaction() as session:
                    if outbox_store.claim(session, row_id, worker, lease_seconds=600) is not None:
                        claimed[worker].append(row_id)

        threads = [threading.Thread(target=claimer, args=(w,)) for w in claimed]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        everything = sorted(i for got in claimed.values() for i in got)
        assert everything == sorted(ids)  # each message claimed by exactly one worker
        with store.transaction() as session:
            for row_id in ids:
                outbox_store.mark_sent(session, row_id)
        with store.transaction() as session:
            assert outbox_store.deliverable_ids(session, lease_seconds=0) == []
            assert len(outbox_store.ledger_rows(session, [f"k-<m{i}@gongkai>" for i in range(20)])) == 20
    finally:
        store.dispose()


def test_document_versions(store_url, tmp_path) -> None:
    store = open_store(store_url)
    try:
        ingest_files(store, [CHANGNING])
        changed = tmp_path / "changning.txt"
        changed.write_text(CHANGNING.read_text(encoding="utf-8").replace("做好政务公开专栏维护", "认真做好政务公开专栏维护", 1),
                           encoding="utf-8")
        result = ingest_files(store, [changed])[0].result
        assert result.status == "new_version"
        with store.transaction() as session:
            versions = session.scalars(select(DocumentRecord.version).where(
                DocumentRecord.doc_key == find_document(session, "长府办〔2026〕8号").doc_key)).all()
            assert sorted(versions) == [1, 2]
    finally:
        store.dispose()
