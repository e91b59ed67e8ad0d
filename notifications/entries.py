"""What the rest of gongkai hands to alerting: one `AlertEntry` per alert, and the alert policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


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
    doc_number: str = ""  # 发文字号
    item: str = ""  # item number as text, e.g. "22"
    summary: str = ""  # the item text, shortened (≤ 80 chars)
    due: date | None = None
    days_left: int | None = None  # negative = overdue by N days
    action: str = ""  # what to do, Chinese, e.g. "报送本单位年度政务公开工作计划"
    message: str = ""  # for findings: the Chinese finding message


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
}

DEFAULT_POLICY: dict[str, Any] = {
    "alert_states": ["due_soon", "overdue", "escalated", "resolved", "error", "warning"],
    "repeat_interval_days": 7,
    "max_send_attempts": 5,
    "retry_backoff_seconds": [1, 2, 4],
    # A message left 'sending' by a run that died is taken over once its claim is this old;
    # a younger claim may belong to a run still in progress, and taking it would send twice.
    "sending_lease_seconds": 300,
    # A digest lists at most this many entries per section (the most urgent first) and counts
    # the rest: the 政务公开科 may be copied on hundreds of escalations.
    "digest_max_per_section": 20,
    # A recipient the server refuses for good (5xx) this many times, over runs, is given up on:
    # the message is marked rejected and the district's 政务公开科 told once.
    "max_refusals": 3,
}


@dataclass(frozen=True)
class AlertPolicy:
    alert_states: frozenset[str]
    repeat_interval_days: int
    max_send_attempts: int
    retry_backoff_seconds: tuple[float, ...]
    sending_lease_seconds: float
    digest_max_per_section: int = 20
    max_refusals: int = 3

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based); the last step repeats."""
        steps = self.retry_backoff_seconds or (0.0,)
        return float(steps[min(attempt - 1, len(steps) - 1)])


def alert_policy(policy: dict[str, Any] | AlertPolicy | None = None) -> AlertPolicy:
    """The policy dict (data/policy.yaml's alert keys) with defaults filled in and types checked."""
    if isinstance(policy, AlertPolicy):
        return policy
    raw = dict(DEFAULT_POLICY)
    source = dict(policy or {})
    # data/policy.yaml may keep these keys under an `alerts:` section next to other rules' settings.
    if isinstance(source.get("alerts"), dict):
        source = {**source, **source["alerts"]}
    raw.update({k: v for k, v in source.items() if k in DEFAULT_POLICY and v is not None})
    backoff = raw["retry_backoff_seconds"]
    if isinstance(backoff, int | float):
        backoff = [backoff]
    result = AlertPolicy(
        alert_states=frozenset(str(s) for s in raw["alert_states"]),
        repeat_interval_days=int(raw["repeat_interval_days"]),
        max_send_attempts=max(1, int(raw["max_send_attempts"])),
        retry_backoff_seconds=tuple(max(0.0, float(b)) for b in backoff),
        sending_lease_seconds=max(0.0, float(raw["sending_lease_seconds"])),
        digest_max_per_section=max(1, int(raw["digest_max_per_section"])),
        max_refusals=max(1, int(raw["max_refusals"])),
    )
    if result.repeat_interval_days < 1:
        raise ValueError("repeat_interval_days 必须是正整数")
    return result


def alert_state(entry: AlertEntry) -> str:
    """The state the ledger and the digest know the entry by (every 'done' form counts as resolved)."""
    return "resolved" if entry.state in RESOLVED_STATES else entry.state
