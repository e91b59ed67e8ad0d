"""Alerts: routing, digests, the ledger, the outbox, and delivery to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import types
from dataclasses import replace
from datetime import date
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner

from notifications import outbox as alert_outbox
from notifications.digest import Sender, build_digest, district_summary, header_safe
from notifications.entries import AlertEntry, alert_policy
from notifications.outbox import deliver_outbox, queue_digests, send_alerts
from notifications.routing import Recipient, route
from notifications.transport import (
    EmlFolderTransport,
    SecretStr,
    SettingsError,
    SmtpSettings,
    SmtpTransport,
    send_messages,
)
from offices.registry import load_registry
from store import outbox as outbox_store

try:  # tests/ as a package (with __init__.py) or as a plain directory on sys.path
    from tests.smtp_server import SmtpTestServer
except ImportError:
    from smtp_server import SmtpTestServer

REGISTRY_YAML = """\
district: 长宁区
level: district
offices:
  - {name: 区政府办公室政务公开科, kind: section, email: gongkai@cn.gov.test, is_transparency_section: true, aliases: [政务公开科]}
  - {name: 区政府办公室, kind: department, email: fb@cn.gov.test, aliases: [区府办]}
  - {name: 区教育局, kind: department, email: jyj@cn.gov.test}
  - {name: 区民政局, kind: department, email: mzj@cn.gov.test}
  - {name: 华阳路街道, kind: street, email: hyl@cn.gov.test}
  - {name: 新泾镇, kind: town, email: xjz@cn.gov.test}
