"""Alert throughput: N digests to a local aiosmtpd, with and without SMTP connection reuse.

    .venv/bin/python -m benchmarks.alerts [--count 1000] [--city 4] [--repeat 3] [--server process|thread]

Prints figures only (timings depend on the machine; nothing is asserted). Sending paths:
- bare transport, one connection for the whole batch (`send_messages(..., reuse_connection=True)`);
- bare transport, a new connection per message;
- the outbox path the nightly run takes (queue in SQLite, then claim / send / mark sent in batches);
- end to end (`--city N`, default 4 districts × 60 units of `benchmarks/nightly.py`'s synthetic city;
  0 skips it): the nightly's alert stage exactly as `pipeline.nightly.send_run_alerts` runs it —
  collect the entries from the stored checks and obligations, plan the digests against the ledger,
  render them, queue the outbox rows, send them over SMTP, record the ledger — on the first night
  (everything new) and the next day (nothing changed, ~90 % of the digests go out again). The
  store is built and checked first (not timed) and restored before each repeat; the best of
  `--repeat` runs is printed, then one JSON line.

`--server process` (the default) runs aiosmtpd in a process of its own, as a mail server is;
`--server thread` runs it in a thread of this process (as `benchmarks/nightly.py` does), where the
server's own Python work (~0.6 ms a message) competes with the pipeline for the GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from notifications.digest import Sender, build_digest
from notifications.entries import AlertEntry
from notifications.outbox import deliver_outbox, queue_digests
from notifications.routing import Recipient
from notifications.transport import SmtpSettings, SmtpTransport, send_messages
from store.db import open_store

AS_OF = date(2026, 6, 10)


class CountingHandler:
    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001 - aiosmtpd hook
        self.count += 1
        self.bytes += len(envelope.content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_digests(count: int, salt: str) -> list:
    digests = []
    for i in range(count):
        entries = [
            AlertEntry(
                key=f"obligation:{i}:{k}", kind="obligation", state=state, district="长宁区", units=(f"单位{i}",),
                document="长宁区2026年政务公开工作方案", doc_number="长府办〔2026〕8号", item=str(k + 1),
                summary=f"报送本单位年度政务公开工作计划（{salt}）", due=date(2026, 6, 7 + 10 * k),
                days_left=-3 + 10 * k, action="报送本单位年度政务公开工作计划",
            )
            for k, state in enumerate(("overdue", "due_soon", "due_soon"))
        ]
        digests.append(build_digest(Recipient(f"unit{i}@bench.test", f"单位{i}"), entries, as_of=AS_OF,
                                    sender=Sender("noreply@bench.test", "长宁区政务公开工作提醒")))
    return digests


async def send_raw(settings: SmtpSettings, raws: list[bytes], reuse: bool) -> None:
    transport = SmtpTransport(settings, reuse_connection=reuse)
    await transport.open()
    try:
        for i, raw in enumerate(raws):
            await transport.send(raw, settings.mail_from, [f"unit{i}@bench.test"])
    finally:
        await transport.close()


def report(label: str, count: int, seconds: float) -> None:
    print(f"{label:<42} {count:>6} 封  {seconds:7.2f} s  {count / seconds:9.1f} 封/秒")


# aiosmtpd in a process of its own: prints its port, counts the messages, answers "count" on stdin.
_SERVER = """
import sys
from aiosmtpd.controller import Controller
class Handler:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        Handler.count += 1
        return "250 OK"
controller = Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[1]), ready_timeout=60)
controller.start()
print("ready", flush=True)
for line in sys.stdin:
    print(Handler.count, flush=True)
