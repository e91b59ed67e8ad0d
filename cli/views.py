"""Rich views of documents and check results for the terminal (Chinese labels)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from documents.model import Document, UnitMention

ROLE_LABEL = {"lead": "牵头", "responsible": "责任", "cooperating": "配合"}
SEVERITY_LABEL = {"error": "[red]错误[/]", "warning": "[yellow]警告[/]", "info": "[cyan]提示[/]"}
STATUS_LABEL = {"covered": "[green]已覆盖[/]", "partial": "[yellow]部分覆盖[/]", "missing": "[red]缺失[/]"}


def _units(units: list[UnitMention]) -> str:
    parts = []
    for u in units:
        label = ROLE_LABEL.get(u.role, u.role)
        name = escape(u.name if u.canonical == u.name else f"{u.name}（{u.canonical}）")
        parts.append(f"{name}[dim]·{label}[/]")
    return "、".join(parts) or "[red]—[/]"


def show_document(console: Console, doc: Document) -> None:
    head = Table.grid(padding=(0, 2))
    for label, value in (
        ("标题", doc.title),
        ("发文字号", doc.doc_number or "—"),
        ("发文机关", doc.issuer or "—"),
        ("成文日期", doc.issue_date.isoformat() if doc.issue_date else "—"),
        ("年度", str(doc.year or "—")),
        ("层级/地区", f"{doc.level} / {doc.place or '—'}"),
        ("主送机关", "，".join(doc.addressees) or "—"),
        ("版式", doc.layout),
        ("条目数", str(len(doc.items))),
    ):
        head.add_row(f"[bold]{label}[/]", escape(value))
    console.print(head)
    for warning in doc.warnings:
        console.print(f"[yellow]注意[/]: {escape(warning)}")
    table = Table(show_lines=False, header_style="bold")
    table.add_column("序号", justify="right")
    table.add_column("任务内容", overflow="fold", ratio=3)
    table.add_column("责任单位", overflow="fold", ratio=2)
    table.add_column("时限", overflow="fold", ratio=1)
    for item in doc.items:
        text = item.text if len(item.text) <= 80 else item.text[:78] + "…"
        deadlines = "；".join(
            escape(d.phrase) + (f"→{d.due.isoformat()}" if d.due else "") + ("[dim](表)[/]" if d.source == "table" else "")
            for d in item.deadlines
        )
        notes = "".join(f"\n[yellow]⚠ {escape(n.message)}[/]" for n in item.notes)
        table.add_row(str(item.number), escape(text) + notes, _units(item.units), deadlines or "—")
    console.print(table)


def ingest_line(summary: Any) -> str:
    doc = summary.document
    status = {"new": "新入库", "unchanged": "已存在，未变化", "new_version": f"新版本 v{summary.result.version}"}
    return (
        f"{summary.path}: {doc.doc_number or '（无发文字号）'} 《{doc.title}》 {len(doc.items)}项 "
        f"{doc.issue_date or ''} → {status.get(summary.result.status, summary.result.status)}"
    )


def show_check(console: Console, result: Any) -> None:
    plan = result.plan
    console.print(f"[bold]检查方案[/]: {escape(plan.doc_number or '')} 《{escape(plan.title)}》（{len(plan.items)}项）")
    if result.directive is not None:
        d = result.directive
        console.print(f"[bold]上级文件[/]: {escape(d.doc_number or '')} 《{escape(d.title)}》（{len(d.items)}项）")
        binding = [row for row in result.coverage if row.binding]
        table = Table(title=f"覆盖情况：上级文件中适用本级的 {len(binding)} 项", header_style="bold")
        table.add_column("上级条目", justify="right")
        table.add_column("本方案条目")
        table.add_column("相似度", justify="right")
        table.add_column("状态")
        for row in binding:
            table.add_row(
                str(row.directive_item),
                "、".join(str(n) for n in row.plan_items) or "—",
                f"{row.score:.2f}",
                STATUS_LABEL.get(row.status, row.status),
            )
        console.print(table)
    else:
        console.print("[dim]未指定上级文件：只检查不依赖上级文件的规则[/]")
    for warning in result.warnings:
        console.print(f"[yellow]注意[/]: {escape(warning)}")
    counts = result.counts()
    console.print(
        f"[bold]检查结果[/]: 错误 {counts['error']} 项，警告 {counts['warning']} 项，提示 {counts['info']} 项"
    )
    for severity in ("error", "warning", "info"):
        group = [f for f in result.findings if f.severity == severity]
        if not group:
            continue
        table = Table(title=SEVERITY_LABEL[severity], header_style="bold", title_justify="left")
        table.add_column("代码")
        table.add_column("条目")
        table.add_column("说明", overflow="fold")
        for f in group:
            where = "；".join(
                x for x in (
                    f"上级第{f.directive_item}项" if f.directive_item else "",
                    f"本方案第{f.plan_item}项" if f.plan_item else "",
                ) if x
            )
            table.add_row(f.code, where or "—", escape(f.message))
        console.print(table)
