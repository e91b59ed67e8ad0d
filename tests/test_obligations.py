"""Follow-through over the year: derived obligations, filings, states, lights, alerts, CLI.

Every test pins its dates (`as_of`, `filed_on`); none depends on today's date.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from documents.model import Deadline, Document, DocumentError, Item, UnitMention
from offices.registry import registry_for_place
from pipeline.ingest import ingest_document, ingest_files
from pipeline.obligations import (
    alert_entries,
    derive_obligations,
    lights,
    obligation_status,
    record_filing,
    status_report,
)
from rules.obligation_states import (
    STATES,
    evaluate,
    light_for,
)
from rules.periods import (
    last_ended_quarter,
    parse_period,
    quarter_end,
)
from rules.policy import load_policy
from store import obligations as ob_store
from store.checks import CheckRun
from store.documents import find_document
from workdays import WorkdayCalendar

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
BAOSHAN = SAMPLES / "baoshan-2023-work-points-with-table.txt"
CHANGNING = SAMPLES / "changning-2025-task-table.txt"
EXAMPLE_2027 = ROOT / "data" / "holidays" / "example-2027.yaml"
BAOSHAN_KEY = "宝府办〔2023〕15号"
CHANGNING_KEY = "长府办〔2025〕12号"

UNIT_PLAN = """上海市长宁区教育局文件

长教〔2025〕21号

上海市长宁区教育局关于印发《2025年长宁区教育局政务公开工作计划》的通知

局属各单位、各科室：

现将《2025年长宁区教育局政务公开工作计划》印发给你们，请认真贯彻执行。

上海市长宁区教育局

2025年5月20日

2025年长宁区教育局政务公开工作计划

