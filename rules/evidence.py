"""A finding's evidence as people read it: Chinese labels for the rule and for every fact.

The store and `--json` keep the evidence as the rules recorded it (`{"rule": …, "facts": {…}}`,
English keys, dates as ordinals); this is the one table that turns it into labelled lines for
the dashboard, the reports and the terminal. A key missing here shows as itself, so a new fact
is never hidden — tests check that every key the rules record has a label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

# Rule name (ruleset.rule, as the rules engine records it) → what the rule decides.
RULE_LABELS: dict[str, str] = {
    "gongkai_coverage.missing_mandated_item": "上级任务缺失判定",
    "gongkai_coverage.weak_coverage": "上级任务部分覆盖判定",
    "gongkai_timing.item_without_deadline": "任务缺少完成时限",
    "gongkai_timing.deadline_before_issue": "完成时限早于印发日期",
    "gongkai_timing.body_table_conflict": "正文与任务分解表不一致",
    "gongkai_timing.plan_issued_late": "方案逾期印发",
    "gongkai_timing.deadline_after_mandated": "完成时限晚于上级要求",
    "gongkai_assignment.item_without_unit": "任务缺少责任单位",
    "gongkai_assignment.no_registry": "缺少本地单位名录",
    "gongkai_assignment.unknown_unit": "责任单位不在名录中",
    "gongkai_check.no_binding_items": "上级文件无适用条目",
}

# Finding code → a short name (the catalog's explanation is the long form).
CODE_LABELS: dict[str, str] = {
    "MISSING_MANDATED_ITEM": "缺少上级要求的条目",
    "WEAK_COVERAGE": "覆盖不充分",
    "ITEM_WITHOUT_UNIT": "条目无责任单位",
    "UNKNOWN_UNIT": "责任单位不在名录中",
    "ITEM_WITHOUT_DEADLINE": "条目无完成时限",
    "DEADLINE_AFTER_MANDATED": "时限晚于上级要求",
    "DEADLINE_BEFORE_ISSUE": "时限早于印发日期",
    "DEADLINE_CONFLICT": "正文与附表时限不一致",
    "UNIT_CONFLICT": "正文与附表责任单位不一致",
    "PLAN_ISSUED_LATE": "方案印发超期",
    "UNIT_PLAN_MISSING_ITEMS": "单位计划缺少应承担的条目",
    "NO_REGISTRY": "缺少单位名录",
    "NO_BINDING_ITEMS": "上级文件无适用条目",
}

# Fact key → label. One table for every ruleset: the same key means the same thing everywhere.
EVIDENCE_LABELS: dict[str, str] = {
    "rule": "依据规则",
    "facts": "事实",
    "kind": "事实类型",
    # items and places
    "plan_item": "本方案条目",
    "directive_item": "上级条目",
    "items": "涉及条目",
    "summary": "条目摘要",
    "place": "地区",
    "plan_place": "本方案地区",
    "plan_level": "本方案层级",
    "directive_place": "上级文件地区",
    "directive_level": "上级文件层级",
    "directive_items": "上级文件条目数",
    # coverage: text likeness
    "binding": "适用依据",
    "score": "相似度",
    "cosine": "词语相似度",
    "fuzzy": "字面相似度",
    "contained": "包含程度",
    "key_phrases": "共有关键词",
    "thresholds": "判定标准",
    "covered": "达到即为覆盖",
    "weak": "达到即为部分覆盖",
    "links": "最相近的本方案条目",
    # coverage: outline alignment
    "alignment": "按结构对照",
    "aligned": "对照结论",
    "verdict": "对照结论",
    "counterpart": "对应条目",
    "candidates": "候选条目",
    "evidence": "综合得分",
    "text_score": "文字得分",
    "topic_score": "主题得分",
    "heading": "所在标题相近程度",
    "same_section": "位于对应章节",
    "in_gap": "位于前后条目之间",
    "in_place": "位于该项在本方案中的对应位置",
    "between": "前后已对应的本方案条目",
    "shared_units": "共同的责任单位",
    "phrases": "相关表述",
    # dates
    "count": "完成时限个数",
    "phrase": "时限原文",
    "due": "到期日",
    "issued": "印发日期",
    "days_after": "晚于上级文件（天）",
    "window": "规定期限（天）",
    "plan_issued": "本方案印发日期",
    "directive_issued": "上级文件印发日期",
    "plan_due": "本方案时限",
    "parent_due": "上级文件时限",
    "plan_phrase": "本方案时限原文",
    "parent_phrase": "上级文件时限原文",
    "note_kind": "不一致之处",
    "message": "说明",
    "body": "正文所写",
    "table": "任务分解表所写",
    # units
    "unit_count": "责任单位数",
    "units": "责任单位",
    "name": "单位名称（原文）",
    "canonical": "规范名称",
    "role": "职责",
    "collective": "集合称谓（如各部门）",
    "resolved": "在单位名录中找到",
    "suggestion": "名录中最接近的名称",
    "suggestion_score": "名称相近程度",
    "registry": "单位名录",
}

# Values that are code words, by the key they stand under.
_LEVELS = {"municipal": "市级", "district": "区级", "unit": "单位"}
_VERDICTS = {"covered": "已对应", "weak": "部分对应", "none": "未找到对应"}
VALUE_LABELS: dict[str, dict[str, str]] = {
    "kind": {
        "directive_item": "上级条目", "plan_item": "本方案条目", "unit_ref": "责任单位", "no_registry": "单位名录",
        "item_deadlines": "完成时限", "dated_deadline": "完成时限", "note": "正文与任务分解表", "plan_issue": "印发时间",
        "deadline_pair": "上下级时限",
    },
    "plan_level": _LEVELS,
    "directive_level": _LEVELS,
    "aligned": _VERDICTS,
    "verdict": _VERDICTS,
    "note_kind": {"deadline_conflict": "完成时限不一致", "unit_conflict": "责任单位不一致"},
    "role": {"lead": "牵头", "responsible": "责任", "cooperating": "配合"},
}
# Facts the rules carry as day ordinals (rule conditions compare numbers, not dates).
ORDINAL_DATE_KEYS = frozenset({"due", "issued", "plan_due", "parent_due"})
# Facts that are plan item numbers.
ITEM_KEYS = frozenset({"plan_item", "directive_item", "items", "between"})
# Facts that only help the rules match: nothing for a reader.
HIDDEN_KEYS = frozenset({"kind"})


@dataclass(frozen=True)
class EvidenceLine:
    label: str
    text: str
    depth: int = 0  # 0: a fact; 1: part of the fact above (a candidate, a threshold …)


def label_for(key: str) -> str:
    return EVIDENCE_LABELS.get(key, key)


def rule_label(rule: str | None) -> str:
    if not rule:
        return "—"
    return RULE_LABELS.get(rule, rule)


def format_value(key: str, value: Any) -> str:
    """One fact's value in words: dates from ordinals, 第N项 for item numbers, 是/否, code words in Chinese."""
    if value is None:
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int) and key in ORDINAL_DATE_KEYS and value > 100_000:
        return date.fromordinal(value).isoformat()
    if isinstance(value, int) and key in ITEM_KEYS:
        return f"第{value}项"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list):
        if not value:
            return "无"
        if key == "between" and len(value) == 2:  # the plan items before and after a gap
            edges = [f"第{value[0]}项之后" if value[0] is not None else "",
                     f"第{value[1]}项之前" if value[1] is not None else ""]
            return "、".join(e for e in edges if e) or "无"
        if key in ITEM_KEYS and all(isinstance(v, int) or v is None for v in value):
            return "第" + "、".join("?" if v is None else str(v) for v in value) + "项"
        return "、".join(_inline(v) if isinstance(v, dict) else format_value(key, v) for v in value)
    if isinstance(value, dict):
        return _inline(value)
    if isinstance(value, str):
        return VALUE_LABELS.get(key, {}).get(value, value) or "（空）"
    return str(value)


