"""The jinja2 environment of the pages and of the self-contained HTML report: labels, filters."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from notifications.entries import STATE_LABELS
from reports.model import (
    COVERAGE_LABELS,
    FILING_LABELS,
    LEVEL_LABELS,
    LIGHT_LABELS,
    SEVERITY_LABELS,
    period_label,
)
from rules.evidence import CODE_LABELS, coverage_lines, evidence_lines, rule_label
from rules.obligation_states import STATES
from rules.obligations import KIND_LABELS

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def cn_date(value: date | datetime | None, empty: str = "—") -> str:
    if value is None:
        return empty
    if isinstance(value, datetime):
        # The store keeps times in UTC and SQLite hands them back without their zone: a naive
        # time is UTC. Shown as the users read clocks, in Shanghai time.
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def days_left(value: int | None) -> str:
    if value is None:
        return "待事件触发"
    if value < 0:
        return f"逾期 {-value} 天"
    if value == 0:
        return "今天到期"
    return f"剩 {value} 天"


def configure_environment(env: jinja2.Environment) -> jinja2.Environment:
    env.filters.update(cn_date=cn_date, days_left=days_left, period=period_label, evidence_lines=evidence_lines,
                       coverage_lines=coverage_lines, rule_label=rule_label)
    env.globals.update(CODE_LABELS=CODE_LABELS,
        LIGHT_LABELS=LIGHT_LABELS, STATE_LABELS=STATE_LABELS, COVERAGE_LABELS=COVERAGE_LABELS,
        KIND_LABELS=KIND_LABELS, LEVEL_LABELS=LEVEL_LABELS, SEVERITY_LABELS=SEVERITY_LABELS,
        FILING_LABELS=FILING_LABELS, STATES=STATES,
        MARKS={"covered": "✓", "partial": "◐", "missing": "✗", "not_binding": "·"},
    )
    return env


def environment() -> jinja2.Environment:
    """A standalone environment over the page templates (the HTML report renders outside FastAPI)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html"]))
    return configure_environment(env)


def stylesheet() -> str:
    return (STATIC / "style.css").read_text(encoding="utf-8")
