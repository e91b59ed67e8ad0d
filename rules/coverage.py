"""Coverage rules: every directive item that binds the plan's issuer is taken up by the plan."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from durable.lang import m

from documents.model import Document
from rules.binding import Binding
from rules.engine import define_ruleset, run_ruleset
from rules.findings import Finding, severity_for
from rules.policy import Policy
from rules.similarity import Scorer, top_indices

RULESET = "gongkai_coverage"


@dataclass
class CoverageRow:
    directive_item: int
    binding: bool
    plan_items: list[int]
    score: float
    status: str  # covered | partial | missing | not_binding
    reason: str = ""
    links: list[dict[str, Any]] = field(default_factory=list)  # per plan item: score, cosine, key phrases

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def coverage_facts(
    directive: Document, plan: Document, bindings: list[Binding], policy: Policy
) -> list[dict[str, Any]]:
    """One fact per directive item: its binding, its best links and their score."""
    cov = policy.coverage
    link_threshold = cov.link
    d_texts = [i.text for i in directive.items]
    p_texts = [i.text for i in plan.items]
    scorer = Scorer(d_texts, p_texts, cov)
    matrix = scorer.matrix()
    facts = []
    for index, (d_item, binding, row) in enumerate(zip(directive.items, bindings, matrix, strict=True)):
        linked = top_indices(row, link_threshold)
        best = row[linked[0]].score if linked else 0.0
        group = [j for j in linked if not row[j].discounted][:3]
        if len(group) > 1:
            # a directive item split over several plan items is read across them together
            best = max(best, scorer.combined(index, group))
        links: list[dict[str, Any]] = [
            {
                "plan_item": plan.items[j].number,
                "score": row[j].score,
                "cosine": row[j].cosine,
                "fuzzy": row[j].fuzzy,
                "contained": row[j].contained,
                "key_phrases": row[j].key_phrases,
            }
            for j in linked
        ]
        facts.append(
            {
                "kind": "directive_item",
                "directive_item": d_item.number,
                "binding": binding.binding,
                "reason": binding.reason,
                "score": round(best, 4),
                "covered_at": cov.covered,
                "weak_at": cov.weak,
                "plan_items": [link["plan_item"] for link in links if link["score"] >= cov.weak],
                "links": links,
                "summary": d_item.text[:60],
                "units": [u.name for u in d_item.units],
            }
        )
    return facts


def _finding(code: str, message: str, fact: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": "missing" if code == "MISSING_MANDATED_ITEM" else "partial",
        "finding": Finding(
            code=code,
            severity=severity_for(code),  # the policy's override is applied by rules.check
            message=message,
            directive_item=fact["directive_item"],
            plan_item=fact["plan_items"][0] if fact["plan_items"] else None,
            units=fact["units"],
            evidence={},
        ),
    }


def _define() -> None:
    # Messages are built from the fact; thresholds travel in the facts so one ruleset serves
    # any policy file.
    def missing(fact: dict[str, Any]) -> dict[str, Any]:
        best = fact["links"][0] if fact["links"] else None
        hint = f"（最接近的是第{best['plan_item']}项，相似度{best['score']:.2f}）" if best else ""
        return _finding(
            "MISSING_MANDATED_ITEM",
            f"上级文件第{fact['directive_item']}项（{fact['reason']}）未在本方案中落实{hint}：{fact['summary']}…",
            fact,
        )

    def weak(fact: dict[str, Any]) -> dict[str, Any]:
        return _finding(
            "WEAK_COVERAGE",
            f"上级文件第{fact['directive_item']}项仅部分体现在本方案第"
            f"{'、'.join(str(n) for n in fact['plan_items'])}项（相似度{fact['score']:.2f}），请核对是否完整落实",
            fact,
        )

    define_ruleset(
        RULESET,
        [
            ("covered", (m.binding == True) & (m.score >= m.covered_at), lambda f: {"status": "covered"}),  # noqa: E712
            ("weak_coverage", (m.binding == True) & (m.score >= m.weak_at) & (m.score < m.covered_at), weak),  # noqa: E712
            ("missing_mandated_item", (m.binding == True) & (m.score < m.weak_at), missing),  # noqa: E712
        ],
    )


def check_coverage(
    directive: Document, plan: Document, bindings: list[Binding], policy: Policy
) -> tuple[list[CoverageRow], list[Finding]]:
    _define()
    facts = coverage_facts(directive, plan, bindings, policy)
    conclusions = run_ruleset(RULESET, facts)
    status = {c.fact["directive_item"]: c for c in conclusions}
    rows: list[CoverageRow] = []
    findings: list[Finding] = []
    for fact in facts:
        conclusion = status.get(fact["directive_item"])
        if conclusion is None:
            row_status = "not_binding"
        else:
            row_status = conclusion.verdict["status"]
            if "finding" in conclusion.verdict:
                finding = conclusion.verdict["finding"]
                finding.evidence = {
                    "rule": conclusion.rule,
                    "facts": {
                        "binding": fact["reason"],
                        "score": fact["score"],
                        "thresholds": {"covered": fact["covered_at"], "weak": fact["weak_at"]},
                        "links": fact["links"][:3],
                    },
                }
                findings.append(finding)
        rows.append(
            CoverageRow(
                directive_item=fact["directive_item"],
                binding=fact["binding"],
                plan_items=fact["plan_items"] if fact["binding"] else [],
                score=fact["score"],
                status=row_status,
                reason=fact["reason"],
                links=fact["links"] if fact["binding"] else [],
            )
        )
    return rows, findings