1.做好政务公开专栏维护和信息及时更新，围绕教育重点工作深化信息公开，全年推进。（责任单位：办公室）
2.严格执行公文公开属性审查和发布审查程序。（责任单位：办公室）
3.落实政策解读与政策文件同步审签、同步发布的要求，加强政策解读质量把关，10月底前完成。（责任单位：政策法规科）
"""


@pytest.fixture
def cal() -> WorkdayCalendar:
    return WorkdayCalendar()  # a fresh calendar: its warnings belong to this test only


def task_offices(place: str) -> set[str]:
    """Every office of the district that takes tasks (not the 政务公开科 itself)."""
    registry = registry_for_place(place)
    return {o.name for o in registry.offices if o.kind in ("department", "street", "town", "park")}


def of_kind(statuses, kind: str) -> list:
    return [s for s in statuses if s.kind == kind]


def synthetic_plan(
    year: int, issued: date, items: list[Item], *, number: str = "长府办〔{y}〕99号", place: str = "长宁区"
) -> Document:
    return Document(
        title=f"{year}年{place}政务公开测试方案", year=year, items=items, doc_number=number.format(y=year),
        issuer=f"上海市{place}人民政府办公室", issue_date=issued, place=place, level="district",
        content_hash=f"synthetic-{year}-{len(items)}-{'|'.join(u.name for i in items for u in i.units)}",
    )


def event_item(number: int = 1, units: tuple[str, ...] = ("区教育局", "区民政局")) -> Item:
    return Item(
        number=number, section_path=[], text="决策出台后的10个工作日内，向社会公开意见的收集、采纳情况。",
        units=[UnitMention(name=u, canonical=u) for u in units],
        deadlines=[Deadline(phrase="决策出台后的10个工作日内", kind="event", days=10, working_days=True,
                            event="决策出台")],
    )


# -- Baoshan 2023: the units' own plans, window from item 38 --------------------------------------


def test_baoshan_every_named_office_owes_its_plan_by_item_38(store, policy, cal) -> None:
    ingest_files(store, [BAOSHAN])
    summary = derive_obligations(store, policy=policy, calendar=cal)
    # ingesting the plan derived what it puts on the offices already (issue 11): nothing new here
    assert summary.counts.new == 0 and summary.counts.unchanged > 0
    plans = of_kind(obligation_status(store, date(2023, 6, 15), policy=policy), "plan")
    # 各街镇 → streets and towns, 园区 → parks, 区政府各部门 → departments; not the 政务公开科.
    assert {p.unit for p in plans} == task_offices("宝山区")
    assert "区政府办公室政务公开科" not in {p.unit for p in plans}
    assert {p.due for p in plans} == {date(2023, 6, 21)}
    assert {p.item for p in plans} == {38}
    assert all("发布后30天内" in p.phrase for p in plans)
    assert {p.state for p in plans} == {"due_soon"}
    assert {p.light for p in plans} == {"yellow"}


def test_baoshan_filed_on_time_and_overdue(store, policy, cal) -> None:
    ingest_files(store, [BAOSHAN])
    derive_obligations(store, policy=policy, calendar=cal)
    filers = ["区教育局", "吴淞街道", "宝山工业园区"]
    for unit in filers:
        result = record_filing(store, "plan", unit, BAOSHAN_KEY, filed_on=date(2023, 6, 20), policy=policy, calendar=cal)
        assert result.state == "done_on_time"
        assert result.due == date(2023, 6, 21)
    late = record_filing(store, "plan", "区发改委", BAOSHAN_KEY, filed_on=date(2023, 6, 25), policy=policy, calendar=cal)
    assert late.unit == "区发展改革委" and late.state == "done_late"

    plans = {p.unit: p for p in of_kind(obligation_status(store, date(2023, 6, 22), policy=policy), "plan")}
    for unit in filers:
        assert plans[unit].state == "done_on_time" and plans[unit].filed_on == date(2023, 6, 20)
    others = set(plans) - set(filers)
    assert {plans[u].state for u in others} == {"overdue"}
    assert plans["区发展改革委"].filed_on is None  # filed on 06-25: not yet on 06-22
    assert plans["罗店镇"].days_left == -1

    # Looking back: on 06-19 nobody had filed yet.
    before = of_kind(obligation_status(store, date(2023, 6, 19), policy=policy), "plan")
    assert {p.state for p in before} == {"due_soon"}
    after = {p.unit: p for p in of_kind(obligation_status(store, date(2023, 7, 1), policy=policy), "plan")}
    assert after["区发展改革委"].state == "done_late"


def test_baoshan_escalation_goes_to_lead_and_section(store, policy, cal) -> None:
    ingest_files(store, [BAOSHAN])
    derive_obligations(store, policy=policy, calendar=cal)
    as_of = date(2023, 6, 21) + timedelta(days=policy.escalation_days + 1)
    plans = of_kind(obligation_status(store, as_of, unit="罗店镇", policy=policy), "plan")
    assert [p.state for p in plans] == ["escalated"]
    assert plans[0].light == "red"
    assert "区政府办公室政务公开科" in plans[0].escalate_to
    # Item 18 (5月底, lead 区府办) is escalated by mid-June for a responsible unit: the lead is told.
    item18 = [s for s in obligation_status(store, date(2023, 6, 16), unit="罗店镇", policy=policy)
              if s.kind == "item" and s.item == 18]
    assert item18[0].state == "escalated"
    assert item18[0].escalate_to == ["区政府办公室", "区政府办公室政务公开科"]


def test_unit_filter_takes_collectives_and_abbreviations(store, policy, cal) -> None:
    ingest_files(store, [BAOSHAN])
    derive_obligations(store, policy=policy, calendar=cal)
    streets = {s.unit for s in of_kind(obligation_status(store, date(2023, 6, 15), "宝山区", "各街镇", policy=policy), "plan")}
    assert streets == {o.name for o in registry_for_place("宝山区").offices if o.kind in ("street", "town")}
    short = obligation_status(store, date(2023, 6, 15), "宝山", "区发改委", policy=policy)
    assert short and {s.unit for s in short} == {"区发展改革委"}
    with pytest.raises(ValueError, match="区教育局"):
        obligation_status(store, date(2023, 6, 15), "宝山区", "区教育委", policy=policy)


# -- Changning 2025: quarterly reports and item deadlines -----------------------------------------


def test_changning_quarterly_reports_after_issue(store, policy, cal) -> None:
    ingest_files(store, [CHANGNING])
    derive_obligations(store, policy=policy, calendar=cal)
    statuses = obligation_status(store, date(2025, 5, 1), policy=policy)
    reports = of_kind(statuses, "report")
    offices = task_offices("长宁区")
    assert {r.unit for r in reports} == offices  # 各部门 and 各街道（镇）
    assert {r.period for r in reports} == {"2025Q2", "2025Q3", "2025Q4"}  # issued 2025-04-25: no Q1
    n = policy.quarterly_report_working_days
    expected = {f"2025Q{q}": cal.add_working_days(quarter_end(2025, q), n) for q in (2, 3, 4)}
    assert {r.period: r.due for r in reports} == expected
    # On the official calendar: Q3 skips the National Day week, Q4 the 2026 New Year holiday.
    assert expected == {"2025Q2": date(2025, 7, 14), "2025Q3": date(2025, 10, 21), "2025Q4": date(2026, 1, 15)}
    assert len(reports) == 3 * len(offices)
    assert {r.item for r in reports} == {33}


def test_changning_item_deadlines_and_roles(store, policy, cal) -> None:
    ingest_files(store, [CHANGNING])
    derive_obligations(store, policy=policy, calendar=cal)
    items = of_kind(obligation_status(store, date(2025, 5, 1), policy=policy), "item")
    by = {(s.unit, s.item): s for s in items}
    assert by[("区教育局", 25)].due == date(2025, 10, 31)  # 10月
    assert by[("区教育局", 25)].phrase == "10月"
    assert by[("区教育局", 25)].lead_units == ["区政府办公室"]
    # Item 9: 区府办 leads, 各部门 cooperate (配合): only the lead answers for the deadline.
    assert by[("区政府办公室", 9)].due == date(2025, 10, 31)
    assert ("区教育局", 9) not in by
    assert by[("华阳路街道", 1)].due == date(2025, 12, 31)  # 全年
    # No plan-window item: each unit's plan is due unit_plan_days after issue.
    plans = of_kind(obligation_status(store, date(2025, 5, 1), policy=policy), "plan")
    assert {p.due for p in plans} == {date(2025, 4, 25) + timedelta(days=policy.unit_plan_days)}


def test_unit_plan_days_comes_from_policy(store, cal) -> None:
    ingest_files(store, [CHANGNING])
    custom = load_policy().with_overrides({"unit_plan_days": 20})
    derive_obligations(store, policy=custom, calendar=cal)
    plans = of_kind(obligation_status(store, date(2025, 5, 1), policy=custom), "plan")
    assert {p.due for p in plans} == {date(2025, 5, 15)}


def test_report_filing_period_default_and_validation(store, policy, cal) -> None:
    ingest_files(store, [CHANGNING])
    result = record_filing(store, "report", "华阳路街道", CHANGNING_KEY, filed_on=date(2025, 7, 10),
                           policy=policy, calendar=cal)  # derives the plan on first use
    assert (result.period, result.due, result.state) == ("2025Q2", date(2025, 7, 14), "done_on_time")
    late = record_filing(store, "report", "华阳路街道", CHANGNING_KEY, period="2025q3", filed_on=date(2025, 10, 22),
                         policy=policy, calendar=cal)
    assert (late.period, late.state) == ("2025Q3", "done_late")
    with pytest.raises(ValueError, match="2025Q1"):
        record_filing(store, "report", "华阳路街道", CHANGNING_KEY, period="2025Q1", filed_on=date(2025, 4, 30),
                      policy=policy, calendar=cal)
    with pytest.raises(ValueError, match="格式"):
        record_filing(store, "report", "华阳路街道", CHANGNING_KEY, period="2025Q5", policy=policy, calendar=cal)
    with pytest.raises(ValueError, match="季度"):
        record_filing(store, "report", "华阳路街道", CHANGNING_KEY, period="2025", policy=policy, calendar=cal)
    reports = {s.period: s for s in obligation_status(store, date(2025, 11, 1), unit="华阳路街道", policy=policy)
               if s.kind == "report"}
    assert reports["2025Q2"].state == "done_on_time"
    assert reports["2025Q3"].state == "done_late"
    assert reports["2025Q4"].state == "pending"


def test_filing_errors(store, policy, cal) -> None:
    ingest_files(store, [CHANGNING])
    with pytest.raises(ValueError, match="区教育委.*区教育局"):
        record_filing(store, "plan", "区教育委", CHANGNING_KEY, filed_on=date(2025, 5, 1), policy=policy, calendar=cal)
    with pytest.raises(DocumentError):
        record_filing(store, "plan", "区教育局", "长府办〔2099〕1号", policy=policy, calendar=cal)
    with pytest.raises(ValueError, match="集合名称"):
        record_filing(store, "plan", "各部门", CHANGNING_KEY, policy=policy, calendar=cal)
    with pytest.raises(ValueError, match="--item"):
        record_filing(store, "done", "区教育局", CHANGNING_KEY, policy=policy, calendar=cal)
    with pytest.raises(ValueError, match="第9项"):
        record_filing(store, "done", "区教育局", CHANGNING_KEY, item=9, policy=policy, calendar=cal)
    with pytest.raises(ValueError, match="报送类型"):
        record_filing(store, "memo", "区教育局", CHANGNING_KEY, policy=policy, calendar=cal)
    with pytest.raises(ValueError, match="没有"):
        record_filing(store, "plan", "区政府办公室政务公开科", CHANGNING_KEY, policy=policy, calendar=cal)


def test_done_filing_completes_the_item(store, policy, cal) -> None:
    ingest_files(store, [CHANGNING])
    done = record_filing(store, "done", "区教育局", CHANGNING_KEY, item=25, filed_on=date(2025, 9, 30),
                         policy=policy, calendar=cal)
    assert done.state == "done_on_time" and done.due == date(2025, 10, 31)
    item25 = [s for s in obligation_status(store, date(2025, 11, 15), unit="区教育局", policy=policy) if s.item == 25]
    assert [s.state for s in item25] == ["done_on_time"]


# -- a filed unit plan is checked against the district plan ---------------------------------------


def test_unit_plan_filing_is_stored_and_checked(store, policy, cal, tmp_path) -> None:
    ingest_files(store, [CHANGNING])
    path = tmp_path / "jyj-2025.txt"
    path.write_text(UNIT_PLAN, encoding="utf-8")
    result = record_filing(store, "plan", "区教育局", CHANGNING_KEY, filed_on=date(2025, 5, 20), path=path,
                           policy=policy, calendar=cal)
    assert result.state == "done_on_time"
    assert result.document_key == "长教〔2025〕21号"
    assert result.check is not None and result.check_run_id is not None
    # The district plan's items that bind 区教育局 and the unit plan does not take up.
    missing = {f.directive_item for f in result.check.findings if f.code == "MISSING_MANDATED_ITEM"}
    assert 2 in missing and 5 not in missing
    assert result.has_errors
    with store.transaction() as session:
        run = session.get(CheckRun, result.check_run_id)
        assert (run.kind, run.plan_key, run.directive_key) == ("filing", "长教〔2025〕21号", CHANGNING_KEY)
        unit_doc = find_document(session, "长教〔2025〕21号")
        assert unit_doc.level == "unit" and unit_doc.parent_key == CHANGNING_KEY
        filing = ob_store.list_filings(session, unit="区教育局")[0]
        assert filing.check_run_id == run.id and filing.path == str(path)
    # One level down: the unit's own items bind the unit itself.
    own = [s for s in obligation_status(store, date(2025, 6, 1), unit="区教育局", policy=policy)
           if s.doc_key == "长教〔2025〕21号"]
    # item 2 states no deadline: a task of the year, due at its end (issue 11)
    assert {(s.item, s.due) for s in own} == {(1, date(2025, 12, 31)), (2, date(2025, 12, 31)),
                                              (3, date(2025, 10, 31))}
    again = derive_obligations(store, policy=policy, calendar=cal)
    assert again.counts.new == 0 and again.counts.retired == 0


# -- events: working days on the official calendar ------------------------------------------------


def test_event_duty_skips_national_day(store, policy, cal) -> None:
    ingest_document(store, synthetic_plan(2025, date(2025, 3, 1), [event_item()]))
    derive_obligations(store, policy=policy, calendar=cal)
    unopened = of_kind(obligation_status(store, date(2025, 9, 1), policy=policy), "event")
    assert {(s.unit, s.due, s.state) for s in unopened} == {("区教育局", None, "pending"), ("区民政局", None, "pending")}
    opened = record_filing(store, "event", "区教育局", "长府办〔2025〕99号", item=1, filed_on=date(2025, 9, 26),
                           policy=policy, calendar=cal)
    # Sun 09-28 is a make-up working day; 10-01..10-08 are off; Sat 10-11 is a make-up day.
    assert opened.due == date(2025, 10, 16)
    assert opened.period == "2025-09-26" and opened.event == "决策出台"
    assert not opened.warnings
    duties = {s.period: s for s in obligation_status(store, date(2025, 10, 10), unit="区教育局", policy=policy)
              if s.kind == "event"}
    assert duties["2025-09-26"].state == "due_soon" and duties["2025-09-26"].days_left == 6
    assert duties[None].due is None  # further decisions may still open more duties
    # Not yet opened on an earlier day.
    assert "2025-09-26" not in {s.period for s in obligation_status(store, date(2025, 9, 25), policy=policy)}
    done = record_filing(store, "done", "区教育局", "长府办〔2025〕99号", item=1, filed_on=date(2025, 10, 15),
                         policy=policy, calendar=cal)
    assert (done.period, done.state) == ("2025-09-26", "done_on_time")
    with pytest.raises(ValueError, match="没有需要报送或完成"):
        record_filing(store, "event", "区财政局", "长府办〔2025〕99号", item=1, filed_on=date(2025, 9, 26),
                      policy=policy, calendar=cal)


def test_event_in_uncovered_year_uses_holiday_file(store, policy) -> None:
    ingest_document(store, synthetic_plan(2027, date(2027, 3, 1), [event_item()]))
    with_file = WorkdayCalendar(EXAMPLE_2027)
    opened = record_filing(store, "event", "区教育局", "长府办〔2027〕99号", item=1, filed_on=date(2027, 9, 24),
                           policy=policy, calendar=with_file)
    # Example file: Sun 09-26 is a make-up day, 10-01..10-07 off, Sat 10-09 a make-up day.
    assert opened.due == date(2027, 10, 13)
    assert not opened.warnings


def test_event_in_uncovered_year_without_file_warns(store, policy, cal) -> None:
    ingest_document(store, synthetic_plan(2027, date(2027, 3, 1), [event_item()]))
    opened = record_filing(store, "event", "区民政局", "长府办〔2027〕99号", item=1, event="决策出台",
                           filed_on=date(2027, 9, 24), policy=policy, calendar=cal)
    assert opened.due == date(2027, 10, 8)  # Monday to Friday
    assert any("2027年" in w and "节假日" in w for w in opened.warnings)
    report = status_report(store, date(2027, 9, 30), policy=policy)
    assert any("2027年" in w for w in report["warnings"])
    summary = derive_obligations(store, policy=policy, calendar=cal)
    assert any("2027年" in w for w in summary.warnings)


# -- idempotence ----------------------------------------------------------------------------------


def test_rederiving_and_reingesting_keep_filings(store, policy, cal, tmp_path) -> None:
    ingest_files(store, [BAOSHAN])
    first = derive_obligations(store, policy=policy, calendar=cal)
    assert first.counts.new == 0  # ingesting derived them already (issue 11)
    record_filing(store, "plan", "区教育局", BAOSHAN_KEY, filed_on=date(2023, 6, 20), policy=policy, calendar=cal)
    second = derive_obligations(store, policy=policy, calendar=cal)
    assert second.counts.new == 0 and second.counts.unchanged == first.counts.unchanged
    # The same plan, ingested again with a changed text: a new version under the same doc key.
    changed = tmp_path / "baoshan-v2.txt"
    changed.write_text(BAOSHAN.read_text(encoding="utf-8").replace("狠抓工作落实。", "狠抓工作落实（修订）。"),
                       encoding="utf-8")
    [summary] = ingest_files(store, [changed])
    assert summary.result.status == "new_version"
    third = derive_obligations(store, policy=policy, calendar=cal)
    assert third.counts.new == 0 and third.counts.retired == 0
    with store.transaction() as session:
        rows = ob_store.list_obligations(session, doc_key=BAOSHAN_KEY, include_retired=True)
        assert len(rows) == first.counts.unchanged
        assert len({r.obligation_key for r in rows}) == len(rows)
        assert {r.document_id for r in rows} == {summary.result.record_id}
    plan = [s for s in obligation_status(store, date(2023, 6, 22), unit="区教育局", policy=policy) if s.kind == "plan"]
    assert plan[0].state == "done_on_time"


def test_dropped_duty_is_retired_and_restored_with_its_filing(store, policy, cal) -> None:
    def version(units: tuple[str, ...]) -> Document:
        item = Item(number=1, section_path=[], text="做好信息公开。", units=[UnitMention(u, u) for u in units],
                    deadlines=[Deadline(phrase="10月", kind="absolute", due=date(2025, 10, 31))])
        return synthetic_plan(2025, date(2025, 4, 1), [item])

    ingest_document(store, version(("区教育局", "区民政局")))
    record_filing(store, "done", "区民政局", "长府办〔2025〕99号", item=1, filed_on=date(2025, 9, 1),
                  policy=policy, calendar=cal)
    def retired() -> set[str]:
        with store.transaction() as session:
            return {r.obligation_key for r in ob_store.list_obligations(session, include_retired=True)
                    if not r.active}

    # Ingesting a version re-derives at once (issue 11): the dropped duties retire on ingest.
    ingest_document(store, version(("区教育局",)))
    assert len(retired()) == 2 and all("|区民政局|" in k for k in retired())  # 区民政局's plan and item duties
    assert derive_obligations(store, policy=policy, calendar=cal).counts.retired == 0
    assert {s.unit for s in obligation_status(store, date(2025, 9, 2), policy=policy)} == {"区教育局"}
    ingest_document(store, version(("区教育局", "区民政局", "区财政局")))
    assert retired() == set()  # restored with the version that names 区民政局 again
    mine = {s.kind: s for s in obligation_status(store, date(2025, 9, 2), unit="区民政局", policy=policy)}
    assert mine["item"].state == "done_on_time" and mine["item"].filed_on == date(2025, 9, 1)


def test_plans_issued_after_as_of_are_not_yet_owed(store, policy, cal) -> None:
    ingest_files(store, [BAOSHAN, CHANGNING])
    early = derive_obligations(store, date(2024, 1, 1), policy=policy, calendar=cal)
    assert {p.doc_key for p in early.plans} == {BAOSHAN_KEY}
    derive_obligations(store, policy=policy, calendar=cal)
    assert {s.district for s in obligation_status(store, date(2024, 1, 1), policy=policy)} == {"宝山区"}


# -- the status rules and lights -----------------------------------------------------------------


def oracle(due: date | None, filed: date | None, as_of: date, p: dict) -> str:
    """The states written the obvious way, to check the ruleset against."""
    if filed is not None:
        return "done_on_time" if due is None or filed <= due else "done_late"
    if due is None:
        return "pending"
    late = (as_of - due).days
    if late > p.escalation_days:
        return "escalated"
    if late > 0:
        return "overdue"
    if -late <= p.reminder_lead_days:
        return "due_soon"
    return "pending"


def test_status_rules_partition_every_case(policy) -> None:
    as_of = date(2025, 7, 1)
    entries, expected = [], {}
    for offset in range(-40, 41):
        due = as_of + timedelta(days=offset)
        for filed in (None, due - timedelta(days=1), due, due + timedelta(days=1)):
            key = f"{offset}:{filed}"
            entries.append((key, due, filed))
            expected[key] = oracle(due, filed, as_of, policy)
    for filed in (None, as_of):
        entries.append((f"open:{filed}", None, filed))
        expected[f"open:{filed}"] = oracle(None, filed, as_of, policy)
    verdicts = evaluate(entries, as_of, policy)  # raises unless exactly one rule fires per fact
    assert {k: v.state for k, v in verdicts.items()} == expected
    # closed_unfinished is not the ruleset's: a closed plan's year turns open duties into it afterwards
    assert set(expected.values()) == set(STATES) - {"closed_unfinished"}


def test_a_city_sized_evaluation_loses_nothing(policy) -> None:
    # Over many rules sessions (durable-rules' background polling once dropped facts here).
    as_of = date(2025, 7, 1)
    entries = [(f"k{i}", as_of + timedelta(days=i % 61 - 30), as_of if i % 5 == 0 else None) for i in range(12000)]
    verdicts = evaluate(entries, as_of, policy)
    assert len(verdicts) == len(entries)
    assert all(verdicts[k].state == oracle(due, filed, as_of, policy) for k, due, filed in entries)


def test_boundaries(policy) -> None:
    as_of = date(2025, 7, 1)
    lead, esc = policy.reminder_lead_days, policy.escalation_days
    cases = {
        "a": (as_of + timedelta(days=lead + 1), "pending"),
        "b": (as_of + timedelta(days=lead), "due_soon"),
        "c": (as_of, "due_soon"),
        "d": (as_of - timedelta(days=1), "overdue"),
        "e": (as_of - timedelta(days=esc), "overdue"),
        "f": (as_of - timedelta(days=esc + 1), "escalated"),
    }
    verdicts = evaluate([(k, due, None) for k, (due, _s) in cases.items()], as_of, policy)
    assert {k: v.state for k, v in verdicts.items()} == {k: s for k, (_d, s) in cases.items()}
    assert verdicts["d"].days_left == -1


def test_lights_follow_grace_days(store, cal) -> None:
    assert light_for("overdue", -2, 3) == "yellow"
    assert light_for("overdue", -4, 3) == "red"
    assert light_for("overdue", -1, 0) == "red"
    assert light_for("escalated", -30, 100) == "red"
    assert light_for("due_soon", 3, 0) == "yellow"
    assert {light_for(s, 10, 0) for s in ("pending", "done_on_time", "done_late")} == {"green"}

    ingest_files(store, [BAOSHAN])
    graceful = load_policy().with_overrides({"grace_days": 3})
    derive_obligations(store, policy=graceful, calendar=cal)
    record_filing(store, "plan", "区教育局", BAOSHAN_KEY, filed_on=date(2023, 6, 20), policy=graceful, calendar=cal)
    # 2023-06-01: item 18 (5月底) is one day overdue for everyone, within grace: yellow.
    result = lights(store, date(2023, 6, 1), "宝山区", policy=graceful)
    assert [d.light for d in result.districts] == ["yellow"]
    # 2023-06-22: the plans are a day late (within grace), item 18 is escalated: red.
    statuses = obligation_status(store, date(2023, 6, 22), "宝山区", policy=graceful)
    result = lights(store, statuses=statuses)
    assert [d.light for d in result.districts] == ["red"]
    by_unit = {u.unit: u for u in result.units}
    assert by_unit["区教育局"].counts["done_on_time"] == 1
    assert by_unit["区教育局"].light == "red" and by_unit["区教育局"].counts["escalated"] == 1
    # On the issue day the nearest deadline (item 18, 05-31) is 9 days off: green everywhere.
    quiet = lights(store, date(2023, 5, 22), "宝山区", policy=graceful)
    assert {u.light for u in quiet.units} == {"green"}
    assert lights(store, date(2023, 5, 24), "宝山区", policy=graceful).districts[0].light == "yellow"
    assert lights(store, date(2023, 5, 1), "宝山区", policy=graceful).units == []  # not issued yet


# -- alerts ---------------------------------------------------------------------------------------


def test_alert_entries(store, policy, cal) -> None:
    ingest_files(store, [BAOSHAN])
    derive_obligations(store, policy=policy, calendar=cal)
    record_filing(store, "plan", "区教育局", BAOSHAN_KEY, filed_on=date(2023, 6, 20), policy=policy, calendar=cal)
    entries = alert_entries(store, date(2023, 6, 22), policy)
    assert {e.state for e in entries} <= {"due_soon", "overdue", "escalated", "done_on_time", "done_late"}
    keyed = {e.key: e for e in entries}
    plan = keyed[f"obligation:{BAOSHAN_KEY}|罗店镇|plan||"]
    assert (plan.state, plan.district, plan.units, plan.due, plan.days_left) == (
        "overdue", "宝山区", ("罗店镇",), date(2023, 6, 21), -1)
    assert plan.action == "制订并报送本单位2023年度政务公开工作计划"
    assert plan.kind == "obligation" and plan.doc_number == BAOSHAN_KEY and plan.item == "38"
    done = keyed[f"obligation:{BAOSHAN_KEY}|区教育局|plan||"]
    assert done.state == "done_on_time"
    item18 = keyed[f"obligation:{BAOSHAN_KEY}|罗店镇|item|18|"]
    assert item18.state == "escalated" and item18.lead_units == ("区政府办公室",)
    assert len(item18.summary) <= 80
    assert not any(e.state == "pending" for e in entries)


# -- periods --------------------------------------------------------------------------------------


def test_periods() -> None:
    assert parse_period("2025q2").text == "2025Q2"
    assert parse_period("2025").kind == "year"
    assert parse_period("2025-09-26").day == date(2025, 9, 26)
    for bad in ("2025Q0", "Q2", "2025-13-01", "二〇二五", ""):
        with pytest.raises(ValueError):
            parse_period(bad)
    assert last_ended_quarter(date(2025, 7, 10)) == (2025, 2)
    assert last_ended_quarter(date(2025, 6, 30)) == (2025, 2)
    assert last_ended_quarter(date(2025, 2, 1)) == (2024, 4)


# -- CLI ------------------------------------------------------------------------------------------


def test_cli_file_and_status_json(tmp_path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "cli.db")
    assert runner.invoke(app, ["ingest", str(BAOSHAN), "--db", db]).exit_code == 0
    ok = runner.invoke(app, ["file", "plan", "--unit", "区教育局", "--for", BAOSHAN_KEY, "--date", "2023-06-20",
                             "--db", db])
    assert ok.exit_code == 0, ok.output
    assert "已按时办结" in ok.stdout
    bad = runner.invoke(app, ["file", "plan", "--unit", "区教育委", "--for", BAOSHAN_KEY, "--db", db])
    assert bad.exit_code == 2
    assert "区教育局" in bad.output
    bad_period = runner.invoke(app, ["file", "report", "--unit", "区教育局", "--for", BAOSHAN_KEY,
                                     "--period", "2023Q9", "--db", db])
    assert bad_period.exit_code == 2

    # --all --limit 0: by default `status` lists what needs attention now, at most 50 (issue 11)
    out = runner.invoke(app, ["status", "--district", "宝山区", "--as-of", "2023-06-22", "--all", "--limit", "0", "--json",
                              "--db", db])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert set(data) == {"schema", "as_of", "filters", "policy", "counts", "districts", "units", "obligations",
                         "warnings", "matching"}
    assert data["as_of"] == "2023-06-22"
    assert set(data["obligations"][0]) == {
        "key", "doc_key", "doc_number", "title", "district", "unit", "kind", "item", "period", "due", "phrase",
        "action", "lead_units", "event", "opened_on", "state", "light", "days_left", "filed_on", "escalate_to",
        "calendar_note", "plan_year", "document_id", "closed_on",
    }
    dues = [o["due"] for o in data["obligations"] if o["due"]]
    assert dues == sorted(dues)
    plans = {o["unit"]: o for o in data["obligations"] if o["kind"] == "plan"}
    assert plans["区教育局"]["state"] == "done_on_time" and plans["罗店镇"]["state"] == "overdue"
    assert data["districts"][0]["district"] == "宝山区"

    table = runner.invoke(app, ["status", "--district", "宝山区", "--unit", "区教育局", "--as-of", "2023-06-15",
                                "--state", "due_soon", "--db", db])
    assert table.exit_code == 0, table.output
    assert "即将到期" in table.stdout
    wrong = runner.invoke(app, ["status", "--state", "late", "--db", db])
    assert wrong.exit_code == 2


def test_a_newer_draft_does_not_replace_the_issued_plans_duties(store, policy, cal, tmp_path) -> None:
    ingest_files(store, [CHANGNING])
    draft = tmp_path / "draft.txt"
    text = CHANGNING.read_text(encoding="utf-8")
    draft.write_text(text.replace("2025 年 4 月 25 日", "2025 年 6 月 25 日"), encoding="utf-8")
    ingest_files(store, [draft], is_draft=True)
    derive_obligations(store, date(2025, 5, 1), policy=policy, calendar=cal)
    record_filing(store, "plan", "区教育局", CHANGNING_KEY, filed_on=date(2025, 5, 20), policy=policy, calendar=cal)
    plans = of_kind(obligation_status(store, date(2025, 5, 21), policy=policy), "plan")
    assert plans and {s.due for s in plans} == {date(2025, 5, 25)}  # 30 days after the issued 04-25


# -- units' own plans without a 发文字号: named by their titles, kept apart -------------------------

# A unit's own plan as many are filed: the plan itself, no notice, no 发文字号.
UNNUMBERED_UNIT_PLAN = """{year}年长宁区{unit}政务公开工作计划