"""

AS_OF = date(2026, 6, 10)
PLAN = "长宁区2026年政务公开工作方案"
DOC_NO = "长府办〔2026〕8号"
SECTION = "gongkai@cn.gov.test"
FAST = {"retry_backoff_seconds": [0], "max_send_attempts": 3}


def entry(key: str, state: str, units: tuple[str, ...], **kw) -> AlertEntry:
    kind = "finding" if state in ("error", "warning", "info") else "obligation"
    base = {"document": PLAN, "doc_number": DOC_NO, "item": "3", "summary": "报送本单位年度政务公开工作计划",
            "action": "报送本单位年度政务公开工作计划"}
    base.update(kw)
    return AlertEntry(key=key, kind=kind, state=state, district="长宁区", units=units, **base)


def sample_entries(as_of: date = AS_OF) -> list[AlertEntry]:
    def days(d: date) -> int:
        return (d - as_of).days

    return [
        entry("obligation:1", "overdue", ("区教育局",), due=date(2026, 6, 7), days_left=days(date(2026, 6, 7))),
        entry("obligation:2", "due_soon", ("各街道（镇）",), item="12", summary="报送第二季度工作进展",
              action="报送第二季度政务公开工作进展情况", due=date(2026, 6, 30), days_left=days(date(2026, 6, 30))),
        entry("finding:长府办〔2026〕8号:UNKNOWN_UNIT:22", "warning", ("区科委",), item="22", summary="",
              action="", message="责任单位“区科委”无法对应到本区单位"),
        entry("obligation:3", "escalated", ("区民政局",), lead_units=("区府办",), item="5",
              summary="年度工作计划逾期未报", action="立即报送并说明逾期原因", due=date(2026, 5, 1),
              days_left=days(date(2026, 5, 1))),
        entry("obligation:4", "pending", ("区教育局",), item="7", due=date(2026, 12, 31), days_left=204),
        entry("obligation:5", "done_on_time", ("区民政局",), item="8"),  # never alerted: no note
    ]


EXPECTED_RECIPIENTS = {"jyj@cn.gov.test", "hyl@cn.gov.test", "xjz@cn.gov.test", "mzj@cn.gov.test",
                       "fb@cn.gov.test", SECTION}


@pytest.fixture
def registry(tmp_path):
    path = tmp_path / "changning.yaml"
    path.write_text(REGISTRY_YAML, encoding="utf-8")
    return load_registry(path)


@pytest.fixture
def registries(registry):
    return {"长宁区": registry}


@pytest.fixture
def smtp():
    server = SmtpTestServer().start()
    yield server
    server.stop()


def smtp_settings(server: SmtpTestServer, **extra) -> SmtpSettings:
    return SmtpSettings.from_mapping({"host": server.host, "port": server.port, "security": "none",
                                      "mail_from": "长宁区政务公开科 <noreply@cn.gov.test>", "timeout": 5, **extra})


def parsed(server: SmtpTestServer) -> dict[str, list]:
    out: dict[str, list] = {}
    for received in server.received:
        for rcpt in received.rcpt_tos:
            out.setdefault(rcpt, []).append(received.message())
    return out


def statuses(store) -> dict[str, str]:
    with store.transaction() as session:
        rows = session.scalars(select(outbox_store.OutboxMessage)).all()
        return {row.recipient: row.status for row in rows if row.status != outbox_store.SUPERSEDED}


class MemoryTransport:
    """Records what would be sent; for ledger logic that does not need a server."""

    def __init__(self):
        self.sent: list[tuple[bytes, list[str]]] = []

    def describe(self) -> str:
        return "内存"

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def send(self, raw: bytes, sender: str, recipients: list[str]) -> None:
        self.sent.append((raw, recipients))

    def recipients(self) -> list[str]:
        return [r for _raw, rcpts in self.sent for r in rcpts]


# --------------------------------------------------------------------------- routing


def test_route_units_collectives_unknown_and_escalation(registry):
    routed = route(sample_entries(), registry)
    by_email = {r.email: [e.key for e in items] for r, items in routed.items()}
    assert by_email["jyj@cn.gov.test"] == ["obligation:1", "obligation:4"]
    # 各街道（镇） expands to every street and town.
    assert by_email["hyl@cn.gov.test"] == ["obligation:2"]
    assert by_email["xjz@cn.gov.test"] == ["obligation:2"]
    # Escalated: responsible unit, lead unit (区府办 → 区政府办公室) and the 政务公开科.
    assert "obligation:3" in by_email["mzj@cn.gov.test"]
    assert by_email["fb@cn.gov.test"] == ["obligation:3"]
    section_keys = by_email[SECTION]
    assert "obligation:3" in section_keys
    # The unknown unit goes to the 政务公开科 with a note saying so.
    unrouted = [e for r, items in routed.items() if r.email == SECTION for e in items if "#unrouted:" in e.key]
    assert len(unrouted) == 1
    assert "区科委" in unrouted[0].message and "找不到对应单位" in unrouted[0].message
    section = next(r for r in routed if r.email == SECTION)
    assert section.is_transparency_section and section.name == "区政府办公室政务公开科"


def test_route_item_without_units_and_typo_suggestion(registry):
    routed = route([entry("obligation:9", "overdue", ()), entry("obligation:10", "overdue", ("区教育句",))],
                   registry)
    (recipient, items), = routed.items()
    assert recipient.email == SECTION
    messages = " ".join(e.message for e in items)
    assert "未明确责任单位" in messages
    assert "区教育句" in messages and "区教育局" in messages  # the registry's suggestion is passed on


# --------------------------------------------------------------------------- digests


def test_digest_order_subject_and_parts(registry):
    entries = [e for e in sample_entries() if e.state in ("overdue", "due_soon", "warning", "escalated")]
    recipient = Recipient("jyj@cn.gov.test", "区教育局")
    digest = build_digest(recipient, entries, as_of=AS_OF, sender=Sender("noreply@cn.gov.test"))
    assert [e.state for e in digest.entries] == ["escalated", "overdue", "due_soon", "warning"]
    assert "长宁区" in digest.subject and "4项" in digest.subject and "2026年5月1日" in digest.subject
    message = message_from_bytes(digest.as_bytes(), policy=default)
    assert message["Subject"] == digest.subject
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert body.index("已升级督办") < body.index("已逾期") < body.index("即将到期") < body.index("检查发现的问题")
        assert "《长宁区2026年政务公开工作方案》（长府办〔2026〕8号）" in body
        assert "已逾期3天" in body and "剩余20天" in body and "2026年6月30日" in body
        assert "报送第二季度政务公开工作进展情况" in body
    # Deterministic: same run date, recipient and content → same Message-ID.
    again = build_digest(recipient, list(reversed(entries)), as_of=AS_OF, sender=Sender("noreply@cn.gov.test"))
    assert again.message_id == digest.message_id
    later = build_digest(recipient, entries, as_of=date(2026, 6, 11), sender=Sender("noreply@cn.gov.test"))
    assert later.message_id != digest.message_id


def test_summary_counts_by_unit():
    summary = district_summary(sample_entries(), "长宁区", AS_OF, [("区教育局", 1)])
    assert summary.counts["overdue"] == 1 and summary.counts["escalated"] == 1
    rows = {row.unit: row for row in summary.units}
    assert rows["区民政局"].escalated == 1 and rows["区教育局"].overdue == 1
    assert summary.earliest_due == date(2026, 5, 1)


# --------------------------------------------------------------------------- SMTP end to end


@pytest.mark.integration
def test_smtp_delivers_one_chinese_digest_per_recipient(store, registries, smtp):
    report = send_alerts(store, sample_entries(), registries, FAST, as_of=AS_OF, settings=smtp_settings(smtp))
    assert report.delivery is not None and not report.delivery.failed and report.delivery.remaining == 0
    assert "127.0.0.1" in report.destination
    received = parsed(smtp)
    assert set(received) == EXPECTED_RECIPIENTS
    assert all(len(messages) == 1 for messages in received.values()), "one digest per recipient"
    assert all(len(r.rcpt_tos) == 1 for r in smtp.received)

    edu = received["jyj@cn.gov.test"][0]
    # the subject says what changed since the last digest (issue 11)
    assert edu["Subject"] == "【长宁区政务公开】新增逾期1项，共1项提醒，其中1项已逾期，最早截止2026年6月7日"
    assert edu["To"].addresses[0].display_name == "区教育局"
    assert edu["From"].addresses[0].display_name == "长宁区政务公开科"
    assert edu["From"].addresses[0].addr_spec == "noreply@cn.gov.test"
    raw_headers = smtp.received[0].data.split(b"\r\n\r\n", 1)[0]
    assert raw_headers.isascii(), "headers are RFC 2047 encoded"
    plain = edu.get_body(("plain",)).get_content()
    html = edu.get_body(("html",)).get_content()
    assert "报送本单位年度政务公开工作计划" in plain and "报送本单位年度政务公开工作计划" in html
    assert "已逾期3天" in plain and "长府办〔2026〕8号" in html
    assert "obligation:4" not in plain  # pending is not alerted by default

    section = received[SECTION][0]
    body = section.get_body(("plain",)).get_content()
    assert "长宁区汇总" in body and "本次运行生成的提醒邮件（5封）" in body
    assert "区科委" in body and "找不到对应单位" in body
    assert "汇总" in section.get_body(("html",)).get_content()


@pytest.mark.parametrize("connections", [1, 3])
def test_sessions_share_a_batch_and_each_message_goes_once(store, registries, smtp, connections):
    """With several SMTP sessions open at once every message still reaches the server once, and the
    ledger and outbox end as with one session."""
    report = send_alerts(store, sample_entries(), registries, FAST, as_of=AS_OF,
                         settings=smtp_settings(smtp, connections=connections))
    assert report.delivery is not None and not report.delivery.failed and report.delivery.remaining == 0
    ids = [r.message().get("Message-ID") for r in smtp.received]
    assert len(ids) == len(set(ids)) == len(EXPECTED_RECIPIENTS)
    assert sorted(report.delivery.sent) == sorted(ids)
    assert set(statuses(store).values()) == {outbox_store.SENT}
    assert SmtpSettings.from_env({"GONGKAI_SMTP_HOST": "smtp.test", "GONGKAI_SMTP_CONNECTIONS": "2"}).connections == 2
    with pytest.raises(SettingsError, match="连接数"):
        SmtpSettings.from_mapping({"host": "smtp.test", "connections": 0 if connections == 1 else 99})


@pytest.mark.integration
def test_rerun_same_day_sends_nothing(store, registries, smtp):
    send_alerts(store, sample_entries(), registries, FAST, as_of=AS_OF, settings=smtp_settings(smtp))
    first = len(smtp.received)
    report = send_alerts(store, sample_entries(), registries, FAST, as_of=AS_OF, settings=smtp_settings(smtp))
    assert len(smtp.received) == first
    assert report.digests == [] and report.skipped_duplicates > 0
    assert report.delivery is not None and report.delivery.attempted == 0


def test_state_changes_repeat_interval_and_resolved_note(store, registries):
    transport = MemoryTransport()

    def run(day: date, state: str, days_left: int | None = None) -> list[str]:
        before = len(transport.sent)
        e = entry("obligation:1", state, ("区教育局",), due=date(2026, 6, 20), days_left=days_left)
        send_alerts(store, [e], registries, {"repeat_interval_days": 7}, as_of=day, transport=transport)
        return [r for _raw, rcpts in transport.sent[before:] for r in rcpts]

    assert run(date(2026, 6, 15), "due_soon", 5) == ["jyj@cn.gov.test", SECTION]
    assert run(date(2026, 6, 16), "due_soon", 4) == []  # same state, within the interval
    assert run(date(2026, 6, 21), "overdue", -1) == ["jyj@cn.gov.test", SECTION]  # state changed
    assert run(date(2026, 6, 27), "overdue", -7) == []
    assert run(date(2026, 6, 28), "overdue", -8) == ["jyj@cn.gov.test", SECTION]  # interval passed
    assert run(date(2026, 6, 29), "escalated", -9) == ["jyj@cn.gov.test", SECTION]
    # Done: a short 已办结 note once to everyone told before, then never again.
    assert sorted(run(date(2026, 6, 30), "done_late")) == sorted(["jyj@cn.gov.test", SECTION])
    raw = transport.sent[-2][0]
    note = message_from_bytes(raw, policy=default)
    assert "已办结" in note["Subject"] and "已办结，无需再办理" in note.get_body(("plain",)).get_content()
    assert run(date(2026, 7, 30), "resolved") == []


def test_policy_alert_states_and_only_to(store, registries):
    transport = MemoryTransport()
    report = send_alerts(store, sample_entries(), registries, {"alert_states": ["overdue"]}, as_of=AS_OF,
                         transport=transport, only_to="区教育局")
    assert transport.recipients() == ["jyj@cn.gov.test"]
    assert report.alertable == 1
    # --to by address, and a dry run queues and sends nothing.
    report = send_alerts(store, sample_entries(), registries, {}, as_of=AS_OF, transport=transport,
                         only_to="mzj@cn.gov.test", dry_run=True)
    assert [d.recipient.email for d in report.digests] == ["mzj@cn.gov.test"]
    assert report.delivery is None and len(transport.sent) == 1
    with store.transaction() as session:
        assert len(outbox_store.list_messages(session)) == 1


def test_missing_registry_is_reported_not_fatal(store, registries):
    other = replace(sample_entries()[0], district="静安区", key="obligation:99")
    report = send_alerts(store, [*sample_entries(), other], registries, {}, as_of=AS_OF,
                         transport=MemoryTransport())
    assert any("静安区" in error for error in report.errors)
    assert len(report.digests) == len(EXPECTED_RECIPIENTS)


# --------------------------------------------------------------------------- nothing lost, nothing twice


@pytest.mark.integration
def test_server_down_then_up_loses_and_duplicates_nothing(store, registries, smtp):
    settings_ = smtp_settings(smtp)
    smtp.stop()
    down = send_alerts(store, sample_entries(), registries, FAST, as_of=AS_OF, settings=settings_)
    assert down.delivery is not None and down.delivery.sent == [] and down.delivery.aborted
    assert "无法连接" in down.delivery.aborted
    assert down.delivery.remaining == len(EXPECTED_RECIPIENTS)
    assert set(statuses(store).values()) <= {"queued", "failed"}

    smtp.start()
    up = send_alerts(store, sample_entries(), registries, FAST, as_of=AS_OF, settings=settings_)
    assert up.queued == 0, "the same digests are already queued (same Message-IDs)"
    assert len(up.delivery.sent) == len(EXPECTED_RECIPIENTS)
    received = parsed(smtp)
    assert set(received) == EXPECTED_RECIPIENTS and all(len(v) == 1 for v in received.values())
    assert set(statuses(store).values()) == {"sent"}

    again = send_alerts(store, sample_entries(), registries, FAST, as_of=AS_OF, settings=settings_)
    assert again.digests == [] and len(smtp.received) == len(EXPECTED_RECIPIENTS)


@pytest.mark.integration
def test_undelivered_digest_is_superseded_by_next_days_digest(store, registries, smtp):
    settings_ = smtp_settings(smtp)
    smtp.stop()
    send_alerts(store, sample_entries(AS_OF), registries, FAST, as_of=AS_OF, settings=settings_)
    smtp.start()
    next_day = date(2026, 6, 11)
    report = send_alerts(store, sample_entries(next_day), registries, FAST, as_of=next_day, settings=settings_)
    assert report.superseded == len(EXPECTED_RECIPIENTS)
    received = parsed(smtp)
    assert all(len(v) == 1 for v in received.values())
    assert "已逾期4天" in received["jyj@cn.gov.test"][0].get_body(("plain",)).get_content()


@pytest.mark.integration
def test_refused_recipient_fails_then_goes_next_run(store, registries, smtp):
    smtp.refuse("jyj@cn.gov.test", "550 5.1.1 No such user")
    report = send_alerts(store, sample_entries(), registries, FAST, as_of=AS_OF, settings=smtp_settings(smtp))
    (message_id, error), = report.delivery.failed
    assert "550" in error and report.delivery.aborted is None
    assert len(report.delivery.sent) == len(EXPECTED_RECIPIENTS) - 1  # the others still went
    with store.transaction() as session:
        failed = outbox_store.get_message(session, message_id)
        assert failed.status == "failed" and failed.attempts == 1  # permanent: not retried in-run
    smtp.handler.refuse.clear()
    again = send_alerts(store, sample_entries(), registries, FAST, as_of=AS_OF, settings=smtp_settings(smtp))
    assert again.delivery.sent == [message_id]
    assert set(parsed(smtp)) == EXPECTED_RECIPIENTS


@pytest.mark.integration
def test_temporary_refusal_is_retried_with_backoff_within_the_run(store, registries, smtp):
    smtp.refuse("jyj@cn.gov.test", "451 4.3.0 Try again later", times=2)
    waits: list[float] = []
    original = alert_outbox.adeliver_outbox

    async def recording_deliver(*args, **kwargs):
        async def sleep(seconds: float) -> None:
            waits.append(seconds)

        return await original(*args, **kwargs, sleep=sleep)

    policy = {"retry_backoff_seconds": [1, 2, 4], "max_send_attempts": 5}
    alert_outbox.adeliver_outbox = recording_deliver
    try:
        report = send_alerts(store, sample_entries(), registries, policy, as_of=AS_OF,
                             settings=smtp_settings(smtp))
    finally:
        alert_outbox.adeliver_outbox = original
    assert waits == [1.0, 2.0]
    assert not report.delivery.failed and len(report.delivery.sent) == len(EXPECTED_RECIPIENTS)
    with store.transaction() as session:
        row = session.scalar(select(outbox_store.OutboxMessage).where(
            outbox_store.OutboxMessage.recipient == "jyj@cn.gov.test"))
        assert row.status == "sent" and row.attempts == 3


class Crash(BaseException):
    """Stands for the process dying (kill -9, power cut) right after the server accepted a message."""


@pytest.mark.integration
def test_crash_between_send_and_mark_sent_resends_with_same_message_id(store, registries, smtp, monkeypatch):
    real_mark_sent = outbox_store.mark_sent_many

    def crash(session, row_ids):
        raise Crash()

    # The messages the server accepted are marked sent one batch at a time: a crash before that
    # commit leaves the whole batch (all of this run's digests here) 'sending'.
    monkeypatch.setattr(outbox_store, "mark_sent_many", crash)
    with pytest.raises(Crash):
        send_alerts(store, sample_entries(), registries, FAST, as_of=AS_OF, settings=smtp_settings(smtp))
    assert len(smtp.received) == len(EXPECTED_RECIPIENTS)  # the server has them …
    first_copies = {r.rcpt_tos[0]: r for r in smtp.received}
    # … but the store does not know: they stay 'sending', no ledger rows.
    assert set(statuses(store).values()) == {"sending"}
    with store.transaction() as session:
        assert session.scalars(select(outbox_store.AlertLedger)).all() == []
    monkeypatch.setattr(outbox_store, "mark_sent_many", real_mark_sent)

    # A run right after does not take over a fresh claim (the first run might still be alive) …
    soon = send_alerts(store, sample_entries(), registries, FAST, as_of=AS_OF, settings=smtp_settings(smtp))
    assert set(statuses(store).values()) == {"sending"}
    assert soon.delivery.sent == []
    assert len(smtp.received) == len(EXPECTED_RECIPIENTS)
    # … a later run (claim older than the lease; 0 here) re-sends them: at-least-once.
    later = send_alerts(store, sample_entries(), registries, {**FAST, "sending_lease_seconds": 0},
                        as_of=AS_OF, settings=smtp_settings(smtp))
    assert len(later.delivery.sent) == len(EXPECTED_RECIPIENTS)
    for recipient, first in first_copies.items():
        copies = [r for r in smtp.received if r.rcpt_tos == [recipient]]
        assert len(copies) == 2
        assert copies[1].message()["Message-ID"] == first.message()["Message-ID"]
        assert copies[1].data == first.data, "the re-send is the same bytes"
    assert set(statuses(store).values()) == {"sent"}
    with store.transaction() as session:
        assert len(session.scalars(select(outbox_store.AlertLedger)).all()) > 0


# --------------------------------------------------------------------------- injection


@pytest.mark.integration
def test_crlf_and_html_in_names_and_titles_cannot_inject(store, registries, smtp):
    evil = entry(
        "obligation:66", "overdue", ("区科委\r\nBcc: evil@attacker.test",), due=date(2026, 6, 1), days_left=-9,
        document="<script>alert('x')</script>\r\nX-Injected: yes\r\n\r\n<b>假正文</b>",
        summary="<img src=x onerror=alert(1)>", action="</td></tr></table><h1>伪造</h1>",
    )
    report = send_alerts(store, [evil], registries, FAST, as_of=AS_OF, settings=smtp_settings(smtp))
    assert not report.delivery.failed
    assert [r.rcpt_tos for r in smtp.received] == [[SECTION]]
    raw = smtp.received[0].data
    message = smtp.received[0].message()
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert b"evil@attacker.test" not in raw.split(b"\r\n\r\n", 1)[0]
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "<h1>" not in html and "&lt;h1&gt;" in html
    plain = message.get_body(("plain",)).get_content()
    assert "X-Injected: yes" in plain  # kept as text, on the same line as the title
    assert not any(line.startswith("X-Injected") for line in plain.splitlines())

    # A recipient name or subject with CR/LF (straight into build_digest) stays one header line.
    digest = build_digest(Recipient("jyj@cn.gov.test", "区教育局\r\nBcc: evil@attacker.test"), [evil],
                          as_of=AS_OF, sender=Sender("noreply@cn.gov.test", "提醒\nX-Evil: 1"))
    headers = message_from_bytes(digest.as_bytes(), policy=default)
    assert headers["Bcc"] is None and headers["X-Evil"] is None
    assert [a.addr_spec for a in headers["To"].addresses] == ["jyj@cn.gov.test"]


@settings(max_examples=60, deadline=None)
@given(name=st.text(min_size=1, max_size=40), title=st.text(max_size=60))
def test_any_text_in_header_fields_stays_one_header(name, title):
    e = entry("obligation:1", "overdue", (name,), document=title, due=date(2026, 6, 1), days_left=-9)
    digest = build_digest(Recipient("jyj@cn.gov.test", name), [e], as_of=AS_OF,
                          sender=Sender("noreply@cn.gov.test", title))
    message = message_from_bytes(digest.as_bytes(), policy=default)
    assert [a.addr_spec for a in message["To"].addresses] == ["jyj@cn.gov.test"]
    assert message["Subject"] == digest.subject
    assert set(message.keys()) == {"Subject", "From", "To", "Date", "Message-ID", "Auto-Submitted",
                                   "X-Gongkai-As-Of", "MIME-Version", "Content-Type"}
    assert "\n" not in header_safe(name) and "\r" not in header_safe(title)


@settings(max_examples=40, deadline=None)
@given(subject=st.text(min_size=1, max_size=120), body=st.text(max_size=400), name=st.text(max_size=30))
def test_wire_form_is_what_the_stdlib_writes(subject, body, name):
    """The shortcuts of `wire_message` (cached header folds, parts without MIMEText's second pass,
    the boundary from the Message-ID) give the bytes `MIMEText`, `MIMEMultipart` and compat32 give."""
    import email.policy
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    from notifications.digest import _address_header, _boundary, _text_header, wire_message

    headers = [("Subject", _text_header(header_safe(subject))),
               ("From", _address_header(header_safe(name, 60), "noreply@cn.gov.test")),
               ("Message-ID", "<gongkai.20260610.x@cn.gov.test>"), ("Auto-Submitted", "auto-generated")]
    for parts in ([("plain", body)], [("plain", body), ("html", f"<p>{body}</p>")]):
        if len(parts) == 1:
            reference = MIMEText(parts[0][1], parts[0][0], "utf-8")
        else:
            reference = MIMEMultipart("alternative", boundary=_boundary(headers))
            for subtype, text in parts:
                reference.attach(MIMEText(text, subtype, "utf-8"))
        constructed = [(n, reference[n]) for n in list(reference.keys())]
        for n, _ in constructed:
            del reference[n]
        for n, v in [*headers, *constructed]:
            reference[n] = v
        expected = reference.as_bytes(policy=email.policy.compat32.clone(linesep="\r\n"))
        assert wire_message(headers, parts) == expected
        assert wire_message(headers, parts) == expected  # the second time from the caches


@settings(max_examples=60, deadline=None)
@given(body=st.text(alphabet=st.sampled_from("ab \r\n"), max_size=80), preamble=st.none() | st.text(
    alphabet=st.sampled_from("xy\r\n"), max_size=20))
def test_wire_generator_writes_what_bytes_generator_writes(body, preamble):
    """`_WireGenerator` writes a body in one piece: the bytes BytesGenerator writes line by line,
    whatever the line ends ("\r\n", "\r", "\n", none at the end)."""
    import email.policy
    from email.generator import BytesGenerator
    from email.message import Message
    from io import BytesIO

    from notifications.digest import _WireGenerator

    outer = Message()
    outer["Subject"] = "x"
    outer.add_header("Content-Type", "multipart/mixed", boundary="BOUNDARY")
    outer.preamble = preamble
    inner = Message()
    inner["Content-Type"] = "text/plain"
    inner.set_payload(body)
    outer.attach(inner)
    for message in (inner, outer):
        for linesep in ("\r\n", "\n"):
            policy = email.policy.compat32.clone(linesep=linesep)
            ours, theirs = BytesIO(), BytesIO()
            _WireGenerator(ours, mangle_from_=False, policy=policy).flatten(message)
            BytesGenerator(theirs, mangle_from_=False, policy=policy).flatten(message)
            assert ours.getvalue() == theirs.getvalue()


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=300))
def test_base64_body_is_the_charsets_own(text):
    from email.charset import Charset

    from notifications.digest import _base64_body

    assert _base64_body(text) == Charset("utf-8").body_encode(text)


@settings(max_examples=300, deadline=None)
@given(value=st.text(alphabet=st.sampled_from('0123456789abcdefxyzXY =;,"<>@.?\t'), max_size=160),
       name=st.sampled_from(["Message-ID", "To", "Content-Type", "X-A-Rather-Long-Header-Name-For-Folding"]))
def test_a_value_folds_as_its_form_does(value, name):
    """`_folded_as_form` (the fold of a Message-ID, boundary or To from that of its form) gives
    compat32's own fold, breaks at spaces and after ";" or "," included."""
    from email.policy import Compat32

    from notifications.digest import _WIRE, _address_header, _folded_as_form

    assert _folded_as_form(name, value) == Compat32.fold_binary(_WIRE, name, value)
    long_id = f"<gongkai.20260610.{value.replace(' ', '')[:40]}@{'d' * 30}.gov.test>"
    assert _folded_as_form(name, long_id) == Compat32.fold_binary(_WIRE, name, long_id)
    for display in (value[:30] or "x", "政务公开科" * (len(value) % 9 + 1)):  # a long name folds the To
        to = _address_header(display, "u1@d01.example.org")
        assert _folded_as_form(name, to) == Compat32.fold_binary(_WIRE, name, to)


_ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-"


@settings(max_examples=200, deadline=None)
@given(local=st.text(alphabet=st.sampled_from(_ATEXT + '."@ '), min_size=1, max_size=12),
       domain=st.text(alphabet=st.sampled_from("ab-9._"), min_size=1, max_size=10))
def test_addresses_are_written_as_the_header_registry_writes_them(local, domain):
    """The shortcut for plain addresses gives what `Address` gives, and refuses what it refuses."""
    from email.errors import MessageError
    from email.headerregistry import Address

    from notifications.digest import _checked_addr_spec

    address = f"{local}@{domain}"
    try:
        expected = Address(addr_spec=address).addr_spec
    except (ValueError, MessageError):  # the registry refuses it: so must we
        with pytest.raises((ValueError, MessageError)):
            _checked_addr_spec.__wrapped__(address)
        return
    assert _checked_addr_spec.__wrapped__(address) == expected


def test_content_hash_is_the_json_of_the_whole():
    import hashlib
    import json
    from dataclasses import asdict

    from notifications.digest import content_hash

    entries = sample_entries()
    summary = district_summary(entries, "长宁区", AS_OF, [("区教育局", 2)])
    for recipient, summ in ((Recipient("JYJ@cn.gov.test", "区教育局"), None), (Recipient(SECTION, "科"), summary)):
        payload = {"recipient": recipient.email.lower(), "entries": [asdict(e) for e in entries],
                   "summary": asdict(summ) if summ else None}
        blob = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
        assert content_hash(recipient, entries, summ) == hashlib.sha256(blob.encode("utf-8")).hexdigest()
    assert content_hash(Recipient(SECTION, "科"), [], None) == hashlib.sha256(json.dumps(
        {"recipient": SECTION, "entries": [], "summary": None}, sort_keys=True).encode()).hexdigest()


