"""Issue 11: what offices owe through the year, and mail they would act on — the bars reproduced
on the seed samples through the real code paths (the `gongkai` CLI, the alert run, the digests)."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import date, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from notifications.digest import NEW_LATE_TITLE, Sender, _sections
from notifications.outbox import plan_digests
from pipeline.alerts import collect_alert_entries, finding_entries
from pipeline.checks import check_documents
from pipeline.ingest import ingest_files
from pipeline.obligations import alert_entries, obligation_status
from rules.obligations import UNDATED_PHRASE

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
CITY = SAMPLES / "shanghai-2026-municipal-plan.txt"
CHANGNING = SAMPLES / "changning-2026-district-plan.txt"
CHANGNING_2025 = SAMPLES / "changning-2025-task-table.txt"
BAOSHAN = SAMPLES / "baoshan-2023-work-points-with-table.txt"
MID_2026 = date(2026, 6, 30)
SECTION = "区政府办公室政务公开科"
SENDER = Sender("gongkai@example.org")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    for var in ("GONGKAI_SMTP_HOST", "GONGKAI_SMTP_CONFIG", "GONGKAI_POLICY", "GONGKAI_DB", "GONGKAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GONGKAI_OUTBOX", str(tmp_path / "outbox"))


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    """The city plan, Changning 2025 and 2026 and Baoshan 2023, ingested once (ingest derives)."""
    from store.db import open_store

    store = open_store(str(tmp_path_factory.mktemp("duties") / "gongkai.db"))
    ingest_files(store, [CITY, CHANGNING, CHANGNING_2025, BAOSHAN])
    yield store
    store.dispose()


def _emails(folder: Path) -> list:
    return [message_from_bytes(p.read_bytes(), policy=default) for p in sorted(folder.glob("*.eml"))]


def test_ingest_then_alerts_sends_the_mails_with_nothing_in_between(tmp_path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "gongkai.db")
    ingested = runner.invoke(app, ["ingest", str(BAOSHAN), "--db", db])
    assert ingested.exit_code == 0, ingested.output
    sent = runner.invoke(app, ["alerts", "--as-of", "2023-06-22", "--db", db, "--json"])
    assert sent.exit_code == 0, sent.output
    report = json.loads(sent.output)
    # every office named in the plan owes its own plan by item 38's window (2023-06-21): one
    # digest each, and the 政务公开科's
    assert len(report["digests"]) == 56
    assert report["delivery"]["sent"] == 56
    mails = _emails(tmp_path / "outbox")
    assert len(mails) == 56
    listed = runner.invoke(app, ["outbox", "--db", db, "--json"])
    outbox = json.loads(listed.output)
    assert outbox["counts"] == {"sent": 56}
    assert all(m["status_label"] == "已写入文件" and Path(m["file"]).is_file() for m in outbox["messages"])
    text = runner.invoke(app, ["outbox", "--db", db, "--limit", "3"]).output
    assert "已写入文件" in text and "已发送" not in text


def test_changning_2026_every_item_owes_something(samples) -> None:
    statuses = obligation_status(samples, MID_2026, doc_key="长府办〔2026〕8号")
    items = defaultdict(list)
    for status in statuses:
        items[status.item].append(status)
    assert {i for i in items if i is not None} == set(range(1, 23))
    undated = [s for s in statuses if s.phrase == UNDATED_PHRASE]
    assert undated and all(s.due == date(2026, 12, 31) and s.kind == "yearly" for s in undated)
    # items with deadlines of their own keep them (item 4: each quarter; item 17: 每年)
    assert {s.period for s in items[4]} >= {"2026Q2", "2026Q3", "2026Q4"}
    assert all(s.phrase != UNDATED_PHRASE for s in items[4] + items[17])


def test_baoshan_2023_is_closed_by_2026(samples, tmp_path) -> None:
    statuses = obligation_status(samples, MID_2026, doc_key="宝府办〔2023〕15号")
    assert statuses and {s.state for s in statuses} <= {"closed_unfinished", "done_on_time", "done_late"}
    assert all(s.closed_on is not None and s.light == "green" for s in statuses)
    assert not [e for e in alert_entries(samples, MID_2026) if "宝府办〔2023〕15号" in e.key]
    # in 2023 the same duties were overdue and escalated
    before = Counter(s.state for s in obligation_status(samples, date(2023, 8, 1), doc_key="宝府办〔2023〕15号"))
    assert before["escalated"] > 0

    runner = CliRunner()
    db = str(tmp_path / "baoshan.db")
    assert runner.invoke(app, ["ingest", str(BAOSHAN), "--db", db]).exit_code == 0
    shown = runner.invoke(app, ["status", "--year", "2023", "--all", "--as-of", "2026-06-30", "--json", "--db", db])
    report = json.loads(shown.output)
    assert report["counts"]["closed_unfinished"] == len(statuses)
    assert report["counts"]["overdue"] == report["counts"]["escalated"] == 0
    assert report["obligations"] and report["matching"] == len(statuses)
    # by default `status` lists what needs attention now: nothing in a closed year
    default = json.loads(runner.invoke(
        app, ["status", "--as-of", "2026-06-30", "--json", "--db", db]).output)
    assert default["matching"] == 0 and default["obligations"] == []
    text = runner.invoke(app, ["status", "--year", "2023", "--all", "--as-of", "2026-06-30", "--limit", "5",
                               "--db", db], env={"COLUMNS": "400"}).output
    assert "年度已结束未完成" in text and "宝府办〔2023〕15号" in text
    sent = json.loads(runner.invoke(app, ["alerts", "--as-of", "2026-06-30", "--db", db, "--json"]).output)
    assert sent["digests"] == []


def test_drafting_findings_reach_only_the_section(tmp_path, policy) -> None:
    from store.db import open_store

    store = open_store(str(tmp_path / "gongkai.db"))
    ingest_files(store, [BAOSHAN])
    check_documents("宝府办〔2023〕15号", None, policy=policy, store=store, kind="nightly", as_of=date(2023, 6, 22))
    early = [e for e in finding_entries(store, date(2023, 6, 22)) if ":DEADLINE_BEFORE_ISSUE:" in e.key]
    assert early and all(e.units == (SECTION,) for e in early)
    entries, registries = collect_alert_entries(store, date(2023, 6, 22), policy)
    digests = plan_digests(store, entries, registries, policy, as_of=date(2023, 6, 22), sender=SENDER)
    told = {d.recipient.name for d in digests for e in d.entries if ":DEADLINE_BEFORE_ISSUE:" in e.key}
    assert told == {SECTION}
    store.dispose()


def test_a_closed_plans_findings_are_not_mailed(tmp_path, policy) -> None:
    """Once a plan's year has closed (policy plan_close), its findings go out no more, as its
    duties do not: the 宝山 2023 plan's 时限 problems are history by 2026."""
    from rules.obligation_states import plan_close_day
    from store.db import open_store
    from workdays import default_calendar

    store = open_store(str(tmp_path / "gongkai.db"))
    ingest_files(store, [BAOSHAN])
    check_documents("宝府办〔2023〕15号", None, policy=policy, store=store, kind="nightly", as_of=date(2023, 6, 22))
    closes = plan_close_day(2023, policy, default_calendar())
    assert closes is not None and date(2024, 4, 1) < closes < date(2024, 5, 1)

    def findings_on(day: date, pol=policy) -> list:
        entries, _ = collect_alert_entries(store, day, pol)
        return [e for e in entries if e.kind == "finding"]

    assert findings_on(closes - timedelta(days=1))  # the last day of its year: still mailed
    assert findings_on(closes) == [] and findings_on(date(2026, 12, 4)) == []
    # plans that never close keep their findings; without a policy every latest run is read
    assert findings_on(date(2026, 12, 4), policy.with_overrides({"plan_close": "never"}))
    assert finding_entries(store, date(2026, 12, 4))
    store.dispose()


