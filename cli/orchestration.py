"""`gongkai nightly`, `submit-draft`, `submit-directive` and `demo`: the Prefect side of the CLI.

Filing (`submit-*`) goes through the Prefect server when one is configured (PREFECT_API_URL): the
command emits the event the deployment's trigger waits for (`plan.draft.filed`,
`directive.filed`), then follows the run it starts and prints its summary artifact. Without a
server the flow runs in this process. Prefect is imported inside the commands: it takes seconds
to import and the other commands do not need it.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.dates import as_of_day
from pipeline.summary import SEVERITIES, SEVERITY_LABELS, urgent_what

# Prefect's telemetry writes collide with SQLite locks on the local server (shared/ENVIRONMENT.md).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLES = PROJECT_ROOT / "data" / "samples"
REPORTS = Path("var") / "reports"

DRAFT_EVENT = "plan.draft.filed"
DIRECTIVE_EVENT = "directive.filed"
FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}

console = Console()

DbOption = Annotated[str | None, typer.Option("--db", help="数据库文件路径或 SQLAlchemy URL（默认 GONGKAI_DB 或 var/gongkai.db）")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="按此日期评估（YYYY-MM-DD，默认今天，上海时间）")]
WaitOption = Annotated[
    int, typer.Option("--wait", help="已配置 Prefect 服务器时，最多等待检查结果多少秒（0 = 提交后立即返回）")
]


def server_url() -> str | None:
    """The configured Prefect API (environment or profile), or None for in-process runs.

    Prefect takes seconds to import: it is asked only when a profile file might set the URL."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect")
    profiles = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml")
    try:
        mentioned = "PREFECT_API_URL" in profiles.read_text(encoding="utf-8")
    except OSError:
        mentioned = False
    if not mentioned:
        return None
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def _file(path: Path) -> Path:
    if not path.is_file():
        raise ValueError(f"{path}：文件不存在")
    # The worker that runs the check may start elsewhere: hand it an absolute path.
    return path.resolve()


def _document(path: Path) -> Path:
    """`path` read and parsed before anything is started or stored: a file that is not a plan
    (empty, unreadable, no items) is bad input (exit 2), not a failed run."""
    from documents.parser import parse_file

    path = _file(path)
    parse_file(path)
    return path


def _against(against: str | None, db: str | None) -> str | None:
    """`--against` as an absolute path (parsed) or a stored 发文字号 that exists."""
    if not against:
        return None
    if Path(against).exists():
        return str(_document(Path(against)))
    from store import open_store
    from store.documents import find_document

    store = open_store(db)
    try:
        with store.transaction() as session:
            if find_document(session, against) is None:
                raise ValueError(f"--against：“{against}”既不是文件，也不是已入库的发文字号")
    finally:
        store.dispose()
    return against


def _run_flow(flow: Any, title: str, **parameters: Any) -> dict[str, Any]:
    """Run a flow in this process; its failure becomes a one-line error (exit code 1)."""
    state = flow(**parameters, return_state=True)
    if not state.is_completed():
        console.print(f"[bold red]{title}失败[/]：{state.message or state.name}", highlight=False)
        raise typer.Exit(1)
    return state.result()


