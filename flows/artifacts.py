"""Prefect artifacts of a run: a Markdown summary and a table of findings, under stable keys.

With a key, every run's artifact joins the history of that key on the UI's Artifacts page: the
nightly summaries line up night after night, the draft checks one after another.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from pipeline.nightly import SEVERITY_LABELS, render_markdown
from web.links import page_url

# Enough for a district's worth of problems; a city-wide table beyond this helps nobody in a
# browser, and the full list is in the store and the Markdown report.
MAX_TABLE_ROWS = 1000


def findings_table(summary: Mapping[str, Any], limit: int = MAX_TABLE_ROWS) -> list[dict[str, Any]]:
    """The run's findings as table rows with Chinese column names (errors first)."""
    rows = [row for result in summary.get("districts", {}).values() for row in result.get("findings", [])]
    order = {"error": 0, "warning": 1, "info": 2}
    rows.sort(key=lambda r: (order.get(r["severity"], 9), r["district"], r["doc_number"], r["plan_item"] or 0))
    runs = _run_ids(summary)
    table = [
        {
            "区": r["district"],
            "发文字号": r["doc_number"],
            "级别": SEVERITY_LABELS.get(r["severity"], r["severity"]),
            "代码": r["code"],
            "上级条目": r["directive_item"] if r["directive_item"] is not None else "",
            "本方案条目": r["plan_item"] if r["plan_item"] is not None else "",
            "责任单位": "、".join(r["units"]),
            "说明": r["message"],
        }
        for r in rows[:limit]
    ]
    # With GONGKAI_BASE_URL set, each row links to its check on the dashboard.
    if page_url("overview") is not None:
        for row, r in zip(table, rows, strict=False):
            run_id = runs.get((r["district"], r["doc_number"]))
            row["看板链接"] = page_url("run", run=run_id) if run_id is not None else page_url("district", district=r["district"])
    return table


def _run_ids(summary: Mapping[str, Any]) -> dict[tuple[str, str], int]:
    """(district, plan key) → the run that checked it."""
    out = {}
    for district, result in summary.get("districts", {}).items():
        for plan in result.get("plans", []):
            if plan.get("run_id") is not None:
                out[(district, plan.get("key") or "")] = plan["run_id"]
    return out


def dashboard_links(summary: Mapping[str, Any]) -> str:
    """Markdown links to the dashboard pages of a run (empty without GONGKAI_BASE_URL)."""
    overview = page_url("overview")
    if overview is None:
        return ""
    lines = ["", "### 在看板中查看", "", f"- [全市总览]({overview})"]
    for district, result in summary.get("districts", {}).items():
        plans = [p for p in result.get("plans", []) if p.get("run_id") is not None]
        if summary.get("kind") == "draft" and plans:
            lines.append(f"- [草稿检查结果：{plans[0].get('key')}]({page_url('run', run=plans[0]['run_id'])})")
        else:
            lines.append(f"- [{district}]({page_url('district', district=district)})")
    return "\n".join(lines) + "\n"


def publish_run_artifacts(summary: Mapping[str, Any], *, key: str, title: str) -> dict[str, str]:
    """Create `<key>-summary` (Markdown) and `<key>-findings` (table); returns their ids."""
    markdown = render_markdown(summary, title=title) + dashboard_links(summary)
    summary_id = create_markdown_artifact(markdown, key=f"{key}-summary", description=title)
    table = findings_table(summary)
    total = sum(len(r.get("findings", [])) for r in summary.get("districts", {}).values())
    note = f"{title}：检查发现的问题" + (f"（共{total}项，表中列出前{len(table)}项）" if total > len(table) else "")
    # An empty list would make an artifact with no columns; one explicit row says "nothing found".
    rows = table or [{"区": "", "发文字号": "", "级别": "", "代码": "", "上级条目": "", "本方案条目": "",
                      "责任单位": "", "说明": "没有发现问题"}]
    table_id = create_table_artifact(rows, key=f"{key}-findings", description=note)
    return {"summary": str(summary_id), "findings": str(table_id)}
