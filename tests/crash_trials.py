"""Crash trials: a night killed with SIGKILL at a chosen or random point, then run again.

Each trial copies a small prepared store (one district plan of three items, a handful of
reminders), runs the night in a forked child process that kills itself at a fault point —
the N-th ORM flush (obligations, checks, outbox, ledger alike), right after the N-th message is
handed to the SMTP server and before it is marked sent, inside the N-th ledger write, right after
a check run is written and before its commit, the courier alone right after its first send — or
is killed by the parent after a random delay.
Every other trial's nights deliver one digest per batch, so that the night forks its courier (the
process that delivers while the night builds; notifications/courier.py) and the faults land in
either process: a kill of the night takes its courier with it, a courier killed on its own leaves
its claimed messages for the lease. The next run (the outbox's lease set to 0, as if its claim had
expired) must complete; then the trial counts what reached the SMTP server against a run without
faults:

- lost: an (office, alert, state) the fault-free night delivers that the trial never delivered,
  or a message marked sent that the server never received;
- documented re-sends: the same Message-ID received twice (the lease re-send after a kill
  between send and mark, which a receiving system drops by Message-ID);
- duplicates: an (office, alert, state) that arrived under two different Message-IDs;
- lock errors: `database is locked` (SQLite), a deadlock or lock timeout (PostgreSQL) in any run.

The store is a SQLite file copied for each trial, or, with `cluster` (tests/pg_cluster.py), a
PostgreSQL database copied from a prepared template database (`CREATE DATABASE … TEMPLATE`).

Used by tests/test_crashes.py and benchmarks/crash_trials.py.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import signal
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

AS_OF = date(2026, 11, 22)
FAULTS = ("flush", "after_send", "ledger", "check", "timer", "courier")
# What a lock failure says: SQLite's busy timeout running out; PostgreSQL's deadlock detector or lock timeout.
LOCK_ERRORS = ("database is locked", "deadlock detected", "lock timeout", "LockNotAvailable")

# A district plan of our own in the published form: three items, three named offices.
SMALL_PLAN = """\
上海市长宁区人民政府办公室文件

长府办〔2026〕31号

上海市长宁区人民政府办公室关于印发《2026年长宁区政务公开重点工作安排》的通知

区教育局、区民政局、区府办：

《2026年长宁区政务公开重点工作安排》已经区政府同意，现印发给你们，请认真按照执行。

上海市长宁区人民政府办公室

2026年5月8日

2026年长宁区政务公开重点工作安排

一、重点工作

1. 做好教育领域政务公开专栏维护和信息及时更新，9月底前完成栏目梳理。（责任单位：区教育局）

2. 每季度汇总养老服务政策公开情况并报区府办。（责任单位：区民政局）

