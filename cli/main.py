"""The `gongkai` command: parse, ingest, check, file, status, alerts, outbox, nightly, demo."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from cli import alerts as alert_commands
from cli import orchestration, tracking, views
from cli import web as web_commands
from cli.dates import as_of_day
from documents.model import DocumentError

app = typer.Typer(help="gongkai: 政务公开工作方案合规检查", no_args_is_help=True, add_completion=False)
console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[str | None, typer.Option("--db", help="数据库文件路径或 SQLAlchemy URL（默认 GONGKAI_DB 或 var/gongkai.db）")]
JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="按此日期评估（YYYY-MM-DD，默认今天，上海时间）")]


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("gongkai")
        except PackageNotFoundError:  # run from a checkout that was never installed
            number = "未安装"
        console.print(f"gongkai {number}", highlight=False)
        raise typer.Exit()


@app.callback()
def main(
    show_version: Annotated[
        bool, typer.Option("--version", help="显示版本号并退出", callback=_show_version, is_eager=True)
    ] = False,
) -> None:
    """gongkai：政务公开工作方案合规检查。"""


class BadInput(Exception):
    """Input the user can fix: reported in one line, exit code 2."""


def handles_bad_input(func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (DocumentError, BadInput, ValueError) as exc:  # rules.policy.PolicyError is a ValueError
            err_console.print(f"[bold red]错误[/]: {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


@app.command()
@handles_bad_input
def parse(
    file: Annotated[Path, typer.Argument(help="文件：.txt .docx .pdf .html")],
    as_json: JsonOption = False,
) -> None:
    """解析一份文件并显示读取结果（不写入数据库）。"""
    from documents.parser import parse_file

    doc = parse_file(file)
    if as_json:
        sys.stdout.write(json.dumps(doc.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        views.show_document(console, doc)


@app.command()
@handles_bad_input
def ingest(
    files: Annotated[list[Path], typer.Argument(help="一个或多个文件")],
    db: DbOption = None,
    draft: Annotated[bool, typer.Option("--draft", help="作为草稿存入")] = False,
) -> None:
    """解析并存入数据库；同一文件重复导入只保留一份，内容变化则存为新版本。"""
    from pipeline.ingest import ingest_files
    from store import open_store

    store = open_store(db)
    for result in ingest_files(store, files, is_draft=draft):
        console.print(escape(views.ingest_line(result)), highlight=False)


@app.command()
@handles_bad_input
def check(
    plan: Annotated[str | None, typer.Argument(help="待检查的方案：文件路径，或 #编号（已入库文件的编号）")] = None,
    doc: Annotated[str | None, typer.Option("--doc", help="按发文字号检查已入库的方案（代替文件路径）")] = None,
    against: Annotated[str | None, typer.Option("--against", help="上级文件：文件路径、#编号或发文字号")] = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    policy: Annotated[Path | None, typer.Option("--policy", help="策略文件（默认 data/policy.yaml）")] = None,
    db: DbOption = None,
    evidence: Annotated[bool, typer.Option("--evidence", help="在每个问题下列出判定依据（规则和所依据的事实）")] = False,
) -> None:
    """即时检查一份（草稿）方案：覆盖、责任单位、时限。有错误级问题时退出码为 1。"""
    from pipeline.checks import check_documents

    if (plan is None) == (doc is None):
        raise BadInput("请给出一个方案：文件路径或 #编号，或用 --doc 给出发文字号（二者取一）")
    # The policy is read after the files (an unreadable file is rejected before anything heavy loads).
    result = check_documents(plan or doc or "", against, policy_file=policy, db=db,
                             as_of=as_of_day(as_of), plan_by_number=doc is not None)
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        views.show_check(console, result, evidence=evidence)
    raise typer.Exit(1 if result.has_errors else 0)


# The other commands live in their own modules (tracking, alerts, Prefect runs); registered here,
# each behind the same bad-input handling.
for _name, _command in (
    ("file", tracking.file_command),
    ("status", tracking.status_command),
    ("alerts", alert_commands.alerts_command),
    ("outbox", alert_commands.outbox_command),
    ("nightly", orchestration.nightly_command),
    ("submit-draft", orchestration.submit_draft_command),
    ("submit-directive", orchestration.submit_directive_command),
    ("demo", orchestration.demo_command),
    ("serve", web_commands.serve_command),
    ("report", web_commands.report_command),
):
    app.command(name=_name)(handles_bad_input(_command))


if __name__ == "__main__":
    app()
