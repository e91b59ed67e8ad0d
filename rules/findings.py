"""Findings: what a rule says about a plan, with a stable code, a severity and its evidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rules.policy import Policy

Severity = Literal["error", "warning", "info"]
# Who must act on a finding: the office that drafted the plan (its 政务公开科 for a district plan,
# the issuing unit for a unit plan), or the units the finding names.
Actor = Literal["drafter", "units"]
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}



@dataclass(frozen=True)
class FindingKind:
    """What one stable finding code means: its default severity (the policy may override it), what
    the office that receives it is asked to do, and a one-line Chinese explanation."""

    code: str
    severity: Severity
    action: str  # the digest's 请办理 column
    explanation: str
    acts: Actor = "drafter"  # every current code is about how the plan is written


# The one catalog of finding codes. README.md's code list is tested against it.
CATALOG: dict[str, FindingKind] = {
    kind.code: kind
    for kind in (
        FindingKind("MISSING_MANDATED_ITEM", "error", "在本方案中补充落实上级文件的该项任务",
                    "上级文件要求本级落实的任务，在本方案中找不到对应内容"),
        FindingKind("WEAK_COVERAGE", "warning", "核对并完善该项任务的落实内容",
                    "上级文件的任务在本方案中只有部分体现"),
        FindingKind("ITEM_WITHOUT_UNIT", "error", "明确该项任务的责任单位",
                    "任务没有写明责任单位"),
        FindingKind("UNKNOWN_UNIT", "warning", "核实责任单位名称，改用单位名录中的规范名称",
                    "责任单位名称不在本区单位名录中"),
        FindingKind("ITEM_WITHOUT_DEADLINE", "info", "明确该项任务的完成时限",
                    "任务没有写明完成时限"),
        FindingKind("DEADLINE_AFTER_MANDATED", "error", "将完成时限调整到上级文件要求的时限之前",
                    "任务的完成时限晚于上级文件规定的时限"),
        FindingKind("DEADLINE_BEFORE_ISSUE", "error", "修正早于文件印发日期的完成时限",
                    "任务的完成时限早于方案的印发日期"),
        FindingKind("DEADLINE_CONFLICT", "warning", "统一正文与任务分解表中的完成时限",
                    "正文与任务分解表写的完成时限不一致"),
        FindingKind("UNIT_CONFLICT", "warning", "统一正文与任务分解表中的责任单位",
                    "正文与任务分解表写的责任单位不一致"),
        FindingKind("PLAN_ISSUED_LATE", "warning", "说明逾期印发的原因，今后按上级文件要求及时印发",
                    "方案晚于上级文件要求的期限印发"),
        FindingKind("UNIT_PLAN_MISSING_ITEMS", "error", "补充落实区方案分配给本单位的任务",
                    "单位年度计划缺少区方案分配给本单位的任务"),
        FindingKind("NO_REGISTRY", "info", "提供本地单位名录，以便核对责任单位名称",
                    "没有覆盖该地区的单位名录，责任单位按原文接受"),
        FindingKind("NO_BINDING_ITEMS", "warning", "核对检查所依据的上级文件是否正确",
                    "上级文件中没有适用于本方案的任务，无法检查覆盖情况"),
    )
}

# Code → default severity (a view of the catalog).
CODES: dict[str, Severity] = {code: kind.severity for code, kind in CATALOG.items()}


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


def severity_for(code: str, policy: Policy | None = None) -> Severity:
    """The code's severity: the policy's override (validated on load) or the default."""
    if policy is not None and code in policy.severity:
        return policy.severity[code]
    return CODES[code]
