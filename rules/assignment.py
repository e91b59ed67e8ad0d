"""Assignment rules: every plan item names who does it, and the names resolve to real offices."""

from __future__ import annotations

from typing import Any

from durable.lang import m

from documents.model import Document
from offices.registry import Registry
from rules.engine import define_ruleset, run_ruleset
from rules.findings import Finding, severity_for

RULESET = "gongkai_assignment"


def assignment_facts(plan: Document, registry: Registry | None) -> list[dict[str, Any]]:
    facts: list[dict[str, Any]] = []
    if registry is None:
        # No registry covers the place: units are accepted as written, and the check says so once.
        named = sorted({u.name for item in plan.items for u in item.units})
        if named:
            facts.append({"kind": "no_registry", "place": plan.place or "", "unit_count": len(named),
                          "units": named, "items": [i.number for i in plan.items if i.units]})
    for item in plan.items:
        facts.append(
            {"kind": "plan_item", "plan_item": item.number, "unit_count": len(item.units), "summary": item.text[:40]}
        )
        if registry is None:
            continue
        seen: set[str] = set()
        for unit in item.units:
            if unit.name in seen:
                continue
            seen.add(unit.name)
            resolution = registry.resolve(unit.name)
            resolved = resolution.office is not None or bool(resolution.members)
            facts.append(
                {
                    "kind": "unit_ref",
                    "plan_item": item.number,
                    "name": unit.name,
                    "canonical": unit.canonical,
                    "role": unit.role,
                    "collective": unit.collective,
                    "resolved": resolved,
                    "suggestion": resolution.suggestion,
                    "suggestion_score": resolution.score,
                    "registry": registry.district,
                }
            )
    return facts


def _item_without_unit(fact: dict[str, Any]) -> dict[str, Any]:
    return {
        "finding": Finding(
            code="ITEM_WITHOUT_UNIT",
            severity=severity_for("ITEM_WITHOUT_UNIT"),
            message=f"第{fact['plan_item']}项未明确责任单位：{fact['summary']}…",
            plan_item=fact["plan_item"],
        )
    }


def _unknown_unit(fact: dict[str, Any]) -> dict[str, Any]:
    hint = f"，是否为“{fact['suggestion']}”？" if fact.get("suggestion") else "，请核对单位名称"
    return {
        "finding": Finding(
            code="UNKNOWN_UNIT",
            severity=severity_for("UNKNOWN_UNIT"),
            message=f"第{fact['plan_item']}项的责任单位“{fact['name']}”不在{fact['registry']}单位名录中{hint}",
            plan_item=fact["plan_item"],
            units=[fact["name"]],
        )
    }


def _no_registry(fact: dict[str, Any]) -> dict[str, Any]:
    place = fact["place"] or "该文件所属地区"
    return {
        "finding": Finding(
            code="NO_REGISTRY",
            severity=severity_for("NO_REGISTRY"),
            message=f"没有{place}的单位名录：{fact['unit_count']}个责任单位名称按原文接受，未核对",
            units=list(fact["units"]),
        )
    }


def _define() -> None:
    define_ruleset(
        RULESET,
        [
            ("item_without_unit", (m.kind == "plan_item") & (m.unit_count == 0), _item_without_unit),
            ("no_registry", m.kind == "no_registry", _no_registry),
            ("unknown_unit", (m.kind == "unit_ref") & (m.collective == False) & (m.resolved == False), _unknown_unit),  # noqa: E712
        ],
    )


def check_assignment(plan: Document, registry: Registry | None) -> list[Finding]:
    _define()
    findings = []
    for conclusion in run_ruleset(RULESET, assignment_facts(plan, registry)):
        finding = conclusion.verdict["finding"]
        finding.evidence = {"rule": conclusion.rule, "facts": _public(conclusion.fact)}
        findings.append(finding)
    return findings


def _public(fact: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fact.items() if k not in ("summary",)}
