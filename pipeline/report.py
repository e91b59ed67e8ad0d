"""A run's summary as Markdown: the nightly report file and the Prefect summary artifact."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from documents.model import reader_name
from notifications.entries import STATE_LABELS, units_text
from pipeline.summary import SEVERITIES, SEVERITY_LABELS, URGENT_STATES, RunSummary, urgent_what


def _md(text: Any) -> str:
    """Text safe inside a Markdown table cell (document text may hold pipes and line breaks)."""
    return " ".join(str(text if text is not None else "").split()).replace("|", "｜")


def render_markdown(summary: RunSummary | Mapping[str, Any], *, title: str | None = None) -> str:
    """The run summary as Markdown: counts by severity and district, failures, the ten most urgent
    items, and where the alerts went."""
    run = RunSummary.from_dict(summary)
    lines = [f"# {title or f'政务公开合规夜间检查（{run.as_of}）'}", ""]
    lines.append(
        f"评估日期 {run.as_of}；检查方案 {run.plans} 份；"
        + "，".join(f"{SEVERITY_LABELS[s]} {run.counts.get(s, 0)} 项" for s in SEVERITIES)
        + "。"
    )
    closed = Counter(r.severity for r in run.findings if r.closed)
    if closed:
        # a plan whose year has closed is history: its problems are listed below, not chased
        lines[-1] += ("其中往年已结束的方案："
                      + "，".join(f"{SEVERITY_LABELS[s]} {closed[s]} 项" for s in SEVERITIES if closed.get(s))
                      + "（仅供查阅，不再提醒）。")
    lines.append("")
    if run.failed:
        lines += ["## 运行失败的区", ""]
        lines += [f"- **{_md(d)}**：{_md(msg)}" for d, msg in run.failed.items()]
        lines.append("")
    lines += _district_table(run)
    lines += _obligation_notes(run)
    lines += _urgent_table(run.urgent)
    lines += _alert_lines(run.alerts)
    if run.seconds.get("total") is not None:
        lines += [f"运行用时 {run.seconds['total']:.1f} 秒。", ""]
    return "\n".join(lines)


def _district_table(run: RunSummary) -> list[str]:
    states = run.obligation_states(URGENT_STATES)
    header = ["区", "方案数", *(SEVERITY_LABELS[s] for s in SEVERITIES),
              *(f"责任事项·{STATE_LABELS.get(s, s)}" for s in states)]
    lines = ["## 各区情况", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for district, result in run.districts.items():
        c, o = result.counts, result.obligations
        cells = [_md(district), str(len(result.plans)), *(str(c.get(s, 0)) for s in SEVERITIES),
                 *(str(o.get(s, 0)) for s in states)]
        lines.append("| " + " | ".join(cells) + " |")
    for district in run.failed:
        lines.append(f"| {_md(district)} | 运行失败 |" + " |" * (len(header) - 2))
    lines.append("")
    return lines


def _obligation_notes(run: RunSummary) -> list[str]:
    lines = [f"> {run.obligations_note}", ""] if run.obligations_note else []
    notes = run.obligations_warnings
    if notes:
        lines += ["责任事项推导提示：", ""]
        lines += [f"- {_md(n)}" for n in notes[:10]]
        if len(notes) > 10:
            lines.append(f"- ……另有 {len(notes) - 10} 条")
        lines.append("")
    return lines


def _urgent_table(urgent: list[dict[str, Any]]) -> list[str]:
    lines = ["## 最紧急的事项", ""]
    if urgent:
        lines.append("| # | 状态 | 区 | 文件 | 条目 | 事项 | 责任单位 | 时限 |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for i, e in enumerate(urgent, 1):
            due = e.get("due") or ""
            if e.get("days_left") is not None and e["days_left"] < 0:
                due += f"（逾期{-e['days_left']}天）"
            lines.append(
                f"| {i} | {_md(e.get('state_label'))} | {_md(e.get('district'))} | {_md(e.get('document') or e.get('doc_number'))} | "
                f"{_md(e.get('item'))} | {_md(urgent_what(e)[:60])} | {_md(units_text(e.get('units', [])))} | {_md(due)} |"
            )
    else:
        lines.append("没有需要提醒的事项。")
    lines.append("")
    return lines


def _alert_lines(alerts: Mapping[str, Any]) -> list[str]:
    if not alerts:
        return []
    lines = ["## 提醒邮件", ""]
    lines.append(
        f"需提醒事项 {alerts.get('alertable', 0)} 项（共 {alerts.get('entries', 0)} 项）；"
        f"生成邮件 {alerts.get('digests', 0)} 封，发出 {alerts.get('sent', 0)} 封，"
        f"已提醒过而跳过 {alerts.get('skipped_duplicates', 0)} 项，发件箱仍待发送 {alerts.get('remaining', 0)} 封。"
    )
    if alerts.get("destination"):
        lines.append(f"投递方式：{_md(alerts['destination'])}。")
    for error in alerts.get("errors", []):
        lines.append(f"- 无法投递：{_md(error)}")
    for failure in alerts.get("failed", []):
        lines.append(f"- 发送失败：{_md(failure.get('message_id'))}：{_md(failure.get('error'))}")
    lines.append("")
    return lines


def write_report(summary: RunSummary | Mapping[str, Any], path: str | Path) -> Path:
    """Write the Markdown report of a run (with the full list of error and warning findings)."""
    run = RunSummary.from_dict(summary)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [render_markdown(run), "## 检查发现的问题（错误和警告）", ""]
    rows = run.findings
    if rows:
        lines.append("| 区 | 方案 | 级别 | 代码 | 上级条目 | 本方案条目 | 责任单位 | 说明 |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for r in rows:
            lines.append(
                f"| {_md(r.district)} | {_md(reader_name(r.doc_number, r.title))}{'（年度已结束）' if r.closed else ''} | "
                f"{r.severity_label} | "
                f"{r.code} | {_md(r.directive_item or '')} | {_md(r.plan_item or '')} | "
                f"{_md('、'.join(r.units))} | {_md(r.message)} |"
            )
    else:
        lines.append("没有错误或警告。")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
