"""Findings: what a rule says about a plan, with a stable code, a severity and its evidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}

# Stable codes and their default severities; the policy file may override a severity.
CODES: dict[str, Severity] = {
    "MISSING_MANDATED_ITEM": "error",
    "WEAK_COVERAGE": "warning",
    "ITEM_WITHOUT_UNIT": "error",
    "UNKNOWN_UNIT": "warning",
    "ITEM_WITHOUT_DEADLINE": "info",
    "DEADLINE_AFTER_MANDATED": "error",
    "DEADLINE_BEFORE_ISSUE": "error",
    "DEADLINE_CONFLICT": "warning",
    "UNIT_CONFLICT": "warning",
    "PLAN_ISSUED_LATE": "warning",
    "UNIT_PLAN_MISSING_ITEMS": "error",
    "NO_REGISTRY": "info",
    "NO_BINDING_ITEMS": "warning",
}


@dataclass
class Finding:
    code: str
    severity: Severity
    message: str  # Chinese, for users
    directive_item: int | None = None
    plan_item: int | None = None
    units: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)  # {"rule": …, "facts": {…}}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def sort_key(self) -> tuple:
        return (
            SEVERITY_ORDER[self.severity],
            self.code,
            self.directive_item or 0,
            self.plan_item or 0,
        )


def severity_for(code: str, policy: dict[str, Any] | None = None) -> Severity:
    override = ((policy or {}).get("severity") or {}).get(code)
    if override in SEVERITY_ORDER:
        return override
    return CODES[code]
