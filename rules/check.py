"""One check of a plan against its directive: binding → coverage → assignment → timing.

A check depends on nothing but the plan, its parent, the policy, the plan's registry and the
rules' code (never on the date), so its result is kept under the hash of those (`check_key`) and
reused while they are unchanged. RULES_VERSION carries a fingerprint of the code a check runs
(documents/, rules/, offices/, workdays/), so any change there checks every kept result again.

The rule families (and scikit-learn under coverage) are imported when a check actually runs, so a
command that is answered from kept results or rejects its input never pays for them.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from documents.model import Document
from offices.registry import Registry, registry_for_place
from rules.findings import Finding, severity_for
from rules.policy import Policy

if TYPE_CHECKING:
    from rules.coverage import CoverageRow

# Packages whose code a check's result depends on (reading, rules, office names, the calendar).
CHECK_CODE = ("documents", "rules", "offices", "workdays")


PROJECT_ROOT = Path(__file__).resolve().parent.parent


def code_fingerprint(root: Path = PROJECT_ROOT) -> str:
    """A hash of the source of CHECK_CODE: any edit there re-checks every kept result, so a
    forgotten version bump can never serve a finding the current code would not give."""
    digest = hashlib.sha256()
    for package in CHECK_CODE:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode("utf-8"))
            digest.update(path.read_bytes())
    return digest.hexdigest()[:8]  # with the release, fits check_results.rules_version (20)


# The version of the rules in kept check results: the release (bump it to name a change) and the
# code's fingerprint (changes by itself).
RULES_RELEASE = "2026.12.8"
RULES_VERSION = f"{RULES_RELEASE}+{code_fingerprint()}"

# Policy keys that only steer obligations and alerts: changing them re-checks nothing.
ALERT_ONLY_POLICY_KEYS = frozenset({
    "reminder_lead_days", "escalation_days", "grace_days", "drafts_alert", "alert_states",
    "repeat_interval_days", "alert_max_overdue_days", "digest_max_per_section", "max_send_attempts",
    "retry_backoff_seconds", "sending_lease_seconds", "max_refusals",
})
NO_INPUT = "-"  # the hash part of an input a check does not have (no parent, no registry)


@dataclass
class StoredCoverageRow:
    """A coverage row read back from a kept result (the fields `CheckResult.to_dict` keeps)."""

    directive_item: int
    binding: bool
    plan_items: list[int]
    score: float
    status: str
    reason: str = ""
    links: list[dict[str, Any]] = field(default_factory=list)
    alignment: dict[str, Any] | None = None


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
    coverage: list[CoverageRow | StoredCoverageRow] = field(default_factory=list)
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


    @classmethod
    def from_dict(cls, data: dict[str, Any], plan: Document, directive: Document | None) -> CheckResult:
        """The result `to_dict` gave, for the same documents (a kept result read back)."""
        return cls(
            plan=plan,
            directive=directive,
            coverage=[StoredCoverageRow(**row) for row in data.get("coverage", [])],
            findings=[Finding(**f) for f in data.get("findings", [])],
            warnings=list(data.get("warnings", [])),
        )


def _hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()


_memo_lock = threading.Lock()
# id(object) -> (object, hash): the object is kept so its id is never reused while memoised.
_policy_hashes: dict[int, tuple[Any, str]] = {}
_registry_hashes: dict[int, tuple[Any, str]] = {}


def policy_hash(policy: Policy) -> str:
    """The hash of every policy setting a check reads (all but the alert-only ones, so a new key
    counts by default)."""
    with _memo_lock:
        hit = _policy_hashes.get(id(policy))
        if hit is not None and hit[0] is policy:
            return hit[1]
    data = policy.model_dump(mode="json") if hasattr(policy, "model_dump") else dict(policy)
    data = {k: v for k, v in data.items() if k not in ALERT_ONLY_POLICY_KEYS}
    coverage = getattr(policy, "coverage", None)
    if coverage is not None:
        # the lexicon is a file the user edits: its content counts, not only its name
        from rules.lexicon import lexicon_file

        data["lexicon_content"] = lexicon_file(coverage.lexicon)
    value = _hash(data)
    with _memo_lock:
        _policy_hashes[id(policy)] = (policy, value)
    return value


def registry_hash(registry: Registry | None) -> str:
    """The hash of a registry's content (offices, aliases, kinds, collectives), not of its file."""
    if registry is None:
        return NO_INPUT
    with _memo_lock:
        hit = _registry_hashes.get(id(registry))
        if hit is not None and hit[0] is registry:
            return hit[1]
    value = _hash({
        "district": registry.district,
        "level": registry.level,
        "offices": [vars(o) for o in registry.offices],
        "transparency_office": vars(registry.transparency_office),
        "collectives": {k: list(v) for k, v in sorted(registry.collectives.items())},
    })
    with _memo_lock:
        _registry_hashes[id(registry)] = (registry, value)
    return value


def document_hash(doc: Document | None) -> str:
    """A parsed document's hash: its normalised text's hash and what was read from it (a file is
    parsed anew on each check, so a parser change must not serve a result of the old reading).
    A stored document never changes, so its content hash alone names it (`stored_document_hash`)."""
    if doc is None:
        return NO_INPUT
    return _hash({"content": doc.content_hash, "read": doc.to_dict()})


def stored_document_hash(content_hash: str | None) -> str:
    return content_hash or NO_INPUT


def check_key(plan_hash: str, parent_hash: str, policy: Policy, registry: Registry | None,
              rules_version: str | None = None) -> tuple[str, dict[str, str]]:
    """The key a check's result is kept under, and its parts (stored beside it for inspection)."""
    parts = {
        "plan_hash": plan_hash,
        "parent_hash": parent_hash,
        "policy_hash": policy_hash(policy),
        "registry_hash": registry_hash(registry),
        "rules_version": rules_version or RULES_VERSION,
    }
    return _hash([plan_hash, parent_hash, parts["policy_hash"], parts["registry_hash"], parts["rules_version"]]), parts


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
    from rules.assignment import check_assignment
    from rules.binding import binding_items
    from rules.coverage import check_coverage
    from rules.timing import check_timing

    result = CheckResult(plan=plan, directive=directive)
    if registry is None and plan.place:
        registry = registry_for_place(plan.place)
    if registry is None:
        result.warnings.append(f"未找到{plan.place or '该文件'}的单位名录，未核对责任单位名称")
    links: dict[int, list[int]] = {}
    if directive is not None:
        bindings = binding_items(directive, plan, policy, registry)
        coverage, coverage_findings = check_coverage(directive, plan, bindings, policy)
        result.coverage = list(coverage)
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