def _rows(digest) -> list[tuple[str, str]]:
    """(section title, item label) per row of the plain-text part."""
    text = digest.message.get_body(("plain",)).get_content()
    rows, title = [], ""
    for line in text.splitlines():
        if line.startswith("【"):
            title = line
        elif m := re.match(r"^\d+\. (第\d+项)?", line):
            rows.append((title, m.group(1) or line))
    return rows


def test_digest_structure_rows_per_item_and_links(samples, policy, monkeypatch) -> None:
    entries, registries = collect_alert_entries(samples, MID_2026, policy, districts=["长宁区"])
    digests = plan_digests(samples, entries, registries, policy, as_of=MID_2026, sender=SENDER)
    section = next(d for d in digests if d.recipient.is_transparency_section)
    rows = _rows(section)
    assert rows, "the 政务公开科 hears about Changning's overdue duties"
    # one row per item: each item named at most once per section of the digest
    per_section = Counter(rows)
    assert max(per_section.values()) == 1, per_section.most_common(3)
    assert len(rows) < len(section.entries)  # rows were grouped, not one per unit
    text = section.message.get_body(("plain",)).get_content()
    assert "未完成单位" in text and NEW_LATE_TITLE in text and "gongkai status" not in text
    assert "新增逾期" in section.subject
    # a unit digest: its own duties once each, its name and the source file not repeated per row
    unit = next(d for d in digests if not d.recipient.is_transparency_section and len(d.entries) > 1)
    body = unit.message.get_body(("plain",)).get_content()
    assert body.count(f"责任单位：{unit.recipient.name}") == 0
    assert body.count("来源文件") == 1
    assert len({e.key for e in unit.entries}) == len(unit.entries)

    # with the dashboard's base URL every row links to its page
    monkeypatch.setenv("GONGKAI_BASE_URL", "http://dash.example:8000/")
    linked_entries, registries = collect_alert_entries(samples, MID_2026, policy, districts=["长宁区"])
    linked = plan_digests(samples, linked_entries, registries, policy, as_of=MID_2026, sender=SENDER)
    for digest in linked:
        for sec in _sections(digest.entries, MID_2026, 1000, by_item=digest.recipient.is_transparency_section,
                             own=digest.recipient.name):
            assert all(row["link"].startswith("http://dash.example:8000/") for row in sec["entries"])
        html = digest.message.get_body(("html",)).get_content()
        assert 'href="http://dash.example:8000/' in html