# --------------------------------------------------------------------------- settings and transport


def test_settings_from_env_yaml_and_secret_never_printed(tmp_path, monkeypatch):
    config = tmp_path / "smtp.yaml"
    config.write_text("smtp:\n  host: mail.cn.gov.test\n  port: 2525\n  security: starttls\n"
                      "  user: robot\n  password: from-file-secret\n", encoding="utf-8")
    env = {"GONGKAI_SMTP_CONFIG": str(config), "GONGKAI_SMTP_PASSWORD": "hunter2-env",
           "GONGKAI_MAIL_FROM": "长宁区政务公开科 <noreply@cn.gov.test>"}
    s = SmtpSettings.from_env(env)
    assert (s.host, s.port, s.security, s.username) == ("mail.cn.gov.test", 2525, "starttls", "robot")
    assert s.password.get_secret_value() == "hunter2-env"  # the environment wins over the file
    assert s.mail_from == "noreply@cn.gov.test" and s.mail_from_name == "长宁区政务公开科"
    for text in (repr(s), str(s), repr(s.password), str(s.password), f"{s.password}", s.describe(),
                 repr(SmtpTransport(s))):
        assert "hunter2" not in text
    assert s.scrub("535 auth failed for hunter2-env") == "535 auth failed for ***"

    plain = SmtpSettings.from_env({"GONGKAI_SMTP_HOST": "smtp.test", "GONGKAI_SMTP_SECURITY": "ssl"})
    assert plain.port == 465 and plain.password is None
    assert not SmtpSettings.from_env({}).configured
    assert SmtpSettings.from_env({"GONGKAI_OUTBOX": str(tmp_path / "o")}).outbox_dir == tmp_path / "o"
    with pytest.raises(SettingsError, match="none、starttls 或 ssl"):
        SmtpSettings.from_env({"GONGKAI_SMTP_SECURITY": "tls"})
    with pytest.raises(SettingsError) as info:
        SmtpSettings.from_env({"GONGKAI_SMTP_HOST": "h", "GONGKAI_SMTP_PASSWORD": "hunter2"})
    assert "hunter2" not in str(info.value)

    # Prefect Secret block: the module is imported only on this path (a stand-in here).
    fake = types.ModuleType("prefect.blocks.system")

    class Secret:
        @classmethod
        def load(cls, name):
            assert name == "gongkai-smtp"
            return types.SimpleNamespace(get=lambda: "block-secret")

    fake.Secret = Secret
    monkeypatch.setitem(sys.modules, "prefect.blocks.system", fake)
    s = SmtpSettings.from_env({"GONGKAI_SMTP_HOST": "h", "GONGKAI_SMTP_USER": "u",
                               "GONGKAI_SMTP_PASSWORD_BLOCK": "gongkai-smtp"})
    assert s.password == SecretStr("block-secret") and "block-secret" not in repr(s)


