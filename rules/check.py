"""One check of a plan against its directive: binding → coverage → assignment → timing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from documents.model import Document
from offices.registry import Registry, registry_for_place
from rules.assignment import check_assignment
from rules.binding import binding_items
from rules.coverage import CoverageRow, check_coverage
from rules.findings import Finding, severity_for
from rules.policy import Policy
from rules.timing import check_timing

# Rank of each level in the hierarchy: a plan is checked against a directive ranked above it.
LEVEL_RANK = {"province": 0, "municipal": 1, "district": 2, "unit": 3}
LEVEL_NAMES = {"province": "省级", "municipal": "市级", "district": "区县级", "unit": "部门或街镇级"}


def level_problem(plan: Document, directive: Document | None) -> str | None:
    """One Chinese line when `plan` is not below `directive` (same level or higher), else None."""
    if directive is None:
        return None
    mine, theirs = LEVEL_RANK.get(plan.level), LEVEL_RANK.get(directive.level)
    if mine is None or theirs is None or mine > theirs:
        return None
    return (
        f"本文件（{plan.place or '?'}，{LEVEL_NAMES[plan.level]}）不低于所对照的上级文件"
        f"（{directive.place or '?'}，{LEVEL_NAMES[directive.level]}）：请对照其上一级的文件检查"
    )


@dataclass
class CheckResult:
    plan: Document
    directive: Document | None
    coverage: list[CoverageRow] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[f.severity] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": _doc_summary(self.plan),
            "directive": _doc_summary(self.directive) if self.directive else None,
            "coverage": [
                {
                    "directive_item": row.directive_item,
                    "binding": row.binding,
                    "plan_items": row.plan_items,
                    "score": row.score,
                    "status": row.status,
                    "reason": row.reason,
                    "alignment": row.alignment,
                }
                for row in self.coverage
            ],
            "findings": [
                {
                    "code": f.code,
                    "severity": f.severity,
                    "directive_item": f.directive_item,
                    "plan_item": f.plan_item,
                    "units": f.units,
                    "message": f.message,
                    "evidence": f.evidence,
                }
                for f in self.findings
            ],
            "counts": self.counts(),
            "warnings": self.warnings,
        }


def _doc_summary(doc: Document) -> dict[str, Any]:
    return {
        "doc_number": doc.doc_number,
        "title": doc.title,
        "place": doc.place,
        "level": doc.level,
        "year": doc.year,
        "issue_date": doc.issue_date.isoformat() if doc.issue_date else None,
        "items": len(doc.items),
    }


def check_plan(
    plan: Document,
    directive: Document | None = None,
    *,
    policy: Policy,
    registry: Registry | None = None,
) -> CheckResult:
    """Run every rule family; a plan checked without a parent gets the rules that need none."""
    result = CheckResult(plan=plan, directive=directive)
    if registry is None and plan.place:
        registry = registry_for_place(plan.place)
    if registry is None:
        result.warnings.append(f"未找到{plan.place or '该文件'}的单位名录，未核对责任单位名称")
    links: dict[int, list[int]] = {}
    if directive is not None:
        bindings = binding_items(directive, plan, policy, registry)
        result.coverage, coverage_findings = check_coverage(directive, plan, bindings, policy)
        result.findings += coverage_findings
        if result.coverage and not any(row.binding for row in result.coverage):
            result.findings.append(_no_binding_items(plan, directive))
        links = {row.directive_item: row.plan_items for row in result.coverage if row.binding}
    result.findings += check_assignment(plan, registry)
    result.findings += check_timing(plan, directive, links, policy)
    for finding in result.findings:
        finding.severity = severity_for(finding.code, policy)
    result.findings.sort(key=lambda f: f.sort_key)
    return result


def _no_binding_items(plan: Document, directive: Document) -> Finding:
    """Zero coverage because nothing binds is said, not left silent: usually a misread place or
    level, or a directive that is not this plan's parent."""
    return Finding(
        code="NO_BINDING_ITEMS",
        severity=severity_for("NO_BINDING_ITEMS"),
        message=(
            f"上级文件《{directive.title}》的{len(directive.items)}项中没有适用于{plan.place or '本级'}的条目，"
            "未核对覆盖情况：请确认所对照的上级文件及本文件的地区、层级"
        ),
        evidence={
            "rule": "gongkai_check.no_binding_items",
            "facts": {"plan_place": plan.place, "plan_level": plan.level, "directive_place": directive.place,
                      "directive_level": directive.level, "directive_items": len(directive.items)},
        },
    )
