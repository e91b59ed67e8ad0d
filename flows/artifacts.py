"""Prefect artifacts of a run: a Markdown summary and a table of findings, under stable keys.

With a key, every run's artifact joins the history of that key on the UI's Artifacts page: the
nightly summaries line up night after night, the draft checks one after another.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from documents.model import reader_name
from pipeline.report import render_markdown
from pipeline.summary import SEVERITY_LABELS, FindingRow, RunSummary
from web.links import page_url

# Enough for a district's worth of problems; a city-wide table beyond this helps nobody in a
# browser, and the full list is in the store and the Markdown report.
MAX_TABLE_ROWS = 1000

# The findings table's columns: FindingRow field → the Chinese heading users see. The CLI reads a
# server run's table back through `findings_from_table`, never by the headings themselves.
FINDING_COLUMNS = {
    "district": "区",
    "doc_number": "发文字号",
    "severity": "级别",
    "code": "代码",
    "directive_item": "上级条目",
    "plan_item": "本方案条目",
    "units": "责任单位",
    "message": "说明",
}
_SEVERITY_BY_LABEL = {label: code for code, label in SEVERITY_LABELS.items()}


def findings_table(summary: RunSummary | Mapping[str, Any], limit: int = MAX_TABLE_ROWS) -> list[dict[str, Any]]:
    """The run's findings as table rows with Chinese column names (errors first)."""
    rows = RunSummary.from_dict(summary).findings
    order = {"error": 0, "warning": 1, "info": 2}
    rows.sort(key=lambda r: (order.get(r.severity, 9), r.district, r.doc_number, r.plan_item or 0))
    table = [table_row(r) for r in rows[:limit]]
    # With GONGKAI_BASE_URL set, each row links to its check on the dashboard.
    if page_url("overview") is not None:
        runs = _run_ids(RunSummary.from_dict(summary))
        for row, finding in zip(table, rows, strict=False):
            run_id = runs.get((finding.district, finding.doc_number))
            row["看板链接"] = (page_url("run", run=run_id) if run_id is not None
                            else page_url("district", district=finding.district))
    return table


def _run_ids(run: RunSummary) -> dict[tuple[str, str], int]:
    """(district, plan key) → the run that checked it."""
    return {
        (name, plan.key): plan.run_id
        for name, district in run.districts.items()
        for plan in district.plans
        if plan.run_id is not None
    }


def dashboard_links(summary: RunSummary | Mapping[str, Any]) -> str:
    """Markdown links to the dashboard pages of a run (empty without GONGKAI_BASE_URL)."""
    overview = page_url("overview")
    if overview is None:
        return ""
    run = RunSummary.from_dict(summary)
    lines = ["", "### 在看板中查看", "", f"- [全市总览]({overview})"]
    for name, district in run.districts.items():
        plans = [p for p in district.plans if p.run_id is not None]
        if run.kind == "draft" and plans:
            name = reader_name(plans[0].doc_number, plans[0].title) if plans[0].title else plans[0].key
            lines.append(f"- [草稿检查结果：{name}]({page_url('run', run=plans[0].run_id)})")
        else:
            lines.append(f"- [{name}]({page_url('district', district=name)})")
    return "\n".join(lines) + "\n"


def table_row(row: FindingRow) -> dict[str, Any]:
    """One finding as a table row under the Chinese headings."""
    cells = {
        "district": row.district,
        "doc_number": row.doc_number,
        "severity": row.severity_label,
        "code": row.code,
        "directive_item": row.directive_item if row.directive_item is not None else "",
        "plan_item": row.plan_item if row.plan_item is not None else "",
        "units": "、".join(row.units),
        "message": row.message,
    }
    return {FINDING_COLUMNS[name]: value for name, value in cells.items()}


def findings_from_table(rows: list[dict[str, Any]]) -> list[FindingRow]:
    """A findings table artifact read back as FindingRows (the "nothing found" row is dropped)."""
    out = []
    for row in rows:
        cells = {name: row.get(label, "") for name, label in FINDING_COLUMNS.items()}
        if not cells["code"]:
            continue
        units = str(cells["units"] or "")
        out.append(
            FindingRow(
                district=str(cells["district"]),
                doc_number=str(cells["doc_number"]),
                title="",
                level="",
                code=str(cells["code"]),
                severity=_SEVERITY_BY_LABEL.get(str(cells["severity"]), str(cells["severity"])),
                directive_item=_number(cells["directive_item"]),
                plan_item=_number(cells["plan_item"]),
                units=units.split("、") if units else [],
                message=str(cells["message"]),
            )
        )
    return out


def _number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def publish_run_artifacts(summary: RunSummary | Mapping[str, Any], *, key: str, title: str) -> dict[str, str]:
    """Create `<key>-summary` (Markdown) and `<key>-findings` (table); returns their ids."""
    run = RunSummary.from_dict(summary)
    markdown = render_markdown(run, title=title) + dashboard_links(run)
    summary_id = create_markdown_artifact(markdown, key=f"{key}-summary", description=title)
    table = findings_table(run)
    total = len(run.findings)
    note = f"{title}：检查发现的问题" + (f"（共{total}项，表中列出前{len(table)}项）" if total > len(table) else "")
    # An empty list would make an artifact with no columns; one explicit row says "nothing found".
    rows = table or [{**{label: "" for label in FINDING_COLUMNS.values()}, FINDING_COLUMNS["message"]: "没有发现问题"}]
    table_id = create_table_artifact(rows, key=f"{key}-findings", description=note)
    return {"summary": str(summary_id), "findings": str(table_id)}
