"""What the rest of gongkai hands to alerting: one `AlertEntry` per alert, and the alert policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from rules.policy import Policy, as_policy


@dataclass(frozen=True)
class AlertEntry:
    key: str  # stable identity of the alert, e.g. "obligation:42" or "finding:长府办〔2026〕8号:UNKNOWN_UNIT:22"
    kind: str  # "obligation" | "finding"
    # obligation: pending | due_soon | overdue | escalated | done_on_time | done_late | resolved
    # finding: error | warning | info
    state: str
    district: str  # 长宁区
    units: tuple[str, ...]  # unit names the entry concerns (canonical or as written; collectives allowed)
    lead_units: tuple[str, ...] = ()  # 牵头 units (copied on escalation)
    document: str = ""  # title of the document it comes from
    doc_number: str = ""  # 发文字号 (a unit's own plan often has none)
    # which document, across its versions (store.names.document_key): keeps apart the rows of two
    # plans without a 发文字号; never shown
    doc_key: str = ""
    item: str = ""  # item number as text, e.g. "22"
    summary: str = ""  # the item text, shortened (≤ 80 chars)
    due: date | None = None
    days_left: int | None = None  # negative = overdue by N days
    action: str = ""  # what to do, Chinese, e.g. "报送本单位年度政务公开工作计划"
    message: str = ""  # for findings: the Chinese finding message
    link: str = ""  # the dashboard page of this entry for its unit (empty without GONGKAI_BASE_URL)
    plan_link: str = ""  # the dashboard page of the plan it comes from (a digest row per item links here)


def units_text(units: list[str], shown: int = 3) -> str:
    """Units as one line or cell: the first few, then how many in all (甲、乙、丙等47个单位)."""
    if len(units) <= shown:
        return "、".join(units)
    return f"{'、'.join(units[:shown])}等{len(units)}个单位"


# An obligation that was alerted and is now done, whichever way it got done, gets one "已办结" note.
RESOLVED_STATES = frozenset({"resolved", "done_on_time", "done_late"})

# Digest order: the most urgent first (the issue asks: overdue, then due soon, then findings).
STATE_RANK: dict[str, int] = {
    "escalated": 0,
    "overdue": 1,
    "due_soon": 2,
    "pending": 3,
    "error": 4,
    "warning": 5,
    "info": 6,
    "resolved": 7,
}

STATE_LABELS: dict[str, str] = {
    "escalated": "已升级督办",
    "overdue": "已逾期",
    "due_soon": "即将到期",
    "pending": "待办",
    "error": "问题",
    "warning": "提示问题",
    "info": "参考信息",
    "resolved": "已办结",
    "done_on_time": "已按时办结",
    "done_late": "已逾期办结",
    "closed_unfinished": "年度已结束未完成",
}

@dataclass(frozen=True)
class AlertPolicy:
    alert_states: frozenset[str]
    repeat_interval_days: int
    max_send_attempts: int
    retry_backoff_seconds: tuple[float, ...]
    sending_lease_seconds: float
    digest_max_per_section: int
    max_refusals: int

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based); the last step repeats."""
        steps = self.retry_backoff_seconds or (0.0,)
        return float(steps[min(attempt - 1, len(steps) - 1)])


# What the alert steps accept as their policy: the run's Policy, its alert part, or a mapping of
# overrides laid over data/policy.yaml (validated like a policy file).
PolicyLike = Policy | AlertPolicy | Mapping[str, Any] | None


def alert_policy(policy: PolicyLike = None) -> AlertPolicy:
    """The alert settings of the policy (data/policy.yaml's alert keys)."""
    if isinstance(policy, AlertPolicy):
        return policy
    full = as_policy(policy)
    return AlertPolicy(
        alert_states=frozenset(full.alert_states),
        repeat_interval_days=full.repeat_interval_days,
        max_send_attempts=full.max_send_attempts,
        retry_backoff_seconds=full.retry_backoff_seconds,
        sending_lease_seconds=full.sending_lease_seconds,
        digest_max_per_section=full.digest_max_per_section,
        max_refusals=full.max_refusals,
    )


def alert_state(entry: AlertEntry) -> str:
    """The state the ledger and the digest know the entry by (every 'done' form counts as resolved)."""
    return "resolved" if entry.state in RESOLVED_STATES else entry.state