def _print_summary(summary: dict[str, Any], title: str) -> None:
    """The run summary as rich tables: counts per district, failures, the most urgent items,
    and for a draft every error and warning (its filer wants them all)."""
    from pipeline.summary import RunSummary

    run = RunSummary.from_dict(summary)
    console.print(f"[bold]{title}[/]", highlight=False)
    console.print(
        f"评估日期 {run.as_of}；检查方案 {run.plans} 份；"
        + "，".join(f"{SEVERITY_LABELS[s]} {run.counts.get(s, 0)} 项" for s in SEVERITIES) + "。",
        highlight=False,
    )
    _print_districts(run)
    for district, message in run.failed.items():
        console.print(f"[bold red]{district} 运行失败[/]：{message}", highlight=False)
    if run.obligations_note:
        console.print(f"[yellow]{run.obligations_note}[/]", highlight=False)
    if run.kind == "draft":
        findings = [r for r in run.findings if r.severity != "info"]
        table = Table(title="检查发现的问题（错误和警告）", header_style="bold", show_lines=False)
        for column in ("级别", "代码", "上级条目", "本方案条目", "说明"):
            table.add_column(column, overflow="fold", ratio=4 if column == "说明" else None)
        for r in findings:
            table.add_row(r.severity_label, r.code, str(r.directive_item or ""), str(r.plan_item or ""), r.message)
        console.print(table if findings else "没有错误或警告。")
    if run.urgent and run.kind != "draft":
        _print_urgent(run.urgent)
    alerts = run.alert_summary
    if alerts.note:
        console.print(f"[dim]{alerts.note}[/]", highlight=False)
    elif run.alerts:
        console.print(
            f"提醒：需提醒 {alerts.alertable} 项，生成邮件 {alerts.digests} 封，"
            f"发出 {alerts.sent} 封，已提醒过而跳过 {alerts.skipped_duplicates} 项。",
            highlight=False,
        )
        for error in alerts.errors:
            console.print(f"[red]无法投递[/]：{error}", highlight=False)


def _print_districts(run: Any) -> None:
    from notifications.entries import STATE_LABELS

    states = run.obligation_states()
    table = Table(title="各区情况", header_style="bold")
    for column in ("区", "方案数", *(SEVERITY_LABELS[s] for s in SEVERITIES), *(STATE_LABELS.get(s, s) for s in states)):
        table.add_column(column, justify="left" if column == "区" else "right")
    for district, result in run.districts.items():
        c, o = result.counts, result.obligations
        table.add_row(district, str(len(result.plans)), *(str(c.get(s, 0)) for s in SEVERITIES),
                      *(str(o.get(s, 0)) for s in states))
    if run.districts:
        console.print(table)


def _print_urgent(urgent: list[dict[str, Any]]) -> None:
    from notifications.entries import units_text

    table = Table(title="最紧急的事项", header_style="bold")
    for column in ("#", "状态", "区", "文件", "条目", "事项", "责任单位", "时限"):
        table.add_column(column, overflow="fold", ratio=3 if column == "事项" else None)
    for i, e in enumerate(urgent, 1):
        due = e.get("due") or ""
        if e.get("days_left") is not None and e["days_left"] < 0:
            due += f"（逾期{-e['days_left']}天）"
        table.add_row(str(i), e.get("state_label", ""), e.get("district", ""),
                      e.get("document") or e.get("doc_number", ""), e.get("item", ""), urgent_what(e)[:24],
                      units_text(e.get("units", [])), due)
    console.print(table)


# --------------------------------------------------------------------------- events


def emit_filing(event: str, path: Path, *, against: str | None = None, kind: str) -> str:
    """Emit a filing event to the configured server and wait until the server has it; returns
    the request id the triggered run carries as a parameter."""
    import asyncio
    import uuid

    from prefect.events.clients import get_events_client
    from prefect.events.schemas.events import Event

    request_id = str(uuid.uuid4())
    payload = {"path": str(path), "request_id": request_id}
    if against:
        payload["against"] = against
    filed = Event(
        event=event,
        resource={"prefect.resource.id": f"gongkai.{kind}.{request_id}", "prefect.resource.name": path.name},
        payload=payload,
    )

    async def send() -> None:
        # checkpoint_every=1: the client pings after the event, so leaving the block means the
        # server received it — a short-lived CLI process must not exit with it still buffered.
        async with get_events_client(checkpoint_every=1) as client:
            await client.emit(filed)

    asyncio.run(send())
    return request_id


async def _find_run(client: Any, flow_name: str, request_id: str) -> Any:
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    runs = await client.read_flow_runs(
        flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
        sort=FlowRunSort.EXPECTED_START_TIME_DESC,
        limit=50,
    )
    return next((r for r in runs if (r.parameters or {}).get("request_id") == request_id), None)


