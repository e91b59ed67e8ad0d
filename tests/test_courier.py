"""Delivery by a courier process while the alert run builds (notifications/courier.py), against a
real aiosmtpd server: the same digests go out, each once, as when one process does everything;
an older undelivered digest is superseded, not sent; a courier killed mid-delivery loses nothing
and the next run re-sends only what it held, with the same Message-IDs; a courier does not
outlive its run."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from benchmarks.nightly import unit_names
from notifications import courier as courier_module
from notifications.courier import PROCESSES_ENV, Courier, courier_wanted
from notifications.entries import AlertEntry
from notifications.outbox import DELIVERY_BATCH, send_alerts
from notifications.transport import SmtpSettings, SmtpTransport
from offices.registry import load_registry
from store import outbox as outbox_store
from store.db import open_store
from tests.smtp_server import SmtpTestServer

pytestmark = pytest.mark.integration

AS_OF = date(2026, 6, 10)
DISTRICT = "普陀区"
SECTION = "gk@pt.gov.test"
UNITS = unit_names(72)  # 72 offices: one batch, a partial one, then the 政务公开科's digest
POLICY = {"retry_backoff_seconds": [0], "max_send_attempts": 2}


@pytest.fixture
def registries(tmp_path):
    lines = [f"district: {DISTRICT}", "level: district", "offices:",
             f"  - {{name: 区政府办公室政务公开科, kind: section, email: {SECTION}, is_transparency_section: true}}"]
    lines += [f"  - {{name: {name}, kind: department, email: u{n:03d}@pt.gov.test}}" for n, name in enumerate(UNITS)]
    path = tmp_path / "putuo.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {DISTRICT: load_registry(path)}


def city_entries(as_of: date = AS_OF) -> list[AlertEntry]:
    """Two obligations per office, one due soon and one overdue, of a district plan."""
    entries = []
    for n, unit in enumerate(UNITS):
        for k, (state, due) in enumerate((("due_soon", date(2026, 6, 30)), ("overdue", date(2026, 6, 5)))):
            entries.append(AlertEntry(
                key=f"obligation:{n}:{k}", kind="obligation", state=state, district=DISTRICT, units=(unit,),
                document="普陀区2026年政务公开工作要点", doc_number="普府办〔2026〕3号", item=str(k + 1),
                summary="报送季度政务公开工作进展", action="报送本单位第二季度政务公开工作进展情况",
                due=due, days_left=(due - as_of).days))
    return entries


def settings_for(server: SmtpTestServer, **extra) -> SmtpSettings:
    return SmtpSettings.from_mapping({"host": server.host, "port": server.port, "timeout": 10,
                                      "mail_from": "普陀区政务公开科 <noreply@pt.gov.test>", **extra})


def outbox_rows(store) -> list:
    with store.transaction() as session:
        return list(session.execute(select(outbox_store.OutboxMessage.message_id, outbox_store.OutboxMessage.recipient,
                                           outbox_store.OutboxMessage.status, outbox_store.OutboxMessage.claimed_by)))


def ledger_rows(store) -> set:
    with store.transaction() as session:
        return set(session.execute(select(outbox_store.AlertLedger.key, outbox_store.AlertLedger.recipient,
                                          outbox_store.AlertLedger.state, outbox_store.AlertLedger.message_id)))


def received_ids(server: SmtpTestServer) -> Counter:
    return Counter(r.message().get("Message-ID") for r in server.received)


@pytest.fixture
def slow_build(monkeypatch):
    """Building takes a few ms more per digest in the run, so that on a loaded machine too the
    courier's first pass (started after the first batch is queued) comes before the run's own."""
    import notifications.outbox as outbox

    build, run_pid = outbox.build_digest, os.getpid()

    def slower(*args, **kwargs):  # noqa: ANN002, ANN003
        if os.getpid() == run_pid:
            time.sleep(0.003)
        return build(*args, **kwargs)

    monkeypatch.setattr(outbox, "build_digest", slower)


def test_courier_sends_what_one_process_sends_each_once(tmp_path, registries, monkeypatch, slow_build, store_url):
    """One process on a SQLite file, then the run with its courier on a SQLite file or PostgreSQL."""
    results = {}
    for processes, url in (("1", str(tmp_path / "one.db")), ("2", store_url)):
        monkeypatch.setenv(PROCESSES_ENV, processes)
        store = open_store(url)
        with SmtpTestServer() as server:
            report = send_alerts(store, city_entries(), registries, POLICY, as_of=AS_OF,
                                 settings=settings_for(server, connections=2))
            got = received_ids(server)
        rows = outbox_rows(store)
        results[processes] = (report, got, rows, ledger_rows(store))
        store.dispose()
    (one, one_got, one_rows, one_ledger), (two, two_got, two_rows, two_ledger) = results["1"], results["2"]
    assert len(two.digests) == len(UNITS) + 1 > DELIVERY_BATCH
    # The same digests (same Message-IDs: the content decides them), each received once.
    assert set(two_got) == set(one_got) == {d.message_id for d in one.digests}
    assert max(two_got.values()) == 1
    assert sorted(two.delivery.sent) == sorted(one.delivery.sent)
    for figure in ("attempted", "failed", "rejected", "busy", "remaining", "aborted"):
        assert getattr(two.delivery, figure) == getattr(one.delivery, figure), figure
    assert two.delivery.remaining == 0 and two.delivery.busy == 0 and two.errors == []
    assert {status for _m, _r, status, _c in two_rows} == {outbox_store.SENT}
    # The ledger records the same alerts for the same recipients, sent in the same messages.
    assert two_ledger == one_ledger
    # Both processes delivered: the courier while the run built, the run once all was queued.
    tokens = Counter(claimed.rsplit("-", 1)[1] for _m, _r, _s, claimed in two_rows)
    assert tokens["courier"] > 0, tokens
    assert set(tokens) <= {"courier", "run"}
    assert {claimed for *_x, claimed in one_rows if claimed}.isdisjoint({c for *_x, c in two_rows})


def test_an_older_undelivered_digest_is_superseded_not_sent(tmp_path, registries):
    """Yesterday's digests never went out (server down); today's replace them before the courier
    could send the old ones: each office gets today's digest only."""
    store = open_store(str(tmp_path / "gongkai.db"))
    with SmtpTestServer() as server:
        port = server.port
    # Nothing listens on `port` now: every send fails, every digest stays in the outbox.
    down = SmtpSettings.from_mapping({"host": "127.0.0.1", "port": port, "timeout": 2,
                                      "mail_from": "普陀区政务公开科 <noreply@pt.gov.test>"})
    yesterday = send_alerts(store, city_entries(AS_OF - timedelta(days=1)), registries, POLICY,
                            as_of=AS_OF - timedelta(days=1), settings=down)
    assert yesterday.delivery.aborted and not yesterday.delivery.sent
    old_ids = {d.message_id for d in yesterday.digests}
    with SmtpTestServer() as server:
        today = send_alerts(store, city_entries(), registries, POLICY, as_of=AS_OF, settings=settings_for(server))
        got = received_ids(server)
    new_ids = {d.message_id for d in today.digests}
    assert old_ids.isdisjoint(new_ids)
    assert set(got) == new_ids and max(got.values()) == 1
    assert today.superseded == len(old_ids)
    statuses = Counter(status for message_id, _r, status, _c in outbox_rows(store) if message_id in old_ids)
    assert statuses == Counter({outbox_store.SUPERSEDED: len(old_ids)})
    store.dispose()


