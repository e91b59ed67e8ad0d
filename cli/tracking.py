"""`gongkai file` and `gongkai status`: plain functions the main Typer app registers as commands.

Both take `--as-of` so that any day can be looked at (or filed on) explicitly; nothing here
reads the clock except to default to today in Shanghai.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from cli.dates import as_of_day, parse_day

if TYPE_CHECKING:
    from rules.obligation_states import ObligationStatus

# rules.obligation_states.STATES, written out for the --state help: importing the rules (pydantic,
# durable-rules) would cost `gongkai --help` most of a second. tests/test_cli_speed.py keeps them equal.
STATE_NAMES = ("pending", "due_soon", "overdue", "escalated", "done_on_time", "done_late", "closed_unfinished")

SORTS = ("due", "unit", "state", "light")

DbOption = Annotated[str | None, typer.Option("--db", help="数据库文件路径或 SQLAlchemy URL（默认 GONGKAI_DB 或 var/gongkai.db）")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="按此日期评估（YYYY-MM-DD，默认今天，上海时间）")]
JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON（格式见 docs/obligations.md）")]
PolicyOption = Annotated[Path | None, typer.Option("--policy", help="策略文件（默认 data/policy.yaml）")]
HolidaysOption = Annotated[
    Path | None,
    typer.Option("--holidays", help="节假日文件（官方日历未覆盖的年份；默认 GONGKAI_HOLIDAYS）"),
]


def _calendar(holidays: Path | None) -> Any:
    from workdays.calendar import WorkdayCalendar, default_calendar

    return WorkdayCalendar(holidays) if holidays is not None else default_calendar()


def _cn(day: date | None) -> str:
    return day.isoformat() if day else "—"


def file_command(
    kind: Annotated[str, typer.Argument(help="plan（单位年度计划）| report（季度报告）| done（完成事项）| event（触发事件）")],
    unit: Annotated[str, typer.Option("--unit", help="报送单位（全称或简称，如 区教育局）")],
    plan: Annotated[str, typer.Option("--for", help="所依据的区方案：发文字号或编号")],
    file: Annotated[Path | None, typer.Argument(help="报送的文件；单位年度计划将按区方案检查")] = None,
    period: Annotated[str | None, typer.Option("--period", help="期间：季度 2025Q2、年度 2025 或事件日期 2025-09-26")] = None,
    item: Annotated[int | None, typer.Option("--item", help="条目序号（done、event 需要）")] = None,
    filed: Annotated[str | None, typer.Option("--date", help="报送或事件发生日期（YYYY-MM-DD，默认 --as-of 或今天）")] = None,
    event: Annotated[str | None, typer.Option("--event", help="记录触发事件（如 决策出台），开启以事件起算的时限")] = None,
    note: Annotated[str | None, typer.Option("--note", help="备注")] = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    policy: PolicyOption = None,
    holidays: HolidaysOption = None,
    db: DbOption = None,
) -> None:
    """记录单位报送：年度计划（附文件时按区方案检查）、季度报告、事项完成，或触发事件。"""
    from pipeline.obligations import record_filing
    from rules.policy import load_policy
    from store import open_store

    day = parse_day(filed, "--date") or as_of_day(as_of)
    store = open_store(db)
    try:
        result = record_filing(
            store, kind, unit, plan, period=period, item=item, filed_on=day, path=file, event=event,
            policy=load_policy(policy), calendar=_calendar(holidays), note=note,
        )
    finally:
        store.dispose()
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        _show_filing(Console(), result)
    raise typer.Exit(1 if result.has_errors else 0)


def _show_filing(console: Console, result: Any) -> None:
    from notifications.entries import STATE_LABELS

    state = STATE_LABELS.get(result.state or "", result.state or "")
    if result.kind == "event":
        console.print(
            f"已记录事件：{result.unit} 第{result.item}项“{result.event}”发生于 {result.filed_on.isoformat()}"
            f"（{result.plan_name or result.doc_key}），须于 {_cn(result.due)} 前完成。",
            highlight=False,
        )
    else:
        what = {"plan": "年度计划", "report": f"{result.period}季度报告", "done": f"第{result.item}项完成情况"}
        label = what.get(result.kind, result.kind)
        if result.kind == "done" and result.period:
            label += f"（{result.period}）"
        console.print(
            f"已记录：{result.unit} 报送{label}（{result.plan_name or result.doc_key}），报送日期 {result.filed_on.isoformat()}，"
            f"时限 {_cn(result.due)} → {state}",
            highlight=False,
        )
    for warning in result.warnings:
        console.print(f"[yellow]注意[/]: {warning}", highlight=False)
    if result.check is not None:
        from cli import views

        console.print(f"单位计划已入库：{result.document_key}（检查记录 #{result.check_run_id}）", highlight=False)
        views.show_check(console, result.check)


def _sorted(statuses: list[ObligationStatus], sort: str) -> list[ObligationStatus]:
    from rules.obligation_states import LIGHT_RANK, STATES

    if sort == "unit":
        return sorted(statuses, key=lambda s: (s.district or "", s.unit, *s.sort_key))
    if sort == "state":
        return sorted(statuses, key=lambda s: (STATES.index(s.state), *s.sort_key))
    if sort == "light":
        return sorted(statuses, key=lambda s: (-LIGHT_RANK[s.light], *s.sort_key))
    return sorted(statuses, key=lambda s: s.sort_key)


def status_command(
    district: Annotated[str | None, typer.Option("--district", help="只看某区（如 长宁区）")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="只看某单位（也可为集合名称，如 各街道（镇））")] = None,
    plan: Annotated[str | None, typer.Option("--plan", help="只看某个方案（发文字号或 #编号）")] = None,
    year: Annotated[int | None, typer.Option("--year", help="只看某年度的方案（如 2026）")] = None,
    state: Annotated[
        str | None, typer.Option("--state", help="只列这些状态（逗号分隔）：" + ",".join(STATE_NAMES))
    ] = None,
    show_all: Annotated[bool, typer.Option("--all", help="列出所有状态的事项（默认只列需要关注的：即将到期、逾期、升级督办）")] = False,
    sort: Annotated[str, typer.Option("--sort", help="排序：due（到期日，默认）| unit | state | light")] = "due",
    limit: Annotated[int, typer.Option("--limit", help="最多列出多少条事项（默认 50，0 为不限）")] = 50,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    policy: PolicyOption = None,
    holidays: HolidaysOption = None,
    db: DbOption = None,
) -> None:
    """各单位应报送和应完成事项的进度：待办、即将到期、逾期、升级督办、已办结，附红黄绿灯。"""
    from cli.units import check_office
    from documents.model import DocumentError
    from pipeline.obligations import derive_obligations, obligation_status, status_report
    from rules.obligation_states import ATTENTION_STATES, STATES
    from rules.policy import load_policy
    from store import open_store
    from store.documents import find_document

    if sort not in SORTS:
        raise ValueError(f"--sort 应为 {'、'.join(SORTS)} 之一，收到 {sort!r}")
    if unit:
        check_office(unit, "--unit", district)
    wanted = [s.strip() for s in (state or "").split(",") if s.strip()]
    unknown = [s for s in wanted if s not in STATES]
    if unknown:
        raise ValueError(f"--state 应取自 {', '.join(STATES)}，收到 {', '.join(unknown)}")
    day = as_of_day(as_of)
    rules_policy = load_policy(policy)
    store = open_store(db)
    try:
        doc_key = None
        if plan:
            with store.transaction() as session:
                record = find_document(session, plan, include_drafts=False)
                if record is None:
                    raise DocumentError(plan, "数据库中没有此方案（请核对发文字号，或用 #编号）")
                doc_key = record.doc_key
        # Deriving is idempotent: a plan ingested since the last run owes from now on.
        derived = derive_obligations(store, policy=rules_policy, calendar=_calendar(holidays))
        statuses = obligation_status(store, day, district, unit, policy=rules_policy, doc_key=doc_key, year=year)
        # By default what needs attention now; --state or --all to see the rest.
        states = wanted or (list(STATES) if show_all else list(ATTENTION_STATES))
        matching = _sorted([s for s in statuses if s.state in states], sort)
        shown = matching[:limit] if limit > 0 else matching
        report = status_report(store, day, district, unit, policy=rules_policy, statuses=statuses,
                               warnings=derived.warnings_for(district))
    finally:
        store.dispose()
    report["filters"].update({"plan": doc_key, "year": year, "state": states, "all": show_all, "sort": sort,
                              "limit": limit or None})
    report["matching"] = len(matching)
    report["obligations"] = [s.to_dict() for s in shown]
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        return
    _show_status(Console(), report, shown, day)


def _show_status(console: Console, report: dict[str, Any], shown: list[ObligationStatus], day: date) -> None:
    from cli import views

    views.show_status(console, report, shown, day)