1.做好政务公开专栏维护和信息及时更新，全年推进。（责任单位：办公室）
2.严格执行公文公开属性审查和发布审查程序。（责任单位：办公室）
3.落实政策解读与政策文件同步审签、同步发布的要求，10月底前完成。（责任单位：{office}）
"""


def test_unnumbered_unit_plans_are_named_by_title_and_kept_apart(store, policy, cal, tmp_path) -> None:
    from notifications.digest import Sender, build_digest
    from notifications.routing import Recipient
    from pipeline.alerts import collect_alert_entries
    from reports.model import build_snapshot
    from reports.xlsx import duties_frame

    ingest_files(store, [CHANGNING])
    titles = {}
    for unit, office in (("区教育局", "政策法规科"), ("区民政局", "法规科")):
        path = tmp_path / f"{unit}.txt"
        path.write_text(UNNUMBERED_UNIT_PLAN.format(year=2025, unit=unit.removeprefix("区"), office=office),
                        encoding="utf-8")
        result = record_filing(store, "plan", unit, CHANGNING_KEY, filed_on=date(2025, 5, 20), path=path,
                               policy=policy, calendar=cal)
        titles[unit] = f"2025年长宁区{unit.removeprefix('区')}政务公开工作计划"
        # the store keys the unit's plan by issuer, year and title (it has no number to key it by)
        assert result.document_key.endswith(f":2025:{titles[unit]}") and result.plan_name == CHANGNING_KEY
        assert result.check is not None and result.check.findings

    as_of = date(2025, 11, 10)  # item 3 of both plans (10月底前) is overdue
    entries, _ = collect_alert_entries(store, as_of, policy, districts=["长宁区"])
    own = [e for e in entries if e.doc_key.endswith(tuple(titles.values()))]
    assert {e.kind for e in own} == {"obligation", "finding"}
    assert all(e.doc_number == "" for e in own)  # never the store's key in place of a number
    overdue_3 = [e for e in own if e.kind == "obligation" and e.item == "3" and e.state == "overdue"]
    assert {e.units for e in overdue_3} == {("区教育局",), ("区民政局",)}

    section = Recipient("gongkai@cn.gov.test", "区政府办公室政务公开科", True)
    digest = build_digest(section, own, as_of=as_of, sender=Sender("noreply@cn.gov.test"))
    text = digest.message.get_body(preferencelist=("plain",)).get_content()
    html = digest.message.get_body(preferencelist=("html",)).get_content()
    for body in (text, html):
        assert ":2025:" not in body
        assert all(f"《{title}》" in body for title in titles.values())
    # one row per plan's item: the two plans' 第3项 (and the findings on each plan) are not merged
    # into one row of two units
    rows = [line for line in text.splitlines() if line.split(". ", 1)[-1].startswith("第3项 落实政策解读")]
    assert len(rows) == 2
    assert "区教育局、区民政局" not in text and "区民政局、区教育局" not in text
    findings = [e for e in own if e.kind == "finding"]
    assert {e.doc_key for e in findings} == {e.doc_key for e in overdue_3}

    statuses = obligation_status(store, as_of, policy=policy)
    named = {s.plan_name for s in statuses if s.doc_key.endswith(tuple(titles.values()))}
    assert named == {f"《{t}》" for t in titles.values()}
    frame = duties_frame(build_snapshot(store, as_of, policy=policy), ["长宁区"])
    mine = frame[frame["方案名称"].isin(list(titles.values()))]
    assert len(mine) and set(mine["发文字号"]) == {""}
