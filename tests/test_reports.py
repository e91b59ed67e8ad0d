"""`gongkai report`: the workbook read back with openpyxl, the 通报 with python-docx, the HTML
report checked for standing alone; all against the demo store's own numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document as read_docx
from openpyxl import load_workbook
from typer.testing import CliRunner

from reports.model import build_snapshot
from reports.writer import write_report
from tests.conftest import DEMO_AS_OF


@pytest.fixture(scope="module")
def snapshot(demo_store):
    return build_snapshot(demo_store, DEMO_AS_OF)


@pytest.fixture(scope="module")
def with_filing(demo_store):
    """One filing in the store, so 报送记录 has a row that came from `record_filing`."""
    from pipeline.obligations import record_filing
    from store.obligations import list_filings

    record_filing(demo_store, "plan", "区民政局", "长府办〔2026〕8号", filed_on=DEMO_AS_OF)
    with demo_store.transaction() as session:
        return len(list_filings(session))


@pytest.fixture(scope="module")
def workbook(demo_store, with_filing, tmp_path_factory):
    path = write_report(demo_store, "xlsx", tmp_path_factory.mktemp("xlsx") / "城市.xlsx", as_of=DEMO_AS_OF)
    return load_workbook(path)


def _rows(sheet) -> list[dict]:
    values = list(sheet.iter_rows(values_only=True))
    header = values[0]
    return [dict(zip(header, row, strict=True)) for row in values[1:]]


def test_workbook_has_the_four_sheets_laid_out_for_people(workbook):
    assert workbook.sheetnames == ["覆盖情况", "检查问题", "责任单位待办", "报送记录"]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref.startswith("A1:")
        assert int(sheet.auto_filter.ref.rsplit(":", 1)[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) == sheet.max_row
        header = [c.value for c in sheet[1]]
        # Chinese column names only.
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in name) for name in header), header
        assert sheet.cell(1, 1).font.b
    duties = workbook["责任单位待办"]
    widths = {c.value: duties.column_dimensions[c.column_letter].width for c in duties[1]}
    assert widths["事项"] >= 40 and widths["单位"] >= 8


def test_coverage_sheet_matches_the_check(workbook, snapshot):
    rows = _rows(workbook["覆盖情况"])
    changning = next(r for r in rows if r["发文字号"] == "长府办〔2026〕8号")
    plan = next(p for p in snapshot.plans.values() if p.doc_number == "长府办〔2026〕8号")
    counts = plan.coverage_counts()
    assert (changning["已覆盖"], changning["部分覆盖"], changning["缺失"]) == (
        counts["covered"], counts["partial"], counts["missing"])
    assert changning["第12项"] == "已覆盖" and changning["第1项"] == "不适用"
    sheet = workbook["覆盖情况"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == "长府办〔2026〕8号")
    assert row[header.index("第12项")].fill.fgColor.rgb.endswith("C6EFCE")
    assert row[header.index("第1项")].fill.fgColor.rgb.endswith("EDEDED")


def test_findings_and_duties_sheets_match_the_store(workbook, snapshot, demo_store):
    from reports.model import latest_findings

    findings = _rows(workbook["检查问题"])
    assert len(findings) == len(latest_findings(demo_store, snapshot)) > 0
    assert {r["级别"] for r in findings} <= {"错误", "警告", "提示"}
    # Each finding's type and grounds in words; the stable code kept in its own column.
    for row in findings:
        assert row["判定依据"].startswith("依据规则：") and "score" not in row["判定依据"], row
        assert row["问题类型"] and row["问题类型"] != row["代码"]
    # 静安's 2025 要点 (closed in April 2026) is marked, as the 通报 leaves its errors out of its counts
    states = {(r["方案名称"], r["方案状态"]) for r in findings}
    assert ("2025年静安区政务公开工作要点", "年度已结束") in states
    assert all(s == "在办" for name, s in states if name.startswith("2026年"))
    duties = _rows(workbook["责任单位待办"])
    open_ = [s for s in snapshot.statuses if s.state in ("pending", "due_soon", "overdue", "escalated")]
    assert len(duties) == len(open_)
    # Red first; each light cell coloured by its light.
    order = [r["灯"] for r in duties]
    assert order == sorted(order, key=["红灯", "黄灯", "绿灯"].index)
    sheet = workbook["责任单位待办"]
    column = [c.value for c in sheet[1]].index("灯")
    fills = {row[column].value: row[column].fill.fgColor.rgb[-6:] for row in sheet.iter_rows(min_row=2)}
    assert fills.get("红灯", "FFC7CE") == "FFC7CE" and fills.get("绿灯", "C6EFCE") == "C6EFCE"
    assert "红灯" in fills or "黄灯" in fills
    periods = {r["期间"] for r in duties if r["期间"]}
    assert periods and all(p.startswith("2026年") for p in periods), periods


def test_filings_sheet_lists_every_filing(workbook, with_filing):
    rows = _rows(workbook["报送记录"])
    assert len(rows) == with_filing
    filed = next(r for r in rows if r["单位"] == "区民政局" and r["类型"] == "年度计划")
    assert filed["报送日期"].date() == DEMO_AS_OF and filed["区"] == "长宁区" and filed["发文字号"] == "长府办〔2026〕8号"


def test_docx_is_a_notice_with_one_section_per_district(demo_store, snapshot, tmp_path):
    path = write_report(demo_store, "docx", tmp_path / "通报.docx", as_of=DEMO_AS_OF)
    doc = read_docx(str(path))
    text = [p.text for p in doc.paragraphs]
    assert any(t.startswith("关于2026年各区政务公开工作方案落实情况的通报") for t in text)
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert headings == [f"（{n}）{d.name}" for n, d in zip("一二三", snapshot.districts, strict=False)]
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == ["一、总体情况", "二、各区情况", "三、工作要求"]
    changning = snapshot.district("长宁区")
    binding = sum(changning.coverage[k] for k in ("covered", "partial", "missing"))
    assert any(f"约束本区的条目共{binding}项，已覆盖{changning.coverage['covered']}项" in t for t in text)
    late_plans = {s.unit for s in snapshot.district_statuses("长宁区") if s.kind == "plan" and s.state in ("overdue", "escalated")}
    assert any(f"逾期未报送{len(late_plans)}家" in t for t in text)
    # The overdue duties by unit: a table whose header is in Chinese and whose rows name units.
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["单位", "逾期事项", "其中升级督办", "最早到期日"]
    assert {r.cells[0].text for r in table.rows[1:]} <= {s.unit for s in snapshot.district_statuses("长宁区")}
    assert doc.sections[0].left_margin.mm == pytest.approx(28, abs=0.5)
    # 静安's 2025 要点 closed in April 2026 (policy plan_close): a 2026 通报 reports it as history,
    # and that 静安 has no 2026 plan yet, rather than counting it as the plan in force
    jingan = next(p for p in snapshot.district("静安区").plans if p.level == "district")
    assert jingan.year == 2025 and jingan.closed and not any(p.closed for p in changning.plans)
    assert "静安区尚无入库的2026年区级方案（已入库的往年方案：《2025年静安区政务公开工作要点》，其年度已结束）。" in text
    assert any("尚无入库的2026年区级方案的有：静安区。" in t for t in text)
    assert not any(t.startswith("静安区已入库区级方案") for t in text)


def test_html_report_stands_alone(demo_store, tmp_path):
    path = write_report(demo_store, "html", tmp_path / "报告.html", as_of=DEMO_AS_OF, district="长宁区")
    html = path.read_text(encoding="utf-8")
    assert "<style>" in html and 'rel="stylesheet"' not in html and "<script src" not in html
    assert "http://" not in html and "https://" not in html
    assert 'class="heatmap"' in html and ("light-red" in html or "light-yellow" in html)
    assert 'class="timeline"' in html and "2026-06" in html
    assert "静安区" not in html  # --district keeps to one district


def test_report_command_refuses_bad_input_and_writes_nothing(demo_store, tmp_path):
    from cli.main import app

    runner = CliRunner()
    db = demo_store.url
    wrong_suffix = runner.invoke(app, ["report", "--format", "xlsx", "-o", str(tmp_path / "a.docx"), "--db", db])
    assert wrong_suffix.exit_code == 2 and "扩展名" in wrong_suffix.output
    unknown = runner.invoke(app, ["report", "--format", "docx", "-o", str(tmp_path / "b.docx"), "--db", db,
                                  "--district", "火星区", "--as-of", DEMO_AS_OF.isoformat()])
    assert unknown.exit_code == 2 and "火星区" in unknown.output
    assert not list(Path(tmp_path).iterdir())
    ok = runner.invoke(app, ["report", "--format", "docx", "-o", str(tmp_path / "c.docx"), "--db", db,
                             "--district", "长宁区", "--as-of", DEMO_AS_OF.isoformat()])
    assert ok.exit_code == 0, ok.output
    assert read_docx(str(tmp_path / "c.docx")).paragraphs


def test_coverage_counts_the_newest_plans_in_force_once():
    """From January until last year's plan closes, both years' district plans are in force: the
    district's coverage is its newest plan's, not the two added up (each item counted twice)."""
    from reports.model import PlanView, newest_district_plans

    def plan(pid: int, year: int, *, level: str = "district", closed: bool = False) -> PlanView:
        return PlanView(id=pid, doc_key=f"k{pid}", doc_number=None, title=f"{year}年方案{pid}", level=level,
                        district="长宁区", year=year, issue_date=None, version=1, closed=closed)

    old, new, table, unit, older = plan(1, 2025), plan(2, 2026), plan(3, 2026), plan(4, 2026, level="unit"), \
        plan(5, 2024, closed=True)
    assert newest_district_plans([old, new, table, unit, older]) == [new, table]
    assert newest_district_plans([old, older]) == [old]
    assert newest_district_plans([older, unit]) == []