async def follow_run(flow_name: str, request_id: str, timeout: float, poll: float = 1.0) -> tuple[Any, list[Any]]:
    """Wait for the run that `request_id` started to finish; returns (flow run or None, its artifacts)."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    deadline = time.monotonic() + timeout
    async with get_client() as client:
        run = None
        while time.monotonic() < deadline:
            if run is None:
                run = await _find_run(client, flow_name, request_id)
            else:
                run = await client.read_flow_run(run.id)
            if run is not None and run.state is not None and run.state.type.value in FINAL_STATES:
                artifacts = await client.read_artifacts(
                    artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]))
                )
                return run, artifacts
            await asyncio.sleep(poll)
        return run, []


def _report_remote(flow_name: str, request_id: str, wait: int, what: str) -> None:
    import asyncio

    url = server_url()
    console.print(f"已向 Prefect 服务器 {url} 提交{what}（请求 {request_id}）。", highlight=False)
    if wait <= 0:
        console.print("结果将由工作进程产生，可在 Prefect 界面的 Artifacts 页查看。")
        return
    console.print(f"等待检查结果（最多 {wait} 秒）…")
    run, artifacts = asyncio.run(follow_run(flow_name, request_id, wait))
    if run is None:
        console.print(f"[yellow]{wait} 秒内没有开始运行[/]：请确认部署已创建、工作进程在运行；结果稍后可在 Prefect 界面查看。")
        return
    state = run.state.type.value if run.state else "UNKNOWN"
    if state not in FINAL_STATES:
        console.print(f"[yellow]运行 {run.name} 仍在进行（{state}）[/]，结果稍后可在 Prefect 界面查看。", highlight=False)
        return
    from flows.artifacts import findings_from_table

    findings = []
    for artifact in sorted(artifacts, key=lambda a: a.type != "markdown"):
        if artifact.type == "markdown":
            from rich.markdown import Markdown

            console.print(Markdown(str(artifact.data)))
        elif artifact.type == "table":
            rows = findings_from_table(_rows(artifact.data))
            _print_findings(rows, artifact.description or "")
            findings += rows
    if state != "COMPLETED":
        console.print(f"[bold red]运行 {run.name} 失败[/]：{run.state.message or state}", highlight=False)
        raise typer.Exit(1)
    if any(f.severity == "error" for f in findings):
        raise typer.Exit(1)


def _print_findings(rows: list[Any], title: str) -> None:
    from flows.artifacts import FINDING_COLUMNS, table_row

    rows = [r for r in rows if r.severity != "info"]
    if not rows:
        return
    table = Table(title=title, header_style="bold")
    for column in FINDING_COLUMNS.values():
        table.add_column(column, overflow="fold", ratio=4 if column == "说明" else None)
    for row in rows:
        table.add_row(*(str(v) for v in table_row(row).values()))
    console.print(table)


def _rows(data: Any) -> list[dict[str, Any]]:
    import json

    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return []
    return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []


# --------------------------------------------------------------------------- commands


def submit_draft_command(
    path: Annotated[Path, typer.Argument(help="方案草稿文件：.txt .docx .pdf .html")],
    against: Annotated[str | None, typer.Option("--against", help="上级文件：文件路径或发文字号（默认按年度和地区查找）")] = None,
    as_of: AsOfOption = None,
    wait: WaitOption = 300,
    db: DbOption = None,
) -> None:
    """报送方案草稿并立即检查：已配置 Prefect 服务器时发出 plan.draft.filed 事件，否则在本进程内运行。有错误级问题时退出码为 1。"""
    from pipeline.alerts import current_policy

    path = _document(path)
    day = as_of_day(as_of)
    policy = current_policy()  # a policy that does not validate stops here (exit 2)
    if server_url():
        if against and Path(against).exists():
            against = str(_document(Path(against)))
        request_id = emit_filing(DRAFT_EVENT, path, against=against, kind="draft")
        _report_remote("check-plan", request_id, wait, f"方案草稿 {path.name}")
        return
    against = _against(against, db)
    # No server configured: the same steps as the check-plan flow, without starting a temporary
    # Prefect server (seconds of start-up for a check that takes a fraction of one).
    from pipeline.filings import check_filing
    from pipeline.nightly import shared_store

    summary = check_filing(shared_store(db), str(path), day, policy, against=against)
    plan = summary.get("plan") or {}
    _print_summary(summary, f"方案草稿即时检查：{plan.get('doc_number') or plan.get('title') or path.name}")
    if not summary.get("alerted"):
        console.print("[dim]策略 drafts_alert 为 false：草稿检查结果已保存，未发送提醒邮件。[/]")
    if summary.get("has_errors"):
        raise typer.Exit(1)


def submit_directive_command(
    path: Annotated[Path, typer.Argument(help="上级文件：.txt .docx .pdf .html")],
    as_of: AsOfOption = None,
    wait: WaitOption = 300,
    db: DbOption = None,
) -> None:
    """报送上级文件：入库并复核其下已入库的方案。已配置 Prefect 服务器时发出 directive.filed 事件，否则在本进程内运行。"""
    path = _document(path)
    if server_url():
        request_id = emit_filing(DIRECTIVE_EVENT, path, kind="directive")
        _report_remote("ingest-directive", request_id, wait, f"上级文件 {path.name}")
        return
    from flows.ingest import ingest_directive

    summary = _run_flow(ingest_directive, "上级文件入库", path=str(path), as_of=as_of_day(as_of), db=db)
    directive = summary.get("directive") or {}
    _print_summary(summary, f"上级文件入库与下级方案复核：{directive.get('doc_number') or directive.get('title')}")


def nightly_command(as_of: AsOfOption = None, db: DbOption = None) -> None:
    """在本进程内运行夜间合规检查流程：规则检查、责任事项、提醒邮件。有区运行失败时退出码为 1。"""
    from flows.nightly import nightly_compliance

    day = as_of_day(as_of)
    summary = _run_flow(nightly_compliance, "夜间检查", as_of=day, db=db)
    _print_summary(summary, f"政务公开合规夜间检查（{day.isoformat()}）")
    _say_where_mail_went(summary)
    if summary.get("failed"):
        raise typer.Exit(1)


def _say_where_mail_went(summary: dict[str, Any]) -> None:
    alerts = summary.get("alerts") or {}
    sent = f"本次发出 {alerts.get('sent', 0)} 封"
    if not alerts.get("sent") and alerts.get("skipped_duplicates"):
        sent += "（这些事项已提醒过，状态未变的不在提醒间隔内重复发送）"
    if alerts.get("outbox_dir"):
        folder = Path(alerts["outbox_dir"]).resolve()
        console.print(f"提醒邮件（.eml 文件）在 {folder}：{sent}。设置 GONGKAI_SMTP_HOST 后改为经 SMTP 发送。",
                      highlight=False)
    elif alerts.get("destination"):
        console.print(f"提醒邮件：{alerts['destination']}；{sent}。", highlight=False)


def demo_command(as_of: AsOfOption = None, db: DbOption = None) -> None:
    """演示：导入自带样例文件，运行夜间合规检查流程，打印汇总，写出运行报告和提醒邮件（全部使用内置默认设置）。"""
    from pipeline.ingest import ingest_files
    from pipeline.nightly import shared_store
    from pipeline.report import write_report

    day = as_of_day(as_of)
    samples = sorted(SAMPLES.glob("*.txt"))
    if not samples:
        raise ValueError(f"{SAMPLES}：没有样例文件")
    store = shared_store(db)
    for result in ingest_files(store, samples):
        doc = result.document
        console.print(f"导入 {Path(result.path).name}：{doc.doc_number or doc.title}（{result.result.status}）", highlight=False)
    if not server_url():
        console.print("[dim]未设置 PREFECT_API_URL：Prefect 将启动一个临时本地服务器（约 10 秒）。[/]")
    started = datetime.now()
    from flows.nightly import nightly_compliance

    summary = _run_flow(nightly_compliance, "夜间检查", as_of=day, db=db)
    _print_summary(summary, f"政务公开合规夜间检查（{day.isoformat()}）")
    report = write_report(summary, REPORTS / f"nightly-{day.isoformat()}.md")
    console.print(f"运行报告：{report.resolve()}（{(datetime.now() - started).total_seconds():.1f} 秒）", highlight=False)
    _say_where_mail_went(summary)
    if summary.get("failed"):
        raise typer.Exit(1)
