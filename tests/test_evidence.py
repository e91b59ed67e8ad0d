"""Evidence shown to people: every fact the rules record on real plans has a Chinese label, and a
finding's evidence reads as labelled lines (dates, item numbers, yes/no) while the stored and
--json evidence keeps the rules' own keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from documents.parser import parse_file
from rules.check import check_plan
from rules.evidence import CODE_LABELS, EVIDENCE_LABELS, RULE_LABELS, evidence_lines, evidence_text
from rules.findings import CATALOG
from tests.conftest import SAMPLES
from tests.drafts import make_draft

CITY = SAMPLES / "shanghai-2026-municipal-plan.txt"
CHANGNING = SAMPLES / "changning-2026-district-plan.txt"


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


@pytest.fixture(scope="module")
def findings(tmp_path_factory, policy) -> list[Any]:
    """Findings of every family on real documents: the seeds, and a Changning draft with items
    deleted and an early deadline (coverage with outline alignment, timing, assignment)."""
    city = parse_file(CITY)
    folder: Path = tmp_path_factory.mktemp("evidence")
    draft = make_draft(CHANGNING, folder / "draft.txt", delete=(2, 9, 17))
    text = draft.read_text(encoding="utf-8").replace("（责任单位：区府办", "（责任单位：区府办，2026年1月底前完成", 1)
    draft.write_text(text, encoding="utf-8")
    out = []
    for plan, directive in ((parse_file(draft), city), (parse_file(CHANGNING), city),
                            *((parse_file(p), None) for p in sorted(SAMPLES.glob("*.txt")) if p != CITY)):
        out += check_plan(plan, directive, policy=policy).findings
    return out


def test_every_recorded_fact_and_rule_has_a_chinese_label(findings):
    codes = {f.code for f in findings}
    assert {"MISSING_MANDATED_ITEM", "ITEM_WITHOUT_DEADLINE"} <= codes, codes
    keys = {k for f in findings for k in _keys(f.evidence.get("facts", {}))}
    assert keys - set(EVIDENCE_LABELS) == set()
    assert {f.evidence["rule"] for f in findings} - set(RULE_LABELS) == set()
    assert set(CATALOG) - set(CODE_LABELS) == set()


def test_evidence_lines_are_words_not_code(findings):
    for finding in findings:
        lines = evidence_lines(finding.evidence)
        assert lines[0].label == "依据规则" and lines[0].text == RULE_LABELS[finding.evidence["rule"]]
        text = evidence_text(finding.evidence)
        for word in ("True", "False", "None", "{", "plan_item", "score", "gongkai_"):
            assert word not in text, (finding.code, text)
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in line.label) or line.label.startswith("（")
                   for line in lines), lines


def test_missing_item_evidence_reads_in_order(findings):
    missing = next(f for f in findings if f.code == "MISSING_MANDATED_ITEM")
    lines = evidence_lines(missing.evidence)
    labels = [line.label for line in lines]
    assert labels[:3] == ["依据规则", "适用依据", "相似度"]
    score = next(line for line in lines if line.label == "相似度")
    assert score.text == f"{missing.evidence['facts']['score']:.2f}"
    # Thresholds and each closest plan item sit under their heading.
    at = labels.index("判定标准")
    assert [line.depth for line in lines[at + 1 : at + 3]] == [1, 1]
    closest = next(line for line in lines if line.label == "最相近的本方案条目")
    first_link = lines[lines.index(closest) + 1]
    assert first_link.depth == 1 and first_link.text.startswith("本方案条目 第")
    # The stored evidence keeps the rules' keys (what --json prints).
    assert "score" in missing.evidence["facts"] and "links" in missing.evidence["facts"]


def test_dates_kept_as_ordinals_read_as_dates(findings):
    early = [f for f in findings if f.code == "DEADLINE_BEFORE_ISSUE"]
    assert early, [f.code for f in findings]
    facts = early[0].evidence["facts"]
    assert isinstance(facts["due"], int)
    lines = {line.label: line.text for line in evidence_lines(early[0].evidence)}
    assert lines["到期日"].startswith("2026-01-") and lines["印发日期"] == "2026-05-08"
    assert lines["本方案条目"].startswith("第") and lines["本方案条目"].endswith("项")


def test_coverage_row_placed_by_the_outline_reads_why(tmp_path, policy):
    from rules.evidence import coverage_lines

    # Changning's item 11 reworded without “政策留言板”: the outline places it (tests/test_paraphrase.py).
    draft = make_draft(CHANGNING, tmp_path / "draft.txt", reword={
        11: "用好政策发布页面上的留言咨询功能，由起草部门直接答复网民提问，答复要讲质量、守时限；"
            "定期梳理群众咨询集中的问题，作为完善政策的参考。"})
    result = check_plan(parse_file(draft), parse_file(CITY), policy=policy)
    rows = {r.directive_item: r.to_dict() for r in result.coverage}
    lines = {line.label: line.text for line in coverage_lines(rows[18])}
    assert lines["对照结论"] == "部分对应"  # in its place, but about the item in few words: a person looks
    assert lines["前后已对应的本方案条目"] == "第10项之后、第12项之前"
    assert lines["位于对应章节"] == "是" and lines["位于该项在本方案中的对应位置"] == "是"
    assert "留言板" in lines["相关表述"]
    # Rows the words alone decided have nothing more to say.
    assert coverage_lines(rows[12]) == []
