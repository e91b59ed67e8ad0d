"""`gongkai alerts` and `gongkai outbox`: plain functions the main Typer app registers as commands."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.dates import as_of_day

if TYPE_CHECKING:
    from notifications.outbox import AlertRunReport

# By store.outbox's status names (not imported here: the store and mail modules load only when a
# command runs; tests/test_cli_speed.py keeps the keys equal to store.outbox.STATUSES).
STATUS_LABELS = {
    "queued": "待发送",
    "sending": "发送中",
    "sent": "已发送",
    "failed": "发送失败",
    "superseded": "已被取代",
    "rejected": "被拒收（不再重发）",
}


def alerts_command(
    as_of: Annotated[str | None, typer.Option("--as-of", help="按哪一天计算到期和逾期（YYYY-MM-DD，默认今天）")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只列出将要发送的提醒，不发送也不记录")] = False,
    to: Annotated[str | None, typer.Option("--to", help="只给这个单位（名称、简称或邮箱）发送")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    db: Annotated[str | None, typer.Option("--db", help="数据库文件或 URL（默认 GONGKAI_DB 或 var/gongkai.db）")] = None,
) -> None:
    """生成并发送提醒邮件：每个责任单位一封汇总邮件。"""
    from cli.units import check_office
    from notifications.outbox import send_alerts
    from notifications.transport import SettingsError, SmtpSettings
    from store.db import open_store

    console = Console()
    day = as_of_day(as_of)
    if to is not None:
        check_office(to, "--to")
    try:
        settings = SmtpSettings.from_env()
    except SettingsError as exc:
        console.print(f"[red]邮件设置有误：{exc}[/red]")
        raise typer.Exit(2) from None
    # Imported here: the pipeline pulls in the rule engine, which `gongkai outbox` does not need.
    from pipeline.alerts import collect_alert_entries as collect
    from pipeline.alerts import current_policy

    policy = current_policy()
    store = open_store(db)
    try:
        from pipeline.obligations import derive_obligations

        # What is owed follows the stored plans, filings and the policy as they are now: alerts
        # never depend on a `status` or `nightly` having run before (idempotent when nothing changed).
        derive_obligations(store, policy=policy)
        entries, registries = collect(store, day)
        report = send_alerts(store, entries, registries, policy, as_of=day, dry_run=dry_run,
                             only_to=to, settings=settings)
    finally:
        store.dispose()
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_report(console, report, to, to_files=not settings.configured)
    if report.delivery and (report.delivery.failed or report.delivery.aborted):
        raise typer.Exit(1)


def _print_report(console: Console, report: AlertRunReport, only_to: str | None, to_files: bool = False) -> None:
    title = f"{report.as_of.isoformat()} 提醒邮件" + ("（试运行，未发送）" if report.dry_run else "")
    table = Table(title=title)
    for column in ("收件单位", "邮箱", "事项数", "主题"):
        table.add_column(column)
    for digest in report.digests:
        table.add_row(digest.recipient.name, digest.recipient.email, str(len(digest.entries)), digest.subject)
    if report.digests:
        console.print(table)
    for error in report.errors:
        console.print(f"[red]{error}[/red]")
    scope = f"（仅限“{only_to}”）" if only_to else ""
    console.print(
        f"共 {report.entries} 项，需提醒 {report.alertable} 项；本次生成 {len(report.digests)} 封邮件{scope}，"
        f"已提醒过且状态未变而跳过 {report.skipped_duplicates} 项。"
    )
    if report.dry_run:
        console.print(f"试运行：未写入发件箱，未发送（投递方式：{report.destination}）。")
        return
    delivery = report.delivery
    if delivery is None:
        console.print("没有需要发送的邮件。")
        return
    console.print(f"投递方式：{delivery.destination}")
    done = "写入文件" if to_files else "发出"
    console.print(f"本次{done} {len(delivery.sent)} 封；发件箱中仍未{done} {delivery.remaining} 封。")
    for message_id, error in delivery.failed:
        console.print(f"[red]未发出 {message_id}：{error}[/red]")
    for message_id, error in delivery.rejected:
        console.print(f"[red]收件地址被拒收，已停止重发 {message_id}：{error}[/red]")
    if delivery.aborted:
        console.print("[yellow]邮件服务器不可用，其余邮件已留在发件箱，下次运行时自动重发。[/yellow]")
    elif delivery.failed:
        console.print("[yellow]发送失败的邮件已留在发件箱，下次运行时自动重发。[/yellow]")


def _time(value: datetime | None) -> str:
    from store import outbox as outbox_store

    value = outbox_store.aware(value)
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


def outbox_command(
    status: Annotated[
        str | None, typer.Option("--status", help="只看某种状态：queued、sending、sent、failed、superseded")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="最多列出多少封（最新的在前）")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    db: Annotated[str | None, typer.Option("--db", help="数据库文件或 URL（默认 GONGKAI_DB 或 var/gongkai.db）")] = None,
) -> None:
    """列出发件箱：待发送、已发送（或已写入文件）和发送失败的提醒邮件，以及每封 .eml 文件的位置。"""
    from notifications.transport import EmlFolderTransport, SettingsError, SmtpSettings
    from store import outbox as outbox_store
    from store.db import open_store

    console = Console()
    if status and status not in STATUS_LABELS:
        raise typer.BadParameter(f"状态应为 {'、'.join(STATUS_LABELS)} 之一", param_hint="--status")
    try:
        settings = SmtpSettings.from_env()
    except SettingsError as exc:
        console.print(f"[red]邮件设置有误：{exc}[/red]")
        raise typer.Exit(2) from None
    # Without an SMTP server "sent" means written to the .eml folder: say so, and say where.
    folder = None if settings.configured else EmlFolderTransport(settings.outbox_dir)
    labels = dict(STATUS_LABELS)
    if folder is not None:
        labels[outbox_store.SENT] = "已写入文件"
    store = open_store(db)
    try:
        with store.transaction() as session:
            counts = outbox_store.count_by_status(session)
            rows: list[dict[str, Any]] = []
            for row in outbox_store.list_messages(session, status=status, limit=limit):
                path = folder.file_for(row.raw) if folder is not None else None
                rows.append({
                    "id": row.id, "status": row.status, "status_label": labels.get(row.status, row.status),
                    "recipient": row.recipient, "recipient_name": row.recipient_name, "subject": row.subject,
                    "message_id": row.message_id, "attempts": row.attempts,
                    "created_at": _time(row.created_at), "sent_at": _time(row.sent_at),
                    "error": row.last_error or "",
                    "file": str(path) if path is not None and row.status == outbox_store.SENT else None,
                })
    finally:
        store.dispose()
    if as_json:
        document = {
            "destination": settings.describe(),
            "counts": {s: n for s, n in sorted(counts.items())},
            "messages": rows,
        }
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    if not counts:
        console.print("发件箱为空。")
        return
    table = Table(title="发件箱")
    for column in ("编号", "状态", "收件单位", "主题", "尝试", "生成时间", "发送时间", "文件" if folder else "错误"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["id"]), r["status_label"],
            f"{r['recipient_name']}\n{r['recipient']}" if r["recipient_name"] else r["recipient"],
            r["subject"], str(r["attempts"]), r["created_at"], r["sent_at"],
            (r["file"] or r["error"]) if folder else r["error"],
        )
    console.print(table)
    console.print(f"投递方式：{settings.describe()}", highlight=False)
    console.print("；".join(f"{labels.get(s, s)} {n} 封" for s, n in sorted(counts.items())))