3. 6月底前完成本区政策解读材料汇编并在政府网站集中发布。（责任单位：区府办）
"""


@dataclass
class TrialResult:
    index: int
    fault: str
    point: int | float
    injected: bool  # the fault run was killed by SIGKILL
    recovered: bool  # the next run completed (exit 0) and nothing is left undelivered
    lost: int = 0
    resent_same_id: int = 0
    duplicates: int = 0
    lock_errors: int = 0
    courier: bool = False  # the nights ran with a courier process
    courier_sent: int = 0  # messages the couriers of this trial's nights delivered
    notes: list[str] = field(default_factory=list)


@dataclass
class Summary:
    trials: int
    injected: int
    recovered: int
    lost: int
    resent_same_id: int
    duplicates: int
    lock_errors: int
    by_fault: dict[str, int]
    seconds: float
    store: str = "sqlite"
    courier_trials: int = 0
    courier_sent: int = 0
    couriers_killed: int = 0

    def table(self) -> str:
        rows = [
            ("store", self.store),
            ("trials run", self.trials),
            ("faults injected (SIGKILL)", self.injected),
            ("  by point", ", ".join(f"{k} {v}" for k, v in self.by_fault.items())),
            ("trials with a courier process", self.courier_trials),
            ("  messages its couriers delivered", self.courier_sent),
            ("  couriers killed on their own", self.couriers_killed),
            ("next run completed", self.recovered),
            ("mails lost", self.lost),
            ("duplicates beyond documented re-sends", self.duplicates),
            ("documented re-sends (same Message-ID)", self.resent_same_id),
            ("lock errors", self.lock_errors),
            ("seconds", f"{self.seconds:.1f}"),
        ]
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


# --------------------------------------------------------------------------- the child process


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _install_fault(fault: str, point: int) -> None:
    """Make this process kill itself at the `point`-th occurrence of `fault`. The count is kept in
    shared memory, so that a courier the night forks counts on with it: whichever of the two
    reaches the night's `point`-th occurrence is killed. `courier` counts only the courier's own
    sends (the courier is killed, the night goes on)."""
    seen = multiprocessing.get_context("fork").Value("i", 0)

    def hit(name: str) -> None:
        if name != fault:
            return
        with seen.get_lock():
            seen.value += 1
            reached = seen.value == point
        if reached:
            _die()

    if fault == "flush":
        from sqlalchemy import event
        from sqlalchemy.orm import Session

        event.listen(Session, "after_flush", lambda *_a: hit("flush"))
    elif fault in ("after_send", "courier"):
        from notifications.transport import SmtpTransport

        original_send = SmtpTransport.send

        async def send(self, raw, sender, recipients):  # noqa: ANN001
            await original_send(self, raw, sender, recipients)
            if fault == "after_send" or multiprocessing.current_process().name == "gongkai-courier":
                hit(fault)  # handed over, not yet marked sent

        SmtpTransport.send = send
    elif fault == "ledger":
        from store import outbox as outbox_store

        original_record = outbox_store.record_sent_alert

        def record(*args, **kwargs):  # noqa: ANN002, ANN003
            original_record(*args, **kwargs)
            hit("ledger")  # a ledger row written, the transaction not committed

        outbox_store.record_sent_alert = record
    elif fault == "check":
        import pipeline.checks as checks

        original_save = checks.save_check

        def save(*args, **kwargs):  # noqa: ANN002, ANN003
            run = original_save(*args, **kwargs)
            hit("check")  # a check run and its findings flushed, not committed
            return run

        checks.save_check = save


def _night(db: str, smtp_port: int, fault: str | None, point: int, lease: float, errors: str,
           counts: str | None = None, batch: int | None = None) -> None:
    """One night in this (forked) process; exceptions go to `errors`, flush/send counts to `counts`."""
    code = _night_body(db, smtp_port, fault, point, lease, errors, counts, batch)
    os._exit(code)  # no atexit handlers: the parent's (inherited) state is not ours to clean up


def _night_body(db: str, smtp_port: int, fault: str | None, point: int, lease: float, errors: str,
                counts: str | None = None, batch: int | None = None) -> int:
    """`batch`: digests per delivery batch (a night with more than one batch forks a courier)."""
    code = 0
    try:
        if batch:
            import notifications.outbox as outbox

            outbox.DELIVERY_BATCH = batch
        if fault and fault != "timer":
            _install_fault(fault, point)
        if counts:
            from sqlalchemy import event
            from sqlalchemy.orm import Session

            tally = Counter()

            def count_flush(*_a: Any) -> None:
                tally.update(["flush"])

            event.listen(Session, "after_flush", count_flush)
        from notifications.transport import SmtpSettings, SmtpTransport
        from pipeline import nightly as steps
        from pipeline.alerts import current_policy
        from store.db import open_store

        policy = current_policy().with_overrides({"sending_lease_seconds": lease, "retry_backoff_seconds": [0]})
        settings = SmtpSettings.from_mapping({"host": "127.0.0.1", "port": smtp_port, "timeout": 10,
                                              "mail_from": "长宁区政务公开科 <noreply@cn.gov.test>"})
        store = open_store(db)
        summary = steps.run_nightly(store, AS_OF, policy, transport=SmtpTransport(settings))
        store.dispose()
        # A courier that died reports in the alert errors (the night itself goes on).
        Path(f"{errors}.alerts").write_text("\n".join(summary["alerts"].get("errors") or []), encoding="utf-8")
        if summary.get("failed"):
            raise RuntimeError(f"districts failed: {summary['failed']}")
        if counts:
            event.remove(Session, "after_flush", count_flush)
            Path(counts).write_text(f"{tally['flush']} {summary['alerts'].get('sent', 0)}", encoding="utf-8")
    except BaseException:  # noqa: BLE001 - reported through the file
        Path(errors).write_text(traceback.format_exc(), encoding="utf-8")
        code = 1
    return code


# --------------------------------------------------------------------------- the parent


def _warm_up() -> None:
    """Import (and so compile and register) everything a night uses before forking: each child
    then starts at once instead of spending seconds on imports."""
    import notifications.outbox  # noqa: F401
    import notifications.transport  # noqa: F401
    import pipeline.alerts  # noqa: F401
    import pipeline.checks  # noqa: F401
    import pipeline.nightly  # noqa: F401
    import pipeline.obligations  # noqa: F401
    import rules.assignment  # noqa: F401 - the rule families load when a check first runs
    import rules.coverage  # noqa: F401
    import rules.timing  # noqa: F401
    import store.migrate  # noqa: F401
    from pipeline.alerts import current_policy

    current_policy()


def prepare(workdir: Path, base: str | None = None) -> str:
    """The store every trial starts from (`base`, default workdir/base.db): the small plan
    ingested, nothing derived or sent."""
    from pipeline.ingest import ingest_files
    from store.db import open_store

    plan = workdir / "small-plan.txt"
    plan.write_text(SMALL_PLAN, encoding="utf-8")
    base = base or str(workdir / "base.db")
    store = open_store(base)
    ingest_files(store, [plan])
    store.dispose()  # the last connection closing checkpoints the WAL into base.db
    return base


class TrialStores:
    """Where each trial's store comes from: a copy of the prepared one, on SQLite or PostgreSQL."""

    def __init__(self, workdir: Path, cluster: Any = None) -> None:
        self.workdir = workdir
        self.cluster = cluster  # a tests.pg_cluster.PgCluster, or None for SQLite files
        self.base = prepare(workdir, cluster.new_database() if cluster is not None else None)

    @property
    def kind(self) -> str:
        return "postgresql" if self.cluster is not None else "sqlite"

    def copy(self, name: str) -> str:
        """A fresh copy of the prepared store, named `name`; returns its URL (or file path)."""
        if self.cluster is None:
            target = self.workdir / f"{name}.db"
            shutil.copy(self.base, target)
            return str(target)
        import psycopg

        # Nobody is connected to the template: every store is disposed after use.
        database = f"{self.base.rsplit('/', 1)[1]}_{name.replace('-', '_')}"
        with psycopg.connect(f"host=127.0.0.1 port={self.cluster.port} user=gongkai dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}" TEMPLATE "{self.base.rsplit("/", 1)[1]}"')
        return self.cluster.url(database)


def _run_child(ctx: Any, db: str, port: int, fault: str | None, point: float, lease: float,
               errors: Path, counts: Path | None = None, batch: int | None = None) -> int:
    child = ctx.Process(target=_night, args=(str(db), port, fault, int(point), lease, str(errors),
                                             str(counts) if counts else None, batch))
    child.start()
    if fault == "timer":
        child.join(timeout=point)
        if child.is_alive():
            os.kill(child.pid, signal.SIGKILL)
    child.join(timeout=600)
    if child.is_alive():
        os.kill(child.pid, signal.SIGKILL)
        child.join()
    return child.exitcode


def _delivered(db: str, received: Counter) -> tuple[set, Counter, list[str], int, int]:
    """(recipient, key, state) pairs delivered; how many Message-IDs carried each pair; notes;
    messages still undelivered; messages a courier delivered."""
    from sqlalchemy import select

    from store import outbox as outbox_store
    from store.db import open_store

    store = open_store(str(db))
    pairs: set = set()
    carriers: Counter = Counter()
    notes: list[str] = []
    with store.transaction() as session:
        rows = session.scalars(select(outbox_store.OutboxMessage)).all()
        undelivered = sum(r.status in (outbox_store.QUEUED, outbox_store.SENDING, outbox_store.FAILED) for r in rows)
        by_courier = sum(r.status == outbox_store.SENT and (r.claimed_by or "").endswith("-courier") for r in rows)
        for row in rows:
            got = received.get((row.message_id, row.recipient), 0)
            if row.status == outbox_store.SENT and not got:
                notes.append(f"marked sent, never received: {row.message_id}")
            if got:
                for alert in row.alerts or []:
                    pair = (row.recipient, alert["key"], alert["state"])
                    pairs.add(pair)
                    carriers[pair] += 1
    store.dispose()
    return pairs, carriers, notes, undelivered, by_courier


def run_trials(trials: int, workdir: Path, *, seed: int = 14, cluster: Any = None
               ) -> tuple[Summary, list[TrialResult]]:
    """Run `trials` crash trials under `workdir` with a real SMTP server; the faults cycle
    through FAULTS, each at a random point within what a fault-free night reaches. The stores are
    SQLite files, or databases on `cluster` (a running tests.pg_cluster.PgCluster)."""
    from tests.smtp_server import SmtpTestServer

    started = time.perf_counter()
    _warm_up()
    rng = random.Random(seed)
    ctx = multiprocessing.get_context("fork")
    workdir.mkdir(parents=True, exist_ok=True)
    stores = TrialStores(workdir, cluster)
    results: list[TrialResult] = []
    with SmtpTestServer() as server:
        # The fault-free night: what must arrive, and how many flushes and sends it makes.
        reference = stores.copy("reference")
        # Run here, not forked: it also warms up what a first night initialises lazily (the rule
        # engine's rulesets), so every forked child starts warm.
        t0 = time.perf_counter()
        code = _night_body(reference, server.port, None, 0, 0, str(workdir / "reference.err"),
                           str(workdir / "reference.counts"))
        reference_seconds = time.perf_counter() - t0
        if code != 0:
            raise RuntimeError((workdir / "reference.err").read_text(encoding="utf-8"))
        flushes, sends = (int(v) for v in (workdir / "reference.counts").read_text().split())
        received = Counter((r.message()["Message-ID"], rcpt) for r in server.received for rcpt in r.rcpt_tos)
        expected, _c, _n, _u, _k = _delivered(reference, received)
        if not expected:
            raise RuntimeError("the fault-free night delivered nothing: the trials would prove nothing")
        ledger_writes = len(expected)
        # The timer's range comes from a fault-free night forked as the trials' are: the reference
        # above also warms up what they inherit, and other load on the machine can make it several
        # times longer than theirs (a timer past a child's end kills nothing).
        probe_started = time.perf_counter()
        if _run_child(ctx, stores.copy("timer-probe"), server.port, None, 0, 0, workdir / "timer-probe.err") != 0:
            raise RuntimeError((workdir / "timer-probe.err").read_text(encoding="utf-8"))
        child_seconds = time.perf_counter() - probe_started
        limits = {"flush": flushes, "after_send": sends, "ledger": ledger_writes, "check": 1,
                  "timer": min(reference_seconds, child_seconds), "courier": 1}

        for index in range(trials):
            fault = FAULTS[index % len(FAULTS)]
            point: int | float = (rng.uniform(0.05, 1.0) * limits["timer"] if fault == "timer"
                                  else rng.randint(1, max(1, int(limits[fault]))))
            server.handler.received.clear()
            db = stores.copy(f"trial-{index}")
            # Odd trials: one digest a batch, so that the night forks a courier.
            batch = 1 if index % 2 or fault == "courier" else None
            errors = [workdir / f"trial-{index}-{step}.err" for step in ("fault", "next", "after")]
            code = _run_child(ctx, db, server.port, fault, point, 0, errors[0], batch=batch)
            courier_killed = _courier_killed(errors[0])
            result = TrialResult(index, fault, round(point, 2) if isinstance(point, float) else point,
                                 injected=code == -signal.SIGKILL or courier_killed, recovered=False,
                                 courier=batch is not None)
            next_code = _run_child(ctx, db, server.port, None, 0, 0, errors[1], batch=batch)
            # One more night: a completed recovery leaves nothing for it to send.
            after_code = _run_child(ctx, db, server.port, None, 0, 0, errors[2], batch=batch)
            if courier_killed:
                result.notes.append("the courier was killed, the night went on")
            texts = [p.read_text(encoding="utf-8") for p in errors if p.exists()]
            result.lock_errors = sum(t.count(pattern) for t in texts for pattern in LOCK_ERRORS)
            result.notes += [t.strip().splitlines()[-1] for t in texts if t.strip()]

            received = Counter((r.message()["Message-ID"], rcpt) for r in server.received for rcpt in r.rcpt_tos)
            pairs, carriers, notes, undelivered, result.courier_sent = _delivered(db, received)
            result.notes += notes
            result.recovered = next_code == 0 and after_code == 0 and undelivered == 0
            result.lost = len(expected - pairs) + len(notes)
            result.resent_same_id = sum(n - 1 for n in received.values() if n > 1)
            result.duplicates = sum(n - 1 for n in carriers.values() if n > 1)
            results.append(result)

    summary = Summary(
        trials=len(results),
        injected=sum(r.injected for r in results),
        recovered=sum(r.recovered for r in results),
        lost=sum(r.lost for r in results),
        resent_same_id=sum(r.resent_same_id for r in results),
        duplicates=sum(r.duplicates for r in results),
        lock_errors=sum(r.lock_errors for r in results),
        by_fault=dict(Counter(r.fault for r in results if r.injected)),
        seconds=time.perf_counter() - started,
        store=stores.kind,
        courier_trials=sum(r.courier for r in results),
        courier_sent=sum(r.courier_sent for r in results),
        couriers_killed=sum("the courier was killed, the night went on" in r.notes for r in results),
    )
    return summary, results


def _courier_killed(errors: Path) -> bool:
    """Did the night's courier die of SIGKILL while the night itself went on? (The night says so
    in its alert errors: 投递进程意外退出（退出码 -9）.)"""
    alerts = Path(f"{errors}.alerts")
    return alerts.exists() and f"退出码 {-signal.SIGKILL}" in alerts.read_text(encoding="utf-8")
