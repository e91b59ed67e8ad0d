"""A nightly run, five draft submissions and twenty filings at once, on SQLite (WAL, busy timeout)
and on PostgreSQL: no `database is locked`, no lost filing, no duplicate mail, and no check run
seen half written by a reader polling while they run."""

from __future__ import annotations

import threading
import time
import traceback
from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from pipeline import filings
from pipeline import nightly as steps
from pipeline.alerts import current_policy
from pipeline.ingest import ingest_files
from pipeline.obligations import derive_obligations, record_filing
from store.checks import CheckRun, FindingRecord
from store.db import Store, open_store
from store.obligations import FilingRecord, ObligationRecord
from tests.drafts import make_draft
from workdays.calendar import WorkdayCalendar

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
CITY = SAMPLES / "shanghai-2026-municipal-plan.txt"
CHANGNING = SAMPLES / "changning-2026-district-plan.txt"
CHANGNING_KEY = "长府办〔2026〕8号"
AS_OF = date(2026, 11, 22)


class CountingTransport:
    """Records every hand-over, so a message sent twice is seen twice (an .eml folder would not)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def describe(self) -> str:
        return "计数"

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def send(self, raw: bytes, sender: str, recipients: list[str]) -> None:
        message_id = next(line for line in raw.decode("ascii", "replace").splitlines()
                          if line.lower().startswith("message-id:")).split(":", 1)[1].strip()
        with self._lock:
            self.sent.extend((message_id, r) for r in recipients)


def test_night_drafts_and_filings_at_once(store_url, tmp_path, monkeypatch) -> None:
    for var in ("GONGKAI_SMTP_HOST", "GONGKAI_SMTP_CONFIG", "GONGKAI_POLICY", "GONGKAI_DB"):
        monkeypatch.delenv(var, raising=False)
    policy = current_policy()
    setup = open_store(store_url)
    ingest_files(setup, [CITY, CHANGNING])
    derive_obligations(setup, AS_OF, policy=policy, calendar=WorkdayCalendar())
    with setup.transaction() as session:
        units = sorted(set(session.scalars(select(ObligationRecord.unit).where(
            ObligationRecord.doc_key == CHANGNING_KEY, ObligationRecord.kind == "plan"))))
    setup.dispose()
    assert len(units) >= 20, units
    units = units[:20]
    drafts = [make_draft(CHANGNING, tmp_path / f"draft-{i}.txt", delete=(i + 3,)) for i in range(5)]

    transport = CountingTransport()
    errors: list[str] = []
    done = threading.Event()
    half_visible: list[str] = []
    barrier = threading.Barrier(1 + len(drafts) + len(units))

    def job(work) -> None:
        # Each job opens its own store (own engine and connections), as a separate process would.
        store = Store(open_store(store_url).url)
        try:
            barrier.wait()
            work(store)
        except BaseException:  # noqa: BLE001 - every failure is reported by the test
            errors.append(traceback.format_exc())
        finally:
            store.dispose()

    def night(store: Store) -> None:
        summary = steps.run_nightly(store, AS_OF, policy, transport=transport)
        assert not summary["failed"], summary["failed"]

    def submit(path: Path):
        return lambda store: filings.check_filing(store, str(path), AS_OF, policy)

    def file(unit: str):
        return lambda store: record_filing(store, "plan", unit, CHANGNING_KEY, filed_on=date(2026, 6, 20),
                                           policy=policy, calendar=WorkdayCalendar())

    def reader() -> None:
        # A check run's findings are committed with it: a reader sees all of them or no run.
        store = open_store(store_url)
        try:
            while not done.is_set():
                with store.transaction() as session:
                    rows = session.execute(
                        select(CheckRun.id, CheckRun.counts, func.count(FindingRecord.id))
                        .outerjoin(FindingRecord, FindingRecord.run_id == CheckRun.id).group_by(CheckRun.id)
                    ).all()
                for run_id, counts, found in rows:
                    if sum(counts.values()) != found:
                        half_visible.append(f"run {run_id}: {found} of {sum(counts.values())} findings")
                time.sleep(0.05)
        except BaseException:  # noqa: BLE001
            errors.append(traceback.format_exc())
        finally:
            store.dispose()

    threads = [threading.Thread(target=job, args=(night,))]
    threads += [threading.Thread(target=job, args=(submit(p),)) for p in drafts]
    threads += [threading.Thread(target=job, args=(file(u),)) for u in units]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    watcher.join()

    assert not any("database is locked" in e for e in errors), errors
    assert errors == [], "\n".join(e[-1500:] for e in errors)
    assert half_visible == []
    store = open_store(store_url)
    try:
        with store.transaction() as session:
            filed = session.scalars(select(FilingRecord.unit)).all()
            assert sorted(filed) == units  # every filing stored, none twice
            drafts_runs = session.scalar(select(func.count()).select_from(CheckRun).where(CheckRun.kind == "draft"))
            assert drafts_runs == len(drafts)
        # No message handed over twice, and one digest per recipient in this night.
        assert transport.sent, "the night sends reminders"
        assert max(Counter(transport.sent).values()) == 1
        assert max(Counter(r for _m, r in transport.sent).values()) == 1
        # A second night sends what the filings changed, never the same Message-ID again.
        again = CountingTransport()
        steps.run_nightly(store, AS_OF, policy, transport=again)
        assert not set(again.sent) & set(transport.sent)
    finally:
        store.dispose()
