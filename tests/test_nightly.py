"""The nightly run and the finding alerts as plain functions, and the flows once in-process."""

from __future__ import annotations

import gc
import os
from datetime import date
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from notifications.transport import EmlFolderTransport
from pipeline import filings, report
from pipeline import nightly as steps
from pipeline.alerts import (
    _issuer_unit,
    collect_alert_entries,
    finding_entries,
    finding_key,
)
from pipeline.checks import check_documents
from pipeline.ingest import ingest_files
from store.checks import CheckRun, alertable_runs
from store.db import open_store
from store.documents import DocumentRecord
from tests.drafts import make_draft

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
CITY = SAMPLES / "shanghai-2026-municipal-plan.txt"
CHANGNING = SAMPLES / "changning-2026-district-plan.txt"
JINGAN = SAMPLES / "jingan-2025-work-points.txt"
AS_OF = date(2026, 11, 22)
SECTION = "区政府办公室政务公开科"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    # Mail goes to a temporary .eml folder; no inherited SMTP server or policy file.
    for var in ("GONGKAI_SMTP_HOST", "GONGKAI_SMTP_CONFIG", "GONGKAI_POLICY", "GONGKAI_DB"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GONGKAI_OUTBOX", str(tmp_path / "outbox"))


@pytest.fixture
def samples_store(store):
    # The city plan, Changning's 2026 plan and Jing'an's 2025 plan: three levels of findings and
    # a district whose units owe filings, without the thousands of long-overdue 2023/2025
    # obligations of the other samples (they make a run slow, not more telling).
    ingest_files(store, [CITY, CHANGNING, JINGAN])
    return store


@pytest.fixture
def draft(tmp_path) -> Path:
    # Items 5 and 9 of the Changning plan take up city items 12 and 16.
    return make_draft(CHANGNING, tmp_path / "changning-draft.txt", delete=(5, 9))


def eml_recipients(folder: Path) -> list[str]:
    out = []
    for path in sorted(folder.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=default)
        out.append(message["To"].addresses[0].addr_spec)
    return out


# --------------------------------------------------------------------------- finding entries


def test_finding_entries_from_the_latest_check(store, policy) -> None:
    ingest_files(store, [CITY, CHANGNING])
    check_documents("长府办〔2026〕8号", None, policy=policy, store=store, kind="nightly", as_of=AS_OF)
    entries = finding_entries(store, AS_OF)
    by_code = {e.key.split(":")[2]: e for e in entries}
    # Info findings (items without a deadline) do not alert.
    assert sorted(by_code) == ["PLAN_ISSUED_LATE", "UNKNOWN_UNIT"]
    late = by_code["PLAN_ISSUED_LATE"]
    # A plan-wide finding goes to the office that drafts the plan, not to the city's units.
    assert late.units == (SECTION,) and late.state == "warning" and late.district == "长宁区"
    assert late.key == finding_key("长府办〔2026〕8号", "PLAN_ISSUED_LATE", None, None, [SECTION])
    assert late.key == f"finding:长府办〔2026〕8号:PLAN_ISSUED_LATE:::{SECTION}"
    unknown = by_code["UNKNOWN_UNIT"]
    # a misspelt unit is the drafter's to fix: the 政务公开科, not the unit (issue 11)
    assert unknown.units == (SECTION,) and unknown.item == "22"
    assert unknown.action and "区城运中心" in unknown.message
    assert unknown.doc_number == "长府办〔2026〕8号" and unknown.summary


def test_drafting_finding_goes_to_the_drafter_not_the_items_units(store, policy) -> None:
    ingest_files(store, [SAMPLES / "baoshan-2023-work-points-with-table.txt"])
    check_documents("宝府办〔2023〕15号", None, policy=policy, store=store, kind="nightly", as_of=AS_OF)
    early = [e for e in finding_entries(store, AS_OF) if ":DEADLINE_BEFORE_ISSUE:" in e.key]
    assert early, "the Baoshan plan has deadlines before its issue date"
    assert all(e.state == "error" for e in early)
    # how the plan is drafted is the drafter's business (issue 11): the 政务公开科, not item 22's units
    assert all(e.units == (SECTION,) for e in early)
    assert any(e.item == "22" for e in early)


def test_drafts_and_old_runs_do_not_alert_by_default(store, policy, draft) -> None:
    ingest_files(store, [CITY, CHANGNING])
    check_documents("长府办〔2026〕8号", None, policy=policy, store=store, kind="nightly", as_of=AS_OF)
    summary = filings.check_filing(store, draft, AS_OF, policy)
    codes = {e.key.split(":")[2] for e in finding_entries(store, AS_OF)}
    assert "MISSING_MANDATED_ITEM" not in codes  # the draft's findings stay out of the nightly alerts
    draft_entries = finding_entries(store, AS_OF, run_ids=[summary["run_id"]])
    assert {e.key.split(":")[2] for e in draft_entries} >= {"MISSING_MANDATED_ITEM", "PLAN_ISSUED_LATE"}
    # A run dated after as_of does not count for as_of.
    with store.transaction() as session:
        assert alertable_runs(session, date(2026, 1, 1)) == []


def test_issuer_unit_of_a_unit_plan() -> None:
    record = DocumentRecord(issuer="上海市长宁区教育局", place="长宁区", level="unit")
    assert _issuer_unit(record) == "区教育局"
    street = DocumentRecord(issuer="上海市长宁区华阳路街道办事处", place="长宁区", level="unit")
    assert _issuer_unit(street) == "华阳路街道"
    assert _issuer_unit(DocumentRecord(issuer="", place="长宁区", level="unit")) is None


def test_collect_alert_entries_with_registries(samples_store, policy) -> None:
    steps.check_district(samples_store, "长宁区", AS_OF, policy)
    entries, registries = collect_alert_entries(samples_store, AS_OF, policy)
    districts = {e.district for e in entries}
    assert "长宁区" in districts
    assert set(registries) == districts
    assert registries["长宁区"].district == "长宁区"
    only, _ = collect_alert_entries(samples_store, AS_OF, policy, districts=["静安区"])
    assert {e.district for e in only} <= {"静安区"}


# --------------------------------------------------------------------------- nightly steps


def test_run_nightly_over_the_samples(samples_store, policy, tmp_path) -> None:
    outbox = tmp_path / "eml"
    summary = steps.run_nightly(samples_store, AS_OF, policy, transport=EmlFolderTransport(outbox))
    assert summary["failed"] == {}
    assert sorted(summary["districts"]) == ["长宁区", "静安区"]
    assert summary["plans"] == 2
    changning = summary["districts"]["长宁区"]
    assert [p["key"] for p in changning["plans"]] == ["长府办〔2026〕8号"]
    assert changning["plans"][0]["directive"] == "沪府办字〔2026〕5号"
    assert {r["code"] for r in changning["findings"]} == {"PLAN_ISSUED_LATE", "UNKNOWN_UNIT"}
    # 静安's 2025 要点 closed in April: its findings are kept in the report, marked as history
    jingan = summary["districts"]["静安区"]["findings"]
    assert jingan and all(r["closed"] for r in jingan) and not any(r["closed"] for r in changning["findings"])
    written = report.write_report(summary, tmp_path / "nightly.md").read_text(encoding="utf-8")
    assert "| 静安区 | 静府办发〔2025〕4号（年度已结束） |" in written
    closed_errors = sum(1 for r in jingan if r["severity"] == "error")
    assert f"其中往年已结束的方案：错误 {closed_errors} 项（仅供查阅，不再提醒）。" in written
    assert "| 长宁区 | 长府办〔2026〕8号 |" in written
    # Obligations were derived and evaluated: on 22 November the units' own plans are long overdue.
    assert summary["obligations"].get("escalated", 0) > 0
    assert summary["counts"]["error"] == sum(r["counts"]["error"] for r in summary["districts"].values())
    # the most urgent, one row per item and state: the units late with their own plans are one
    # row naming them all, not ten rows of the same duty
    urgent = summary["urgent"]
    assert len({(r["state"], r["item"], r["action"]) for r in urgent}) == len(urgent) < 10
    assert sum(r["count"] for r in urgent) > 40 + len(urgent)
    late_plans = urgent[0]
    assert late_plans["state"] == "escalated" and late_plans["item"] == "" and late_plans["count"] > 40
    assert len(late_plans["units"]) == late_plans["count"]
    alerts = summary["alerts"]
    assert alerts["sent"] == alerts["digests"] > 0
    assert "zwgkk@changning.example.org" in eml_recipients(outbox)
    # Checks are stored, one nightly run per plan.
    with samples_store.transaction() as session:
        assert session.query(CheckRun).filter_by(kind="nightly").count() == 2
    # A second night on the same day tells nobody twice.
    again = steps.run_nightly(samples_store, AS_OF, policy, transport=EmlFolderTransport(outbox))
    assert again["alerts"]["sent"] == 0 and again["alerts"]["skipped_duplicates"] > 0


def test_a_night_freezes_its_starting_heap_and_leaves_nothing_frozen(samples_store, policy, tmp_path) -> None:
    """The objects a night starts with sit out its garbage collections, and only during it."""
    frozen_during: list[int] = []
    night = steps.NightlySteps(
        derive=lambda: frozen_during.append(gc.get_freeze_count()) or {},
        districts=lambda names: ({}, {}),
        alerts=lambda names: {},
    )
    assert gc.get_freeze_count() == 0
    steps.nightly_sequence(samples_store, AS_OF, night)
    assert frozen_during and frozen_during[0] > 0
    assert gc.get_freeze_count() == 0

    def failing() -> tuple[dict, dict]:
        raise MemoryError("a step that ends the night")

    with pytest.raises(MemoryError):
        steps.nightly_sequence(samples_store, AS_OF, steps.NightlySteps(
            derive=lambda: {}, districts=lambda names: failing(), alerts=lambda names: {}))
    assert gc.get_freeze_count() == 0

    # The alert stage freezes too, also inside a night: the inner block leaves the outer's frozen.
    with steps.heap_frozen():
        outer = gc.get_freeze_count()
        with steps.heap_frozen():
            pass
        assert outer > 0 and gc.get_freeze_count() > 0  # (objects freed meanwhile leave the count)
    assert gc.get_freeze_count() == 0


def _without_timings(summary: dict) -> dict:
    out = {k: v for k, v in summary.items() if k != "seconds"}
    # where the mail went differs (each night has its own folder); what went out must not
    out["alerts"] = {k: v for k, v in summary["alerts"].items() if k not in ("destination", "outbox_dir")}
    out["districts"] = {d: {k: v for k, v in r.items() if k not in ("seconds",)}
                        for d, r in summary["districts"].items()}
    for result in out["districts"].values():
        for plan in result["plans"]:
            plan.pop("run_id", None)
    return out


def test_districts_in_two_processes_give_the_same_night(store, policy, tmp_path) -> None:
    """Each district checked in a worker process: the same findings, counts, obligations and
    alerts as one process (on two copies of the same store), and a failing district is kept apart."""
    import shutil

    ingest_files(store, [CITY, CHANGNING, JINGAN])
    db = Path(store.url.removeprefix("sqlite:///"))
    store.dispose()
    copies = {}
    for workers in (1, 2):
        copy = tmp_path / f"w{workers}.db"
        shutil.copy(db, copy)
        copies[workers] = open_store(str(copy))
    try:
        nights = {w: steps.run_nightly(s, AS_OF, policy, transport=EmlFolderTransport(tmp_path / f"eml{w}"),
                                       workers=w) for w, s in copies.items()}
        assert nights[2]["failed"] == {} and nights[2]["plans"] == 2
        assert _without_timings(nights[2]) == _without_timings(nights[1])
        assert sorted(eml_recipients(tmp_path / "eml2")) == sorted(eml_recipients(tmp_path / "eml1"))
        # Stored as in one process: one nightly run per plan.
        with copies[2].transaction() as session:
            assert session.query(CheckRun).filter_by(kind="nightly").count() == 2
    finally:
        for s in copies.values():
            s.dispose()


@pytest.mark.parametrize("workers", [1, 2])
def test_one_failing_district_does_not_stop_the_others(samples_store, policy, monkeypatch, tmp_path,
                                                       workers) -> None:
    import pipeline.checks

    real = pipeline.checks.check_plan

    def flaky(plan, directive, **kwargs):
        if plan.place == "静安区":
            raise RuntimeError("磁盘坏了")
        return real(plan, directive, **kwargs)

    monkeypatch.setattr(pipeline.checks, "check_plan", flaky)
    summary = steps.run_nightly(samples_store, AS_OF, policy, transport=EmlFolderTransport(tmp_path / "eml"),
                                workers=workers)
    assert list(summary["failed"]) == ["静安区"]
    assert "静府办发〔2025〕4号" in summary["failed"]["静安区"] and "磁盘坏了" in summary["failed"]["静安区"]
    assert sorted(summary["districts"]) == ["长宁区"]
    # The failed district's (stale) findings are not alerted.
    assert all(e["district"] != "静安区" for e in summary["urgent"])
    assert "运行失败的区" in report.render_markdown(summary)


def test_check_filing_of_a_draft(store, policy, draft, tmp_path) -> None:
    ingest_files(store, [CITY])
    summary = filings.check_filing(store, draft, AS_OF, policy)
    findings = summary["districts"]["长宁区"]["findings"]
    missing = sorted(r["directive_item"] for r in findings if r["code"] == "MISSING_MANDATED_ITEM")
    assert missing == [12, 16]
    assert any(r["code"] == "PLAN_ISSUED_LATE" for r in findings)
    assert summary["has_errors"] and summary["directive"]["doc_number"] == "沪府办字〔2026〕5号"
    assert summary["alerted"] is False  # data/policy.yaml: drafts_alert: false
    assert not (tmp_path / "outbox").exists()
    with store.transaction() as session:
        run = session.get(CheckRun, summary["run_id"])
        assert run.kind == "draft" and session.get(DocumentRecord, run.plan_document_id).is_draft
    # When the policy says drafts alert, the 政务公开科 hears about the missing items.
    outbox = tmp_path / "eml"
    alerted = filings.check_filing(store, draft, AS_OF, policy.with_overrides({"drafts_alert": True}),
                                 transport=EmlFolderTransport(outbox))
    assert alerted["alerted"] and alerted["alerts"]["sent"] > 0
    assert "zwgkk@changning.example.org" in eml_recipients(outbox)


def test_ingest_directive_finds_the_plans_under_it(store, policy) -> None:
    ingest_files(store, [CHANGNING, SAMPLES / "jingan-2025-work-points.txt"])
    info = filings.ingest_directive_file(store, CITY)
    assert info["doc_number"] == "沪府办字〔2026〕5号" and info["level"] == "municipal"
    assert list(info["plans"]) == ["长宁区"]  # Jing'an's 2025 plan answers to another year
    result = steps.check_district(store, "长宁区", AS_OF, policy, kind="on_demand", plan_ids=info["plans"]["长宁区"])
    assert [p["directive"] for p in result["plans"]] == ["沪府办字〔2026〕5号"]
    assert result["plans"][0]["run_id"]


def test_state_counts_accepts_the_shapes_obligation_status_may_take() -> None:
    class Row:
        def __init__(self, state):
            self.state = state

    assert steps.state_counts([Row("overdue"), Row("overdue"), Row("pending")]) == {"overdue": 2, "pending": 1}
    assert steps.state_counts([{"status": "due_soon"}]) == {"due_soon": 1}
    assert steps.state_counts({"overdue": 3}) == {"overdue": 3}
    assert steps.state_counts({"counts": {"pending": 1}, "rows": []}) == {"pending": 1}
    assert steps.state_counts(None) == {}


def test_report_markdown(tmp_path) -> None:
    summary = steps.build_summary(
        AS_OF,
        {"长宁区": {"plans": [{"key": "k"}], "counts": {"error": 1, "warning": 0, "info": 2},
                    "obligations": {"overdue": 2},
                    "findings": [{"district": "长宁区", "doc_number": "长府办〔2026〕8号", "title": "t", "level": "district",
                                  "code": "UNKNOWN_UNIT", "severity": "error", "directive_item": None, "plan_item": 3,
                                  "units": ["区A|B"], "message": "有|竖线\n和换行"}]}},
        {"静安区": "RuntimeError: 坏了"},
        alerts={"entries": 1, "alertable": 1, "digests": 1, "sent": 1, "destination": "文件夹 x", "urgent": []},
    )
    path = report.write_report(summary, tmp_path / "reports" / "nightly.md")
    text = path.read_text(encoding="utf-8")
    assert "# 政务公开合规夜间检查（2026-11-22）" in text
    assert "| 长宁区 | 1 | 1 | 0 | 2 | 2 |" in text  # counts by severity, then overdue obligations
    assert "静安区" in text and "运行失败" in text
    assert "有｜竖线 和换行" in text  # table cells stay one cell
    assert "没有需要提醒的事项" in text


def test_is_transient() -> None:
    from flows.nightly import is_transient

    locked = OperationalError("UPDATE x", {}, Exception("database is locked"))
    assert is_transient(locked)
    try:
        try:
            raise locked
        except OperationalError as exc:
            raise RuntimeError("长宁区：检查失败") from exc
    except RuntimeError as wrapped:
        assert is_transient(wrapped)
    assert not is_transient(ValueError("bad document"))
    assert not is_transient(None)


# --------------------------------------------------------------------------- flows in-process


@pytest.fixture(scope="module")
def prefect_harness(tmp_path_factory):
    """One temporary Prefect server for this module, with the flow heartbeat off (a run then
    costs ~0.1 s instead of ~1 s, see shared/ENVIRONMENT.md)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, PREFECT_HOME, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    home = tmp_path_factory.mktemp("prefect-home")
    # A loaded machine (2 cores shared) can take over a minute to start the server.
    with temporary_settings({PREFECT_HOME: str(home)}), prefect_test_harness(server_startup_timeout=180):
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield


def test_flows_in_process(prefect_harness, samples_store, tmp_path, monkeypatch, draft) -> None:
    import asyncio

    from prefect.client.orchestration import get_client

    from flows.check import check_plan
    from flows.nightly import nightly_compliance

    db = samples_store.url
    real = steps.run_district

    def broken_jingan(store, district, as_of, policy):
        if district == "静安区":
            raise ValueError("静安区的数据有问题")
        return real(store, district, as_of, policy)

    monkeypatch.setattr(steps, "run_district", broken_jingan)
    summary = nightly_compliance(as_of=AS_OF, db=db)
    assert list(summary["failed"]) == ["静安区"] and "数据有问题" in summary["failed"]["静安区"]
    assert sorted(summary["districts"]) == ["长宁区"]
    assert summary["alerts"]["sent"] > 0 and summary["urgent"]

    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text("drafts_alert: true\n", encoding="utf-8")
    monkeypatch.setenv("GONGKAI_POLICY", str(policy_file))
    checked = check_plan(path=str(draft), as_of=AS_OF, db=db)
    assert checked["alerted"] and checked["counts"]["error"] == 2

    async def artifact_keys() -> set[str]:
        async with get_client() as client:
            return {a.key for a in await client.read_artifacts()}

    assert asyncio.run(artifact_keys()) >= {"nightly-summary", "nightly-findings", "check-plan-summary",
                                            "check-plan-findings"}


def test_cli_nightly_submit_and_demo(prefect_harness, store, tmp_path, monkeypatch, draft) -> None:
    from typer.testing import CliRunner

    import cli.orchestration as orchestration
    from cli.main import app

    # The harness sets PREFECT_API_URL; these commands must take the in-process road here.
    monkeypatch.setattr(orchestration, "server_url", lambda: None)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    db = store.url

    samples = tmp_path / "samples"
    samples.mkdir()
    for path in (CITY, CHANGNING):
        (samples / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(orchestration, "SAMPLES", samples)
    monkeypatch.chdir(tmp_path)
    demo = runner.invoke(app, ["demo", "--as-of", "2026-11-22", "--db", db])
    assert demo.exit_code == 0, demo.output
    report = tmp_path / "var" / "reports" / "nightly-2026-11-22.md"
    assert report.is_file() and "长宁区" in report.read_text(encoding="utf-8")
    assert "运行报告" in demo.output and ".eml" in demo.output and str(tmp_path / "outbox") in demo.output
    assert any((tmp_path / "outbox").glob("*.eml"))

    nightly = runner.invoke(app, ["nightly", "--as-of", "2026-11-22", "--db", db])
    assert nightly.exit_code == 0, nightly.output
    assert "各区情况" in nightly.output and "长宁区" in nightly.output

    submitted = runner.invoke(app, ["submit-draft", str(draft), "--as-of", "2026-11-22", "--db", db])
    assert submitted.exit_code == 1, submitted.output  # the draft misses mandated items
    assert "MISSING_MANDATED_ITEM" in submitted.output and "drafts_alert" in submitted.output

    directive = runner.invoke(app, ["submit-directive", str(CITY), "--as-of", "2026-11-22", "--db", db])
    assert directive.exit_code == 0, directive.output
    assert "沪府办字〔2026〕5号" in directive.output

    missing = runner.invoke(app, ["submit-draft", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 2 and "文件不存在" in missing.output