def test_a_lead_units_digest_counts_the_rows_it_lists(samples, policy) -> None:
    """区政府办公室 leads item 4: late in the year it gets copies of every unit's overdue quarterly
    duty, one row per item. Its subject and greeting count what it reads, not the copies."""
    as_of = date(2026, 12, 4)
    entries, registries = collect_alert_entries(samples, as_of, policy, districts=["长宁区"])
    digests = plan_digests(samples, entries, registries, policy, as_of=as_of, sender=SENDER)
    lead = next(d for d in digests if d.recipient.name == "区政府办公室")
    rows = _rows(lead)
    assert len(rows) < len(lead.entries)  # other units' duties were grouped by item
    text = lead.message.get_body(("plain",)).get_content()
    html = lead.message.get_body(("html",)).get_content()
    assert f"关注的事项共{len(rows)}项（含{len(lead.entries)}项单位事项，按任务归并）" in text
    assert f"关注的事项共<strong>{len(rows)}</strong>项（含{len(lead.entries)}项单位事项，按任务归并）" in html
    # the subject counts the rows too, all of them new and late here, and says what they stand for
    new_late_rows = sum(1 for title, _ in rows if NEW_LATE_TITLE in title)
    assert new_late_rows == len(rows)
    assert lead.subject == (f"【长宁区政务公开】新增逾期{len(rows)}项，共{len(rows)}项提醒，其中{len(rows)}项已逾期，"
                            f"最早截止2026年6月7日（含{len(lead.entries)}项单位事项）")
    assert f"【{NEW_LATE_TITLE}】（{new_late_rows}项）" in text
    # the row of other units' copies says who has not done it
    assert re.search(r"未完成单位（\d+个）：", text) and re.search(r"未完成单位（\d+个）：", html)
    # a unit without copies: one row per duty, nothing said about grouping
    plain = next(d for d in digests if d.recipient.name == "区教育局")
    assert len(_rows(plain)) == len(plain.entries)
    assert "归并" not in plain.message.get_body(("plain",)).get_content()