@pytest.mark.parametrize(("security", "use_tls", "start_tls"),
                         [("none", False, False), ("starttls", False, True), ("ssl", True, False)])
def test_security_modes_reach_aiosmtplib(security, use_tls, start_tls):
    client = SmtpTransport(SmtpSettings.from_mapping({"host": "smtp.test", "security": security}))._new_client()
    assert client.use_tls is use_tls
    # aiosmtplib keeps the start_tls choice privately; None would mean "upgrade if offered".
    assert getattr(client, "_start_tls_on_connect", start_tls) is start_tls


def test_importing_alerts_does_not_import_prefect():
    code = "import sys, notifications.outbox, cli.alerts; print('prefect' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.strip() == "False"


@pytest.mark.integration
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_smtp_login_and_wrong_password_is_not_leaked(store, registries):
    with SmtpTestServer(auth=("robot", "s3cret-pw")) as server:
        wrong = smtp_settings(server, username="robot", password="wrong-pw-123")
        report = send_alerts(store, sample_entries(), registries, FAST, as_of=AS_OF, settings=wrong)
        assert report.delivery.aborted and "登录失败" in report.delivery.aborted
        assert server.received == []
        with store.transaction() as session:
            errors = [m.last_error or "" for m in outbox_store.list_messages(session)]
        assert not any("wrong-pw-123" in e for e in errors)
        assert "wrong-pw-123" not in repr(report.to_dict())

        right = smtp_settings(server, username="robot", password="s3cret-pw")
        report = send_alerts(store, sample_entries(), registries, FAST, as_of=AS_OF, settings=right)
        assert len(report.delivery.sent) == len(EXPECTED_RECIPIENTS)
        assert set(parsed(server)) == EXPECTED_RECIPIENTS