def test_a_killed_courier_loses_nothing_and_the_next_run_resends_only_what_it_held(tmp_path, registries,
                                                                                     monkeypatch, slow_build):
    store = open_store(str(tmp_path / "gongkai.db"))
    run_pid = os.getpid()
    original_send = SmtpTransport.send
    sends = Counter()

    async def send_then_die(self, raw, sender, recipients):  # noqa: ANN001
        await original_send(self, raw, sender, recipients)
        if os.getpid() != run_pid:  # in the courier: killed after its 7th hand-over, before marking
            sends["courier"] += 1
            if sends["courier"] == 7:
                os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(SmtpTransport, "send", send_then_die)
    with SmtpTestServer() as server:
        first = send_alerts(store, city_entries(), registries, POLICY, as_of=AS_OF, settings=settings_for(server))
        assert any("投递进程意外退出" in e for e in first.errors), first.errors
        held = [m for m, _r, status, _c in outbox_rows(store) if status == outbox_store.SENDING]
        # The courier died with its batch handed over but not marked: those wait for the lease.
        assert 0 < len(held) <= DELIVERY_BATCH
        assert first.delivery.remaining == len(held)
        monkeypatch.setattr(SmtpTransport, "send", original_send)
        second = send_alerts(store, city_entries(), registries, POLICY | {"sending_lease_seconds": 0},
                             as_of=AS_OF, settings=settings_for(server))
        got = received_ids(server)
    everything = {d.message_id for d in first.digests}
    assert set(got) == everything  # nothing lost
    # Twice only what the courier held when it died, each with its own Message-ID again.
    assert {m for m, n in got.items() if n > 1} <= set(held)
    assert max(got.values()) <= 2
    assert second.digests == [] and sorted(second.delivery.sent) == sorted(held)
    assert {status for _m, _r, status, _c in outbox_rows(store)} == {outbox_store.SENT}
    # Every office's two alerts are in the ledger, recorded against a message it received.
    ledger = {(key, recipient): message_id for key, recipient, _s, message_id in ledger_rows(store)}
    for n in range(len(UNITS)):
        for k in (0, 1):
            assert ledger[(f"obligation:{n}:{k}", f"u{n:03d}@pt.gov.test")] in got
    store.dispose()