def _inline(facts: dict[str, Any]) -> str:
    return "；".join(f"{label_for(k)} {format_value(k, v)}" for k, v in facts.items() if k not in HIDDEN_KEYS)


def _lines(facts: dict[str, Any], depth: int) -> list[EvidenceLine]:
    lines: list[EvidenceLine] = []
    for key, value in facts.items():
        if key in HIDDEN_KEYS:
            continue
        label = label_for(key)
        if isinstance(value, dict) and value:
            lines.append(EvidenceLine(label, "", depth))
            lines += _lines(value, depth + 1)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines.append(EvidenceLine(label, f"{len(value)} 个", depth))
            lines += [EvidenceLine(f"（{n}）", _inline(v), depth + 1) for n, v in enumerate(value, start=1)]
        else:
            lines.append(EvidenceLine(label, format_value(key, value), depth))
    return lines


def evidence_lines(evidence: dict[str, Any] | None) -> list[EvidenceLine]:
    """The rule that fired and each fact it saw, labelled in Chinese, in the order recorded."""
    evidence = evidence or {}
    lines = [EvidenceLine(label_for("rule"), rule_label(evidence.get("rule")))] if evidence.get("rule") else []
    facts = evidence.get("facts")
    if isinstance(facts, dict):
        lines += _lines(facts, 0)
    return lines


def evidence_text(evidence: dict[str, Any] | None) -> str:
    """The same lines as plain text (a workbook cell, the terminal): one fact a line, parts indented."""
    return "\n".join(f"{'  ' * line.depth}{line.label}：{line.text}" if line.text else f"{'  ' * line.depth}{line.label}"
                     for line in evidence_lines(evidence))


def coverage_lines(row: dict[str, Any]) -> list[EvidenceLine]:
    """A stored coverage row's grounds beyond its score: where the outline alignment placed the
    directive item's counterpart (what makes a reworded item count as covered). Empty when the
    words alone decided."""
    if not row.get("alignment"):
        return []
    return _lines({"alignment": row["alignment"]}, 0)
