"""Compliance rules on the real documents and on drafts derived from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from documents.parser import parse_file
from rules.check import CheckResult, check_plan
from rules.policy import load_policy
from tests.drafts import make_draft

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
CITY = SAMPLES / "shanghai-2026-municipal-plan.txt"
CHANGNING = SAMPLES / "changning-2026-district-plan.txt"
JINGAN = SAMPLES / "jingan-2025-work-points.txt"
BAOSHAN = SAMPLES / "baoshan-2023-work-points-with-table.txt"

# The city items that name 各区政府, read off the municipal plan, and the Changning item that
# takes each up (read off the district plan).
CITY_TO_CHANGNING = {
    4: 1, 6: 2, 7: 3, 8: 4, 12: 5, 13: 6, 14: 7, 15: 8, 16: 9, 17: 10, 18: 11, 19: 12, 20: 13,
    24: 14, 25: 15, 26: 16, 27: 17, 28: 18, 29: 19, 30: 20, 31: 21, 32: 22,
}


@pytest.fixture(scope="module")
def city():
    return parse_file(CITY)


def codes(result: CheckResult, code: str) -> list:
    return [f for f in result.findings if f.code == code]


def test_city_against_changning(city, policy) -> None:
    result = check_plan(parse_file(CHANGNING), city, policy=policy)
    binding = [row for row in result.coverage if row.binding]
    assert [row.directive_item for row in binding] == sorted(CITY_TO_CHANGNING)
    for row in binding:
        assert row.status == "covered", row
        assert row.plan_items[0] == CITY_TO_CHANGNING[row.directive_item]
    # 浦东新区政府 binds Pudong only; city-bureau items bind no district
    assert not next(r for r in result.coverage if r.directive_item == 2).binding
    assert not codes(result, "MISSING_MANDATED_ITEM") and not codes(result, "WEAK_COVERAGE")
    late = codes(result, "PLAN_ISSUED_LATE")
    assert len(late) == 1 and late[0].evidence["facts"]["days_after"] == 49
    assert late[0].evidence["facts"]["window"] == 30
    unknown = codes(result, "UNKNOWN_UNIT")
    assert [(f.plan_item, f.units) for f in unknown] == [(22, ["区域运中心"])]
    assert "区城运中心" in unknown[0].message
    assert unknown[0].evidence["facts"]["suggestion"] == "区城运中心"
    assert not codes(result, "ITEM_WITHOUT_UNIT")
    assert not result.has_errors


def test_key_phrases_are_evidence(city, policy) -> None:
    result = check_plan(parse_file(CHANGNING), city, policy=policy)
    row = next(r for r in result.coverage if r.directive_item == 16)
    assert "政策公开讲" in row.links[0]["key_phrases"]


def test_draft_with_items_deleted_reports_exactly_those(tmp_path, city, policy) -> None:
    # Changning items 2, 9 and 17 take up city items 6, 16 and 27.
    draft = make_draft(CHANGNING, tmp_path / "draft.txt", delete=(2, 9, 17))
    plan = parse_file(draft)
    assert len(plan.items) == 19
    result = check_plan(plan, city, policy=policy)
    missing = sorted(f.directive_item for f in codes(result, "MISSING_MANDATED_ITEM"))
    assert missing == [6, 16, 27]
    assert not codes(result, "WEAK_COVERAGE")
    statuses = {r.directive_item: r.status for r in result.coverage if r.binding}
    assert [n for n, s in statuses.items() if s != "covered"] == [6, 16, 27]
    assert result.has_errors
    finding = codes(result, "MISSING_MANDATED_ITEM")[0]
    assert finding.severity == "error"
    assert finding.evidence["rule"] == "gongkai_coverage.missing_mandated_item"
    assert finding.evidence["facts"]["binding"].startswith("责任单位含“各区政府”")


def test_reworded_and_merged_items_stay_covered(tmp_path, city, policy) -> None:
    draft = make_draft(
        CHANGNING,
        tmp_path / "reworded.txt",
        delete=(11,),
        reword={
            13: "充分发挥区政府门户网站作为政务公开第一平台和政务服务总门户的作用，加强信息发布、解读回应、"
            "办事服务等功能建设，推进网站规范化运营，压实网站主办单位的主体责任。",
            15: "推进全区政务新媒体账号的整合与优化，集中力量做强主账号，加强政务新媒体同区政府网站的协同联动。",
            20: "拓宽政府决策公众参与渠道，扩大公众意见听取范围，认真研究转化公众意见，形成意见听取和反馈的工作闭环，"
            "增强企业群众的参与感和获得感。",
        },
        merge=(18, 19, "结合本单位工作特色及重点活动安排，常态化开展政府开放活动，提升活动质效；完善政府开放活动参与机制，"
               "扩大参与范围，做好活动期间社会调查结果运用和企业群众意见建议的研究、转化和反馈。"),
    )
    result = check_plan(parse_file(draft), city, policy=policy)
    missing = sorted(f.directive_item for f in codes(result, "MISSING_MANDATED_ITEM"))
    assert missing == [18]  # only the deleted item (政策留言板)
    statuses = {r.directive_item: r for r in result.coverage if r.binding}
    for parent in (20, 25, 30):  # reworded
        assert statuses[parent].status == "covered", statuses[parent]
    # both parents of the merged item link to the same plan item
    assert statuses[28].status == statuses[29].status == "covered"
    assert statuses[28].plan_items[0] == statuses[29].plan_items[0]


def test_traditional_copy_checks_the_same(tmp_path, city, policy) -> None:
    opencc = pytest.importorskip("opencc")
    trad = tmp_path / "changning-trad.txt"
    trad.write_text(opencc.OpenCC("s2t").convert(CHANGNING.read_text(encoding="utf-8")), encoding="utf-8")
    plan = parse_file(trad)
    assert plan.traditional
    result = check_plan(plan, city, policy=policy)
    original = check_plan(parse_file(CHANGNING), city, policy=policy)
    assert [(r.directive_item, r.status, r.plan_items) for r in result.coverage] == [
        (r.directive_item, r.status, r.plan_items) for r in original.coverage
    ]
    assert [f.code for f in result.findings] == [f.code for f in original.findings]


def test_jingan_alone_every_item_without_unit(policy) -> None:
    result = check_plan(parse_file(JINGAN), None, policy=policy)
    assert [f.plan_item for f in codes(result, "ITEM_WITHOUT_UNIT")] == list(range(1, 14))
    assert result.coverage == []


def test_baoshan_alone_timing(policy) -> None:
    result = check_plan(parse_file(BAOSHAN), None, policy=policy)
    assert [f.plan_item for f in codes(result, "DEADLINE_BEFORE_ISSUE")] == [22, 24, 29]
    conflict = codes(result, "DEADLINE_CONFLICT")
    assert [f.plan_item for f in conflict] == [38]
    assert "发布后30天内" in conflict[0].message and "5月底前" in conflict[0].message
    assert not codes(result, "ITEM_WITHOUT_UNIT")


def test_deadline_after_mandated(policy) -> None:
    # One level down: the education bureau's own plan gives 8月 to an item the district
    # plan (Baoshan 2023, item 18, table: 5月底) wants done by the end of May.
    parent = parse_file(BAOSHAN)
    child = parse_file(BAOSHAN)
    child.level, child.issuer = "unit", "上海市宝山区教育局"
    for d in child.item(18).deadlines:
        d.due = d.due.replace(month=8, day=31)
        d.phrase = "8月"
    result = check_plan(child, parent, policy=policy)
    binding = {r.directive_item for r in result.coverage if r.binding}
    assert 18 in binding and 7 not in binding  # item 7 names two bureaus, not education
    late = codes(result, "DEADLINE_AFTER_MANDATED")
    assert [(f.directive_item, f.plan_item) for f in late] == [(18, 18)]
    assert "5月底" in late[0].message


def test_policy_file_changes_thresholds_and_severity(tmp_path, city) -> None:
    strict = tmp_path / "policy.yaml"
    strict.write_text("plan_submission_days: 60\nseverity:\n  UNKNOWN_UNIT: error\n", encoding="utf-8")
    policy = load_policy(strict)
    result = check_plan(parse_file(CHANGNING), city, policy=policy)
    assert not codes(result, "PLAN_ISSUED_LATE")
    assert codes(result, "UNKNOWN_UNIT")[0].severity == "error"
    assert result.has_errors


def test_cli_check_json_and_exit_codes(tmp_path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "t.db")
    ok = runner.invoke(app, ["check", str(CHANGNING), "--against", str(CITY), "--json", "--db", db])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert set(data) >= {"plan", "directive", "coverage", "findings"}
    assert {"directive_item", "binding", "plan_items", "score", "status"} <= set(data["coverage"][0])
    assert {"code", "severity", "directive_item", "plan_item", "units", "message", "evidence"} <= set(
        data["findings"][0]
    )
    draft = make_draft(CHANGNING, tmp_path / "draft.txt", delete=(5,))
    bad = runner.invoke(app, ["check", str(draft), "--against", str(CITY), "--db", db])
    assert bad.exit_code == 1
    assert "MISSING_MANDATED_ITEM" in bad.stdout
    missing = runner.invoke(app, ["check", str(tmp_path / "nope.txt"), "--db", db])
    assert missing.exit_code == 2


@pytest.mark.parametrize("deleted", range(1, 23))
def test_each_single_deletion_reports_exactly_its_parent(tmp_path, city, policy, deleted: int) -> None:
    parent = {v: k for k, v in CITY_TO_CHANGNING.items()}[deleted]
    draft = make_draft(CHANGNING, tmp_path / "draft.txt", delete=(deleted,))
    result = check_plan(parse_file(draft), city, policy=policy)
    not_covered = {r.directive_item: r.status for r in result.coverage if r.binding and r.status != "covered"}
    assert not_covered == {parent: "missing"}


# A thematic plan that merges many parent items into few: the 2025 Changning task table (its
# 33 rows stand in for a directive) against the 2025 Jing'an work points (13 merged items),
# mapped by hand from the two texts. Rows with no counterpart in Jing'an are None.
CHANGNING_2025_TO_JINGAN = {
    1: 1, 2: None, 3: 11, 4: 2, 5: 11, 6: None, 7: 6, 8: 3, 9: 5, 10: 3, 11: 5, 12: 6, 13: None, 14: None,
    15: 7, 16: 7, 17: 7, 18: 7, 19: 7, 20: 8, 21: 9, 22: 9, 23: 10, 24: 4, 25: 12, 26: 11, 27: 12, 28: 12,
    29: 13, 30: 13, 31: None, 32: None, 33: None,
}


def test_merged_thematic_plan_links_each_row_to_its_item(policy) -> None:
    directive = parse_file(SAMPLES / "changning-2025-task-table.txt")
    directive.level, directive.place = "municipal", "上海市"
    for item in directive.items:  # let every row bind the district
        item.units = [type(item.units[0])("各区政府", "各区政府", "responsible", True)]
    result = check_plan(parse_file(JINGAN), directive, policy=policy)
    rows = {r.directive_item: r for r in result.coverage}
    for row_number, expected in CHANGNING_2025_TO_JINGAN.items():
        row = rows[row_number]
        if expected is None:
            assert row.status == "missing", row
        else:
            assert row.status in ("covered", "partial"), row
            assert row.plan_items[0] == expected, row
    covered = sum(1 for n, e in CHANGNING_2025_TO_JINGAN.items() if e and rows[n].status == "covered")
    assert covered >= 18  # most take-ups are clear; the thin ones are flagged as partial


@pytest.mark.parametrize("issuer", ["上海市宝山区友谊路街道办事处", "上海市宝山区罗店镇人民政府"])
def test_street_and_town_plans_are_bound_by_street_items(policy, issuer: str) -> None:
    district = parse_file(BAOSHAN)
    own = parse_file(BAOSHAN)
    own.level, own.issuer = "unit", issuer
    result = check_plan(own, district, policy=policy)
    not_binding = sorted(r.directive_item for r in result.coverage if not r.binding)
    # items naming only bureaus (7: 区人力资源社会保障局、区退役军人局), departments
    # (16: 各执法部门; 32: 区政府各相关部门) or 相关部门 (3) do not bind a street or town
    assert not_binding == [3, 4, 5, 7, 8, 10, 13, 15, 16, 26, 32, 37]
