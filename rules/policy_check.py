"""Checking a policy file's values before anything runs: a wrong type or range is a PolicyError
naming the key (the CLI's exit 2), not a traceback in the middle of a night. Keys not listed here
are left alone (other parts may add their own)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

SEVERITIES = ("error", "warning", "info")
ALERT_STATES = ("pending", "due_soon", "overdue", "escalated", "resolved", "error", "warning", "info")


def _int(minimum: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            return f"应为不小于 {minimum} 的整数"
        return None
    return check


def _share(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        return "应为 0 到 1 之间的数"
    return None


def _seconds(value: Any) -> str | None:
    values = value if isinstance(value, list) else [value]
    if not values or any(isinstance(v, bool) or not isinstance(v, int | float) or v < 0 for v in values):
        return "应为不小于 0 的秒数或秒数列表"
    return None


def _ngrams(value: Any) -> str | None:
    if (not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, int) and v > 0 for v in value)
            or value[0] > value[1]):
        return "应为两个正整数 [最短, 最长]"
    return None


def _names(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return "应为名称列表"
    return None


def _states(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return "应为状态列表"
    unknown = [v for v in value if v not in ALERT_STATES]
    return f"含未知状态 {'、'.join(unknown)}（可用：{'、'.join(ALERT_STATES)}）" if unknown else None


def _severity(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "应为“代码: 级别”映射"
    bad = [f"{k}: {v}" for k, v in value.items() if v not in SEVERITIES]
    return f"级别应为 {'、'.join(SEVERITIES)}，收到 {'；'.join(bad)}" if bad else None


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "应为 true 或 false"


CHECKS: dict[str, Callable[[Any], str | None]] = {
    "plan_submission_days": _int(0),
    "unit_plan_days": _int(0),
    "quarterly_report_working_days": _int(0),
    "reminder_lead_days": _int(0),
    "escalation_days": _int(0),
    "grace_days": _int(0),
    "repeat_interval_days": _int(0),
    "alert_max_overdue_days": _int(0),
    "digest_max_per_section": _int(1),
    "max_send_attempts": _int(1),
    "max_refusals": _int(1),
    "sending_lease_seconds": _seconds,
    "retry_backoff_seconds": _seconds,
    "pilot_districts": _names,
    "alert_states": _states,
    "severity": _severity,
    "drafts_alert": _bool,
    "coverage.covered": _share,
    "coverage.weak": _share,
    "coverage.link": _share,
    "coverage.dedicated_copy": _share,
    "coverage.copy_discount": _share,
    "coverage.key_phrase_bonus": _share,
    "coverage.ngram_range": _ngrams,
}


def policy_problem(policy: Mapping[str, Any]) -> str | None:
    """The first key whose value is wrong, as 'key: problem (got value)'; None when all are fine."""
    for key, check in CHECKS.items():
        section: Any = policy
        *parents, leaf = key.split(".")
        for parent in parents:
            section = section.get(parent) if isinstance(section, Mapping) else None
        if not isinstance(section, Mapping):
            if parents and policy.get(parents[0]) is not None:
                return f"{parents[0]}: 应为键值映射"
            continue
        if leaf not in section:
            continue
        problem = check(section[leaf])
        if problem:
            return f"{key}: {problem}（收到 {section[leaf]!r}）"
    return None
