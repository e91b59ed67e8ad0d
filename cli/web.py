"""`gongkai serve` (the dashboard) and `gongkai report` (html, xlsx, docx): thin commands over
`web` and `reports`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli.dates import as_of_day, parse_day

DbOption = Annotated[str | None, typer.Option("--db", help="数据库文件路径或 SQLAlchemy URL（默认 GONGKAI_DB 或 var/gongkai.db）")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="按此日期评估（YYYY-MM-DD，默认今天，上海时间）")]


def serve_command(
    host: Annotated[str, typer.Option("--host", help="监听地址（默认只在本机 127.0.0.1；内网访问可设 0.0.0.0）")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口")] = 8000,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="固定评估日期（YYYY-MM-DD，默认每次访问时取当天，上海时间）")
    ] = None,
    db: DbOption = None,
) -> None:
    """启动网页看板：全市总览、各区覆盖热力图、方案、责任单位；设置 GONGKAI_WEB_TOKEN 后可网上报送和上传草稿。"""
    import uvicorn

    from store import open_store
    from web.app import TOKEN_ENV, Settings, create_app

    if not 0 < port < 65536:
        raise ValueError(f"--port 应在 1–65535 之间，收到 {port}")
    day = parse_day(as_of, "--as-of")
    store = open_store(db)
    token = os.environ.get(TOKEN_ENV) or None
    app = create_app(store, Settings(token=token, as_of=day))
    console = Console()
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    console.print(f"政务公开工作看板：http://{shown}:{port}/（Ctrl+C 停止）", highlight=False)
    console.print("可报送和上传（已设置访问令牌）" if token else f"只读（未设置 {TOKEN_ENV}）", highlight=False)
    # The first page builds the day's view of the whole store; build it now, not on a person's click.
    app.state.cache.get(day or as_of_day(None))
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        store.dispose()


def report_command(
    fmt: Annotated[str, typer.Option("--format", "-f", help="格式：html（单文件网页）| xlsx（工作簿）| docx（通报）")],
    output: Annotated[Path, typer.Option("--output", "-o", help="输出文件")],
    district: Annotated[str | None, typer.Option("--district", help="只写某区（如 长宁区）")] = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """写出报告：html 单文件（热力图、红黄绿灯、各月到期）、xlsx 工作簿（四张表）或 docx 通报（每区一节）。"""
    from reports.writer import FORMATS, write_report
    from store import open_store

    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise ValueError(f"--format 应为 {'、'.join(FORMATS)} 之一，收到“{fmt}”")
    if output.suffix.lower() != f".{fmt}":
        raise ValueError(f"{output}：文件扩展名应为 .{fmt}")
    store = open_store(db)
    try:
        path = write_report(store, fmt, output, as_of=as_of_day(as_of), district=district)
    finally:
        store.dispose()
    Console().print(f"已写出：{path.resolve()}", highlight=False)
