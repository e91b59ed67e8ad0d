"""Coverage rules: every directive item that binds the plan's issuer is taken up by the plan."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from durable.lang import m

from documents.model import Document
from rules.alignment import Alignment, align_outlines
from rules.binding import Binding
from rules.engine import define_ruleset, run_ruleset
from rules.findings import Finding, severity_for
from rules.policy import Policy
from rules.similarity import Scorer, top_indices_of

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
    alignment: dict[str, Any] | None = None  # where the outline alignment placed a reworded counterpart

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def coverage_facts(
    directive: Document, plan: Document, bindings: list[Binding], policy: Policy
) -> list[dict[str, Any]]:
    """One fact per directive item: its binding, its best links and their score, and where the
    outline alignment places its counterpart when no text link is confident."""
    settings = policy.coverage
    d_texts = [i.text for i in directive.items]
    p_texts = [i.text for i in plan.items]
    scorer = Scorer(d_texts, p_texts, settings)
    matrix = scorer.matrix()
    alignments = align_outlines(
        directive.items, plan.items, [b.binding for b in bindings], matrix, scorer, settings
    )
    linked_of = top_indices_of(matrix, settings.link)
    # a directive item split over several plan items is read across them together
    groups = {
        index: group
        for index, (row, linked) in enumerate(zip(matrix, linked_of, strict=True))
        if len(group := [j for j in linked if not row[j].discounted][:3]) > 1
    }
    together = dict(zip(groups, scorer.combined_many(list(groups.items())), strict=True))
    facts = []
    for index, (d_item, binding, row) in enumerate(zip(directive.items, bindings, matrix, strict=True)):
        linked = linked_of[index]
        best = row[linked[0]].score if linked else 0.0
        if index in together:
            best = max(best, together[index])
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
        plan_items = [link["plan_item"] for link in links if link["score"] >= settings.weak]
        alignment = alignments.get(index) or Alignment("none")
        if alignment.verdict == "covered" and alignment.counterpart is not None:
            # the plan item standing in the counterpart's place comes first
            first = alignment.counterpart.plan_item
            plan_items = [first] + [n for n in plan_items if n != first]
        elif alignment.verdict == "weak":
            plan_items += [c.plan_item for c in alignment.candidates if c.plan_item not in plan_items]
        facts.append(
            {
                "kind": "directive_item",
                "directive_item": d_item.number,
                "binding": binding.binding,
                "reason": binding.reason,
                "score": round(best, 4),
                "covered_at": settings.covered,
                "weak_at": settings.weak,
                "aligned": alignment.verdict,
                "alignment": _alignment_evidence(alignment, settings),
                "plan_items": plan_items,
                "links": links,
                "summary": d_item.text[:60],
                "units": [u.name for u in d_item.units],
            }
        )
    return facts


def _alignment_evidence(alignment: Alignment, settings: Any) -> dict[str, Any] | None:
    if alignment.counterpart is None and not alignment.candidates:
        return None
    return {
        "verdict": alignment.verdict,
        "counterpart": alignment.counterpart.to_dict() if alignment.counterpart else None,
        "candidates": [c.to_dict() for c in alignment.candidates[:3]],
        "thresholds": {"covered": settings.align_covered, "weak": settings.align_weak},
    }


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
        hint = f"（最接近的是第{best['plan_item']}项，相似度{best['score']:.2f}；按提纲顺序，其应在的位置也没有对应条目）" if best else ""
        return _finding(
            "MISSING_MANDATED_ITEM",
            f"上级文件第{fact['directive_item']}项（{fact['reason']}）未在本方案中落实{hint}：{fact['summary']}…",
            fact,
        )

    def weak(fact: dict[str, Any]) -> dict[str, Any]:
        items = "、".join(str(n) for n in fact["plan_items"])
        if fact["aligned"] == "weak":
            where = fact["alignment"]["counterpart"]
            place = _place(where)
            message = (
                f"上级文件第{fact['directive_item']}项可能由本方案第{items}项以不同表述落实"
                f"（{place}相似度{where['text_score']:.2f}），请核对是否完整落实"
            )
        else:
            message = (
                f"上级文件第{fact['directive_item']}项仅部分体现在本方案第{items}项"
                f"（相似度{fact['score']:.2f}），请核对是否完整落实"
            )
        return _finding("WEAK_COVERAGE", message, fact)

    covered = (m.score >= m.covered_at) | (m.aligned == "covered")
    define_ruleset(
        RULESET,
        [
            ("covered", (m.binding == True) & covered, lambda f: {"status": "covered"}),  # noqa: E712
            (
                "weak_coverage",
                (m.binding == True) & (m.score < m.covered_at) & (m.aligned != "covered")  # noqa: E712
                & ((m.score >= m.weak_at) | (m.aligned == "weak")),
                weak,
            ),
            (
                "missing_mandated_item",
                (m.binding == True) & (m.score < m.weak_at) & (m.aligned == "none"),  # noqa: E712
                missing,
            ),
        ],
    )


def _place(counterpart: dict[str, Any]) -> str:
    """Where an aligned counterpart stands, in words: 位于第3项与第5项之间，小标题相同，"""
    before, after = counterpart["between"]
    if before and after:
        place = f"位于第{before}项与第{after}项之间，"
    elif before:
        place = f"位于第{before}项之后，"
    elif after:
        place = f"位于第{after}项之前，"
    else:
        place = ""
    if not counterpart["in_gap"]:
        place = ""
    if counterpart["same_section"]:
        place += "所在小标题相同，"
    return place


def check_coverage(
    directive: Document, plan: Document, bindings: list[Binding], policy: Policy
) -> tuple[list[CoverageRow], list[Finding]]:
    _define()
    facts = coverage_facts(directive, plan, bindings, policy)
    # Every coverage rule is about a binding item; the others are "not_binding" rows (most of a
    # district plan's items, for a unit plan): they stay out of the engine's working memory.
    conclusions = run_ruleset(RULESET, [fact for fact in facts if fact["binding"]])
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
                        "alignment": fact["alignment"],
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
                alignment=fact["alignment"] if fact["binding"] else None,
            )
        )
    return rows, findings