controller.stop()
"""


class SmtpServer:
    """aiosmtpd on loopback, in a thread of this process or in a process of its own."""

    def __init__(self, where: str):
        self.where = where
        self.port = free_port()
        self._handler = CountingHandler()
        self._process: subprocess.Popen[str] | None = None
        self._controller: Controller | None = None

    def __enter__(self) -> SmtpServer:
        if self.where == "thread":
            self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port, ready_timeout=60)
            self._controller.start()
        else:
            self._process = subprocess.Popen([sys.executable, "-c", _SERVER, str(self.port)], text=True,
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            assert self._process.stdout is not None
            if self._process.stdout.readline().strip() != "ready":
                raise RuntimeError("aiosmtpd did not start")
        return self

    @property
    def count(self) -> int:
        if self._process is None:
            return self._handler.count
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write("count\n")
        self._process.stdin.flush()
        return int(self._process.stdout.readline())

    def __exit__(self, *exc: object) -> None:
        if self._controller is not None:
            self._controller.stop()
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait(timeout=30)


@contextmanager
def _city_environment(work: Path) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("GONGKAI_REGISTRY_DIR", "GONGKAI_OUTBOX", "GONGKAI_SMTP_HOST",
                                            "GONGKAI_SMTP_CONFIG", "GONGKAI_POLICY")}
    os.environ["GONGKAI_REGISTRY_DIR"] = str(work / "registry")
    os.environ["GONGKAI_OUTBOX"] = str(work / "outbox")
    for var in ("GONGKAI_SMTP_HOST", "GONGKAI_SMTP_CONFIG", "GONGKAI_POLICY"):
        os.environ.pop(var, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def end_to_end(districts: int, repeat: int, server: SmtpServer, keep: Path | None = None) -> dict[str, Any]:
    """The nightly's alert stage on the synthetic city, first night and the next day (best of `repeat`)."""
    from benchmarks.nightly import AS_OF as NIGHT
    from benchmarks.nightly import build_city
    from pipeline.alerts import current_policy
    from pipeline.nightly import plan_districts, run_nightly, send_run_alerts
    from pipeline.obligations import obligation_status

    work = keep or Path(tempfile.mkdtemp(prefix=f"gongkai-alerts-{districts}-"))
    snapshot = work / "checked.db"
    db = work / "city.db"
    try:
        with _city_environment(work):
            policy = current_policy()
            if not snapshot.exists():
                started = time.perf_counter()
                if work.exists():
                    shutil.rmtree(work)
                work.mkdir(parents=True)
                build_city(work, districts, 60, 35, 20260930, db=str(db))
                store = open_store(str(db))
                # The night's checks and derivation, without alerts (not timed): what the alert stage reads.
                run_nightly(store, NIGHT, policy, dry_run=True)
                store.dispose()
                shutil.copy(db, snapshot)
                print(f"城市 {districts} 个区（建库并检查，不计时）{time.perf_counter() - started:.1f} s")
            settings = SmtpSettings.from_mapping({"host": "127.0.0.1", "port": server.port, "timeout": 30,
                                                  "mail_from": "政务公开科 <noreply@gov.test>"})
            best: dict[str, tuple[float, int, float]] = {}
            for _ in range(repeat):
                shutil.copy(snapshot, db)
                store = open_store(str(db))
                names = plan_districts(store)
                for label, day in (("cold", NIGHT), ("warm", NIGHT + timedelta(days=1))):
                    # The night evaluates the obligations' states before its alert stage (not timed).
                    statuses = obligation_status(store, day, policy=policy)
                    before = server.count
                    started, cpu = time.perf_counter(), time.process_time()
                    summary = send_run_alerts(store, day, policy, districts=names, statuses=statuses,
                                              transport=SmtpTransport(settings))
                    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
                    received = server.count - before
                    if summary["sent"] != summary["digests"] or received != summary["sent"]:
                        raise RuntimeError(f"{label}: {summary['digests']} digests, {summary['sent']} sent, "
                                           f"{received} received: {summary['failed'] or summary['errors']}")
                    if label not in best or elapsed < best[label][0]:
                        best[label] = (elapsed, summary["digests"], cpu)
                store.dispose()
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    for label, name in (("cold", "端到端，第一晚（全部新提醒）"), ("warm", "端到端，次日（无变化）")):
        seconds, digests, cpu = best[label]
        report(name, digests, seconds)
        print(f"  其中本进程 CPU {cpu:.2f} s（{digests / cpu:.0f} 封/CPU 秒；机器负载会拉长墙钟时间）")
    return {label: {"seconds": round(s, 3), "digests": n, "digests_per_s": round(n / s), "cpu_s": round(c, 3)}
            for label, (s, n, c) in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--city", type=int, default=4, help="districts of the end-to-end run (0: skip it)")
    parser.add_argument("--repeat", type=int, default=3, help="end-to-end runs (the best is printed)")
    parser.add_argument("--server", choices=("process", "thread"), default="process")
    parser.add_argument("--only-e2e", action="store_true", help="skip the per-path figures")
    parser.add_argument("--keep", type=Path, help="a folder to keep the checked city in (and reuse it from)")
    args = parser.parse_args()
    count = args.count
    if args.only_e2e:
        with SmtpServer(args.server) as server:
            result = end_to_end(args.city, args.repeat, server, args.keep)
        print(json.dumps({"server": args.server, "districts": args.city, **result}))
        return

    handler = CountingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings = SmtpSettings.from_mapping({"host": "127.0.0.1", "port": port, "security": "none",
                                          "mail_from": "noreply@bench.test"})
    try:
        start = time.perf_counter()
        digests = make_digests(count, "a")
        report("生成摘要邮件（jinja2 渲染 + MIME）", count, time.perf_counter() - start)

        start = time.perf_counter()
        raws = [d.as_bytes() for d in digests]
        report("序列化为 SMTP 报文（RFC 2047 头部折行）", count, time.perf_counter() - start)
        print(f"平均每封 {sum(map(len, raws)) / count / 1024:.1f} KiB")

        # Transport alone: the same pre-serialised bytes, one connection vs one per message.
        for reuse, label in ((True, "SMTP 复用连接（仅传输）"), (False, "SMTP 每封新建连接（仅传输）")):
            before = handler.count
            start = time.perf_counter()
            asyncio.run(send_raw(settings, raws, reuse))
            report(label, handler.count - before, time.perf_counter() - start)

        # send_messages(): what a caller with EmailMessage objects gets (serialises each message).
        for reuse, label in ((True, "send_messages 复用连接"), (False, "send_messages 每封新建连接")):
            before = handler.count
            start = time.perf_counter()
            results = asyncio.run(send_messages([d.message for d in digests], settings, reuse_connection=reuse))
            elapsed = time.perf_counter() - start
            report(label, handler.count - before, elapsed)
            failed = sum(not r.ok for r in results)
            if failed:
                print(f"  其中 {failed} 封失败")

        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(str(Path(tmp) / "bench.db"))
            fresh = make_digests(count, "b")  # new Message-IDs: nothing is deduplicated away
            for digest in fresh:
                digest.as_bytes()
            start = time.perf_counter()
            queue_digests(store, "bench", fresh)
            report("写入发件箱（一个事务）", count, time.perf_counter() - start)
            before = handler.count
            start = time.perf_counter()
            delivery = deliver_outbox(store, SmtpTransport(settings, reuse_connection=True), {})
            report("发件箱投递，复用连接（每批 50 封）", handler.count - before, time.perf_counter() - start)
            if delivery.failed:
                print(f"  其中 {len(delivery.failed)} 封失败")
            store.dispose()
    finally:
        controller.stop()
    if args.city:
        with SmtpServer(args.server) as server:
            result = end_to_end(args.city, args.repeat, server, args.keep)
        print(json.dumps({"server": args.server, "districts": args.city, **result}))


if __name__ == "__main__":
    main()
