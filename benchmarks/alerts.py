"""Alert throughput: N digests to a local aiosmtpd, with and without SMTP connection reuse.

    .venv/bin/python benchmarks/alerts.py [--count 1000]

Prints figures only (timings depend on the machine; nothing is asserted). Three sending paths:
- bare transport, one connection for the whole batch (`send_messages(..., reuse_connection=True)`);
- bare transport, a new connection per message;
- the outbox path the nightly run takes (queue in SQLite, then claim / send / mark sent per message).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import tempfile
import time
from datetime import date
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    count = args.count

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
            report("发件箱投递，复用连接（每封两次事务）", handler.count - before, time.perf_counter() - start)
            if delivery.failed:
                print(f"  其中 {len(delivery.failed)} 封失败")
            store.dispose()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
