"""Timing rules: the plan comes out in time after its parent; each item has a deadline, no
later than the parent's, none before the document's own issue date; body and table agree."""

from __future__ import annotations

from datetime import date
from typing import Any

from durable.lang import m

from documents.deadlines import YEAR_WIDE
from documents.model import Deadline, Document, Item
from rules.engine import define_ruleset, run_ruleset
from rules.findings import Finding, severity_for
from rules.policy import Policy

RULESET = "gongkai_timing"
SPECIFIC_KINDS = ("absolute", "relative", "next_year")


def _dated(deadlines: list[Deadline]) -> list[Deadline]:
    return [d for d in deadlines if d.due is not None and d.kind in SPECIFIC_KINDS]


def _due(deadline: Deadline) -> date:
    """The date of a deadline `_dated` kept (it always has one)."""
    assert deadline.due is not None
    return deadline.due


def latest_due(item: Item) -> Deadline | None:
    """The item's latest calendar deadline; `relative` ones (发布后30天内) are left out because
    each is anchored on its own document's issue date and cannot be compared across levels."""
    dated = [d for d in _dated(item.deadlines) if d.kind != "relative"]
    return max(dated, key=_due) if dated else None


def timing_facts(
    plan: Document, directive: Document | None, links: dict[int, list[int]], policy: Policy
) -> list[dict[str, Any]]:
    """Facts about dates. `links` maps a directive item number to the plan items taking it up."""
    facts: list[dict[str, Any]] = []
    for item in plan.items:
        facts.append({"kind": "item_deadlines", "plan_item": item.number, "count": len(item.deadlines)})
        if plan.issue_date:
            early = [d for d in _dated(item.deadlines) if _due(d) < plan.issue_date and d.phrase not in YEAR_WIDE]
            if early:
                first = min(early, key=_due)
                facts.append(
                    {
                        "kind": "dated_deadline",
                        "plan_item": item.number,
                        "phrase": first.phrase,
                        "due": _due(first).toordinal(),
                        "issued": plan.issue_date.toordinal(),
                        "phrases": [f"{d.phrase}（{d.source}，{_due(d).isoformat()}）" for d in early],
                    }
                )
        for note in item.notes:
            if note.kind in ("deadline_conflict", "unit_conflict"):
                facts.append(
                    {"kind": "note", "note_kind": note.kind, "plan_item": item.number, "message": note.message,
                     "body": note.body, "table": note.table}
                )
    if directive is not None:
        if plan.issue_date and directive.issue_date:
            facts.append(
                {
                    "kind": "plan_issue",
                    "days_after": (plan.issue_date - directive.issue_date).days,
                    "window": policy.plan_submission_days,
                    "plan_issued": plan.issue_date.isoformat(),
                    "directive_issued": directive.issue_date.isoformat(),
                }
            )
        by_number = {i.number: i for i in plan.items}
        for d_item in directive.items:
            linked = links.get(d_item.number)
            if not linked:  # most of a district plan's items, for a unit plan: no date to compare
                continue
            parent = latest_due(d_item)
            if parent is None:
                continue
            for p_number in linked:
                mine = latest_due(by_number[p_number]) if p_number in by_number else None
                if mine is None:
                    continue
                facts.append(
                    {
                        "kind": "deadline_pair",
                        "directive_item": d_item.number,
                        "plan_item": p_number,
                        "plan_due": _due(mine).toordinal(),
                        "parent_due": _due(parent).toordinal(),
                        "plan_phrase": mine.phrase,
                        "parent_phrase": parent.phrase,
                    }
                )
    return facts


def _iso(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def _without_deadline(fact: dict[str, Any]) -> dict[str, Any]:
    return {"finding": Finding("ITEM_WITHOUT_DEADLINE", severity_for("ITEM_WITHOUT_DEADLINE"),
                               f"第{fact['plan_item']}项未明确完成时限", plan_item=fact["plan_item"])}


def _before_issue(fact: dict[str, Any]) -> dict[str, Any]:
    return {"finding": Finding(
        "DEADLINE_BEFORE_ISSUE", severity_for("DEADLINE_BEFORE_ISSUE"),
        f"第{fact['plan_item']}项时限“{fact['phrase']}”（{_iso(fact['due'])}）早于本文件印发日期{_iso(fact['issued'])}",
        plan_item=fact["plan_item"])}


def _conflict(fact: dict[str, Any]) -> dict[str, Any]:
    code = "DEADLINE_CONFLICT" if fact["note_kind"] == "deadline_conflict" else "UNIT_CONFLICT"
    return {"finding": Finding(code, severity_for(code), fact["message"], plan_item=fact["plan_item"])}


def _issued_late(fact: dict[str, Any]) -> dict[str, Any]:
    return {"finding": Finding(
        "PLAN_ISSUED_LATE", severity_for("PLAN_ISSUED_LATE"),
        f"本方案印发于{fact['plan_issued']}，在上级文件（{fact['directive_issued']}）印发后第{fact['days_after']}天，"
        f"超过{fact['window']}天时限{fact['days_after'] - fact['window']}天")}


def _after_mandated(fact: dict[str, Any]) -> dict[str, Any]:
    return {"finding": Finding(
        "DEADLINE_AFTER_MANDATED", severity_for("DEADLINE_AFTER_MANDATED"),
        f"第{fact['plan_item']}项时限“{fact['plan_phrase']}”（{_iso(fact['plan_due'])}）晚于上级文件第"
        f"{fact['directive_item']}项的时限“{fact['parent_phrase']}”（{_iso(fact['parent_due'])}）",
        directive_item=fact["directive_item"], plan_item=fact["plan_item"])}


def _define() -> None:
    define_ruleset(
        RULESET,
        [
            ("item_without_deadline", (m.kind == "item_deadlines") & (m.count == 0), _without_deadline),
            ("deadline_before_issue", (m.kind == "dated_deadline") & (m.due < m.issued), _before_issue),
            ("body_table_conflict", m.kind == "note", _conflict),
            ("plan_issued_late", (m.kind == "plan_issue") & (m.days_after > m.window), _issued_late),
            ("deadline_after_mandated", (m.kind == "deadline_pair") & (m.plan_due > m.parent_due), _after_mandated),
        ],
    )


def check_timing(
    plan: Document, directive: Document | None, links: dict[int, list[int]], policy: Policy
) -> list[Finding]:
    _define()
    findings = []
    for conclusion in run_ruleset(RULESET, timing_facts(plan, directive, links, policy)):
        finding = conclusion.verdict["finding"]
        finding.evidence = {"rule": conclusion.rule, "facts": conclusion.fact}
        findings.append(finding)
    return findings