def _run_then_wait(pid_file: str) -> None:
    """A run that forks a courier and hangs (to be killed)."""
    courier = Courier(_sleep_forever)
    with open(pid_file, "w", encoding="utf-8") as out:
        out.write(str(courier.pid))
    time.sleep(60)


def _sleep_forever(_inbox) -> None:  # noqa: ANN001
    time.sleep(60)


def test_a_courier_dies_with_its_run(tmp_path):
    import multiprocessing

    pid_file = tmp_path / "courier.pid"
    run = multiprocessing.get_context("fork").Process(target=_run_then_wait, args=(str(pid_file),))
    run.start()
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    courier_pid = int(pid_file.read_text())
    os.kill(run.pid, signal.SIGKILL)
    run.join()
    while time.monotonic() < deadline:
        try:
            os.kill(courier_pid, 0)
        except ProcessLookupError:
            break
        # A zombie until init reaps it: gone for our purpose once it no longer runs.
        with open(f"/proc/{courier_pid}/stat", encoding="utf-8") as stat:
            if stat.read().split(") ", 1)[1].startswith("Z"):
                break
        time.sleep(0.05)
    else:
        pytest.fail("the courier outlived its killed run")


def test_processes_setting():
    assert courier_wanted({PROCESSES_ENV: "1"}) is False
    assert courier_wanted({PROCESSES_ENV: "2"}) is courier_wanted({}) is courier_module.sys.platform.startswith("linux")
    with pytest.raises(ValueError, match=PROCESSES_ENV):
        courier_wanted({PROCESSES_ENV: "3"})


def test_a_partners_claim_is_never_taken_over_whatever_the_lease(tmp_path, registries):
    """The run and its courier leave each other's claims alone, also once the lease has run out
    (a lease of 0, or a send slower than the lease): else both would send the message. What the
    partner tried and failed is not tried again in the same run either."""
    from notifications.outbox import queue_digests

    store = open_store(str(tmp_path / "gongkai.db"))
    planned = send_alerts(store, city_entries(), registries, POLICY, as_of=AS_OF, dry_run=True)
    queue_digests(store, "run-1", planned.digests[:2])
    with store.transaction() as session:
        first, second = outbox_store.deliverable_ids(session, lease_seconds=0)
        assert [c.id for c in outbox_store.claim_many(session, [first, second], "t-run", lease_seconds=0)] == [
            first, second]
    with store.transaction() as session:
        outbox_store.mark_failed(session, second, "451 try later")
    with store.transaction() as session:
        # The courier's view: both are its run's, one sending, one failed by it: neither is taken.
        assert outbox_store.claim_many(session, [first, second], "t-courier", lease_seconds=0,
                                       spare=["t-run"]) == []
    with store.transaction() as session:
        # Another run (the partner is not its own) takes over the expired claim and the failure.
        taken = outbox_store.claim_many(session, [first, second], "t2-run", lease_seconds=0)
        assert [c.id for c in taken] == [first, second]
    store.dispose()