def test_no_server_configured_writes_eml_files(store, registries, tmp_path):
    folder = tmp_path / "outbox"
    s = SmtpSettings.from_env({"GONGKAI_OUTBOX": str(folder)})
    report = send_alerts(store, sample_entries(), registries, {}, as_of=AS_OF, settings=s)
    assert str(folder) in report.destination and "未配置 SMTP 服务器" in report.destination
    files = sorted(folder.glob("*.eml"))
    assert len(files) == len(EXPECTED_RECIPIENTS)
    message = message_from_bytes(files[0].read_bytes(), policy=default)
    assert message["Subject"].startswith("【长宁区政务公开】")
    send_alerts(store, sample_entries(), registries, {}, as_of=AS_OF, settings=s)
    assert sorted(folder.glob("*.eml")) == files


def test_eml_resend_replaces_the_same_file(tmp_path):
    transport = EmlFolderTransport(tmp_path)
    raw = b"Message-ID: <gongkai.20260610.abc@x>\r\nSubject: t\r\n\r\nbody\r\n"
    asyncio.run(transport.send(raw, "a@x", ["b@x"]))
    asyncio.run(transport.send(raw, "a@x", ["b@x"]))
    assert [p.name for p in tmp_path.iterdir()] == ["gongkai.20260610.abc.eml"]


@pytest.mark.parametrize("reuse", [True, False])
@pytest.mark.integration
def test_send_messages_with_and_without_connection_reuse(smtp, reuse):
    digests = [build_digest(Recipient(f"u{i}@cn.gov.test", f"单位{i}"), [sample_entries()[0]], as_of=AS_OF,
                            sender=Sender("noreply@cn.gov.test")) for i in range(5)]
    results = asyncio.run(send_messages([d.message for d in digests], smtp_settings(smtp), reuse_connection=reuse))
    assert all(r.ok for r in results)
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == sorted(f"u{i}@cn.gov.test" for i in range(5))


def test_send_alerts_from_inside_an_event_loop(store, registries):
    transport = MemoryTransport()

    async def flow():
        return send_alerts(store, sample_entries(), registries, {}, as_of=AS_OF, transport=transport)

    report = asyncio.run(flow())
    assert len(report.delivery.sent) == len(EXPECTED_RECIPIENTS)


def test_queue_then_deliver_separately(store, registries):
    report = send_alerts(store, sample_entries(), registries, {}, as_of=AS_OF, transport=MemoryTransport(),
                         dry_run=True)
    queued, _ = queue_digests(store, "manual", report.digests)
    assert queued == len(EXPECTED_RECIPIENTS)
    assert queue_digests(store, "manual", report.digests) == (0, 0)
    transport = MemoryTransport()
    delivery = deliver_outbox(store, transport, alert_policy({}))
    assert sorted(transport.recipients()) == sorted(EXPECTED_RECIPIENTS) and delivery.remaining == 0


# --------------------------------------------------------------------------- CLI


def test_cli_alerts_and_outbox(tmp_path, monkeypatch, registries):

    pipeline = types.ModuleType("pipeline.alerts")
    pipeline.collect_alert_entries = lambda store, as_of: (sample_entries(as_of), registries)
    pipeline.current_policy = lambda: {"retry_backoff_seconds": [0]}
    monkeypatch.setitem(sys.modules, "pipeline.alerts", pipeline)
    for var in ("GONGKAI_SMTP_HOST", "GONGKAI_SMTP_CONFIG", "GONGKAI_SMTP_PASSWORD_BLOCK"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GONGKAI_OUTBOX", str(tmp_path / "out"))
    monkeypatch.setenv("COLUMNS", "200")
    from cli.main import app  # the registered commands, with the CLI's bad-input handling
    db = str(tmp_path / "cli.db")
    runner = CliRunner()

    result = runner.invoke(app, ["outbox", "--db", db])
    assert result.exit_code == 0 and "发件箱为空" in result.output
    result = runner.invoke(app, ["alerts", "--as-of", "2026-06-10", "--dry-run", "--db", db])
    assert result.exit_code == 0, result.output
    assert "试运行" in result.output and "区教育局" in result.output
    assert not (tmp_path / "out").exists()
    result = runner.invoke(app, ["alerts", "--as-of", "2026-06-10", "--db", db])
    assert result.exit_code == 0, result.output
    assert "邮件写入文件夹" in result.output and str(tmp_path / "out") in result.output
    assert len(list((tmp_path / "out").glob("*.eml"))) == len(EXPECTED_RECIPIENTS)
    result = runner.invoke(app, ["outbox", "--db", db])
    # no SMTP server: the outbox says the mail was written to files, not sent (issue 11)
    assert result.exit_code == 0 and f"已写入文件 {len(EXPECTED_RECIPIENTS)} 封" in result.output
    result = runner.invoke(app, ["alerts", "--as-of", "2026-6-x", "--db", db])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output


def test_long_digest_lists_the_most_urgent_and_counts_the_rest() -> None:
    recipient = Recipient("zwgkk@changning.example.org", "区政府办公室政务公开科", True)
    entries = [
        AlertEntry(key=f"obligation:{n}", kind="obligation", state="escalated", district="长宁区",
                   units=("区教育局",), document="2026年工作方案", item=str(n), summary=f"第{n}项任务",
                   due=date(2026, 5, 1 + n % 28), days_left=-30 - n, action="报送材料")
        for n in range(25)
    ]
    digest = build_digest(recipient, entries, as_of=AS_OF, sender=Sender("noreply@cn.gov.test"), max_per_section=20)
    text = digest.message.get_body(preferencelist=("plain",)).get_content()
    html = digest.message.get_body(preferencelist=("html",)).get_content()
    assert "（25项，以下列出最紧急的20项）" in text
    assert "另有5项未列出" in text and "另有5项未列出" in html
    # the most overdue are the ones listed
    assert "第24项任务" in text and "第0项任务" not in text


def test_templates_compile_when_their_cache_cannot_be_written(tmp_path) -> None:
    """The compiled-template cache is only a shortcut: a directory it cannot write to (or a cached
    file it cannot read) means compiling again, the same text."""
    from jinja2 import Environment, FileSystemLoader

    from notifications.digest import TEMPLATES, _CompiledTemplates, _summary_view

    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), bytecode_cache=_CompiledTemplates(str(blocked)))
    plain = Environment(loader=FileSystemLoader(str(TEMPLATES)))
    source = "summary.txt.j2"
    summary = _summary_view(district_summary(sample_entries(), "长宁区", AS_OF, [("区教育局", 2)]))
    assert env.get_template(source).render(summary=summary) == plain.get_template(source).render(summary=summary)


class _CountedRepr:
    """A result that counts how often something reprs it."""

    def __init__(self) -> None:
        self.reprs = 0

    def __repr__(self) -> str:
        self.reprs += 1
        return "<counted>"


def test_a_runs_result_is_handed_back_without_being_repred() -> None:
    """asyncio.run on the main thread looks its SIGINT handler up at the end, and that reprs the
    main task with its result: the alert report of a whole night (20 000 entries). `_run` hands
    the result back beside the task, from a sync caller and from inside a running loop."""
    from notifications.outbox import _run

    async def produce() -> _CountedRepr:
        return _CountedRepr()

    result = _run(produce)
    assert isinstance(result, _CountedRepr) and result.reprs == 0

    async def inside_a_loop() -> _CountedRepr:
        return _run(produce)

    nested = _run(inside_a_loop)
    assert isinstance(nested, _CountedRepr) and nested.reprs == 0


def test_a_digest_over_many_plans_names_a_few_above_the_rows() -> None:
    """A 政务公开科 hears of sixty units' own plans: the line above the rows names the district's
    numbered plan and two more and counts the rest; every row names its own file."""
    section = Recipient("zwgkk@changning.example.org", "区政府办公室政务公开科", True)
    units = ["区教育局", "区民政局", "区财政局", "区司法局"]
    entries = [
        AlertEntry(key=f"obligation:{u}", kind="obligation", state="overdue", district="长宁区", units=(u,),
                   document=f"2026年长宁{u.removeprefix('区')}政务公开工作计划", doc_key=f"{u}:2026:计划", item="1",
                   summary=f"{u}第1项任务", due=date(2026, 5, 31), days_left=-30, action="完成第1项任务")
        for u in units
    ] + [AlertEntry(key="obligation:plan", kind="obligation", state="due_soon", district="长宁区", units=("区体育局",),
                    document="长宁区2026年政务公开工作方案", doc_number="长府办〔2026〕8号", item="4",
                    summary="第4项任务", due=date(2026, 6, 30), days_left=5, action="报送材料")]
    digest = build_digest(section, entries, as_of=AS_OF, sender=Sender("noreply@cn.gov.test"))
    for part in ("plain", "html"):
        body = digest.message.get_body(preferencelist=(part,)).get_content()
        line = next(line for line in body.splitlines() if "来源文件：《" in line and "等5份文件" in line)
        assert line.count("《") == 3 and "《长宁区2026年政务公开工作方案》（长府办〔2026〕8号）" in line
        assert all(f"《2026年长宁{u.removeprefix('区')}政务公开工作计划》" in body for u in units)  # on their rows
    text = digest.message.get_body(preferencelist=("plain",)).get_content()
    assert "等5份文件（各条目注明所属文件）\n\n" in text
