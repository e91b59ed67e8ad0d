"""Rich views of documents and check results for the terminal (Chinese labels)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from documents.model import Document, UnitMention
from rules.evidence import CODE_LABELS, evidence_text

ROLE_LABEL = {"lead": "牵头", "responsible": "责任", "cooperating": "配合"}
LEVEL_LABEL = {"municipal": "市级", "district": "区级", "unit": "单位"}
LAYOUT_LABEL = {"running_text": "正文条目", "task_table": "任务分解表", "body_and_table": "正文加附表"}
CODE_LABEL = CODE_LABELS  # one table for the terminal, the dashboard and the reports
# Below this console width the wide tables give way to narrower ones (80 columns is the usual
# terminal; ten columns there leave five characters each).
WIDE = 120
SEVERITY_LABEL = {"error": "[red]错误[/]", "warning": "[yellow]警告[/]", "info": "[cyan]提示[/]"}
STATUS_LABEL = {"covered": "[green]已覆盖[/]", "partial": "[yellow]部分覆盖[/]", "missing": "[red]缺失[/]"}


def _units(units: list[UnitMention]) -> str:
    parts = []
    for u in units:
        name = escape(u.name if u.canonical == u.name else f"{u.name}（{u.canonical}）")
        # 牵头 and 配合 are worth saying; 责任 is what every listed unit is by default.
        role = f"[dim]（{ROLE_LABEL[u.role]}）[/]" if u.role in ("lead", "cooperating") else ""
        parts.append(f"{name}{role}")
    return "、".join(parts) or "[red]—[/]"


def show_document(console: Console, doc: Document) -> None:
    head = Table.grid(padding=(0, 2))
    for label, value in (
        ("标题", doc.title),
        ("发文字号", doc.doc_number or "—"),
        ("发文机关", doc.issuer or "—"),
        ("成文日期", doc.issue_date.isoformat() if doc.issue_date else "—"),
        ("年度", str(doc.year or "—")),
        ("层级/地区", f"{LEVEL_LABEL.get(doc.level, doc.level)} / {doc.place or '—'}"),
        ("主送机关", "，".join(doc.addressees) or "—"),
        ("版式", LAYOUT_LABEL.get(doc.layout, doc.layout)),
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


def show_check(console: Console, result: Any, evidence: bool = False) -> None:
    plan = result.plan
    console.print(f"[bold]检查方案[/]: {escape(plan.doc_number or '')} 《{escape(plan.title)}》（{len(plan.items)}项）")
    if result.directive is not None:
        d = result.directive
        console.print(f"[bold]上级文件[/]: {escape(d.doc_number or '')} 《{escape(d.title)}》（{len(d.items)}项）")
        binding = [row for row in result.coverage if row.binding]
        texts = {item.number: item.text for item in d.items}
        table = Table(title=f"覆盖情况：上级文件中适用本级的 {len(binding)} 项", header_style="bold",
                      title_justify="left", expand=True)
        table.add_column("上级条目", justify="right", no_wrap=True, min_width=8)
        table.add_column("内容", overflow="ellipsis", no_wrap=True, ratio=1)
        table.add_column("本方案条目", no_wrap=True, min_width=10)
        if console.width >= WIDE:
            table.add_column("相似度", justify="right", min_width=6)
        table.add_column("状态", no_wrap=True, min_width=8)
        for row in binding:
            cells = [str(row.directive_item), escape(texts.get(row.directive_item, "")),
                     "、".join(str(n) for n in row.plan_items) or "—"]
            if console.width >= WIDE:
                cells.append(f"{row.score:.2f}")
            table.add_row(*cells, STATUS_LABEL.get(row.status, row.status))
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
        table = Table(title=SEVERITY_LABEL[severity], header_style="bold", title_justify="left", expand=True)
        table.add_column("问题", overflow="fold", min_width=10, max_width=18)
        table.add_column("条目", overflow="fold", min_width=10, max_width=14)
        table.add_column("说明", overflow="fold", ratio=1)
        for f in group:
            where = "；".join(
                x for x in (
                    f"上级第{f.directive_item}项" if f.directive_item else "",
                    f"本方案第{f.plan_item}项" if f.plan_item else "",
                ) if x
            )
            # The stable code stays, dimmed, for looking a finding up (docs, JSON, the dashboard).
            note = f"{escape(f.message)} [dim]{f.code}[/]"
            if evidence:  # the grounds in words, as the dashboard shows them
                note += "\n[dim]" + escape(evidence_text(f.evidence)) + "[/]"
            table.add_row(CODE_LABEL.get(f.code, f.code), where or "—", note)
        console.print(table)


# --------------------------------------------------------------------------- Chinese help and errors

# Typer (0.2x) renders help with its own copy of click (typer._click), whose words are plain
# English strings, and its rich panels with module-level titles. `localize_cli` puts Chinese in
# their place: panel titles, the usage line, the --help option, option types, error messages.
ERROR_WORDS = (
    ("Missing argument", "缺少参数"),
    ("Missing option", "缺少选项"),
    ("Missing parameter", "缺少参数"),
    ("Missing command.", "缺少命令。"),
    ("No such option: ", "没有选项："),
    ("No such command", "没有命令"),
    ("Did you mean ", "是否为 "),
    ("(Possible options: ", "（可能的选项："),
    ("Invalid value for ", "取值无效："),
    ("Invalid value: ", "取值无效："),
    ("Got unexpected extra arguments", "多余的参数"),
    ("Got unexpected extra argument", "多余的参数"),
    (" is not a valid integer.", " 不是有效的整数。"),
    ("Input should be a valid integer, unable to parse string as an integer", "应为整数"),
    ("Input should be a valid number, unable to parse string as a number", "应为数字"),
    (" is not a valid float.", " 不是有效的数字。"),
    (" is not one of ", " 应为以下之一："),
    (" does not exist.", " 不存在。"),
    (" is a directory.", " 是目录。"),
)
TYPE_WORDS = {
    "str": "文本", "int": "整数", "float": "数字", "Path": "路径", "file": "文件", "directory": "目录",
    "path": "路径", "list[Path]": "路径…", "list[str]": "文本…", "datetime": "日期",
}
HELP_TEXT = "显示此帮助并退出。"


def _translate_errors(message: str) -> str:
    for english, chinese in ERROR_WORDS:
        message = message.replace(english, chinese)
    return message


def _chinese_message(original: Any) -> Any:
    def format_message(self: Any) -> str:
        return _translate_errors(original(self))

    return format_message


def _localize_rich_utils(rich_utils: ModuleType) -> None:
    rich_utils.ARGUMENTS_PANEL_TITLE = "参数"
    rich_utils.OPTIONS_PANEL_TITLE = "选项"
    rich_utils.COMMANDS_PANEL_TITLE = "命令"
    rich_utils.ERRORS_PANEL_TITLE = "错误"
    rich_utils.DEFAULT_STRING = "[默认：{}]"
    rich_utils.ENVVAR_STRING = "[环境变量：{}]"
    rich_utils.REQUIRED_LONG_STRING = "[必填]"
    rich_utils.DEPRECATED_STRING = "（已弃用）"
    rich_utils.RICH_HELP = "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。"


class _AfterImport:
    """A finder on sys.meta_path (importlib.abc.MetaPathFinder's protocol; importing that module
    costs importlib.resources and tempfile) that calls `patch` on the module `name` as soon as it
    has been imported, without importing it: typer imports its rich_utils only to show help or an
    error, and importing it up front would cost every command rich's markdown, syntax and
    traceback modules (about 0.1 s)."""

    def __init__(self, name: str, patch: Callable[[ModuleType], None]) -> None:
        self.name = name
        self.patch = patch

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
                  ) -> ModuleSpec | None:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # once: the usual finders find the module
        spec = importlib.util.find_spec(fullname)
        if spec is None:
            return None
        loader = spec.loader
        if loader is not None and hasattr(loader, "exec_module"):
            run = loader.exec_module
            patch = self.patch

            def exec_module(module: ModuleType) -> None:
                run(module)
                patch(module)

            loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def localize_cli() -> None:
    """Help, usage lines and parameter errors in Chinese; option types shown as 文本/整数/路径,
    and none for on/off switches (a `<bool>` next to --json tells a person nothing)."""
    import typer.core

    click = getattr(typer, "_click", None) or __import__("click")
    if getattr(click, "_gongkai_zh", False):
        return
    click._gongkai_zh = True
    if "typer.rich_utils" in sys.modules:
        _localize_rich_utils(sys.modules["typer.rich_utils"])
    else:
        sys.meta_path.insert(0, _AfterImport("typer.rich_utils", _localize_rich_utils))

    formatter = click.formatting.HelpFormatter
    write_usage = formatter.write_usage

    def chinese_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        args = args.replace("[OPTIONS]", "[选项]").replace("COMMAND [ARGS]...", "命令 [参数]…")
        write_usage(self, prog, args, "用法： " if prefix is None else prefix)

    formatter.write_usage = chinese_usage

    get_help_option = click.core.Command.get_help_option

    def chinese_help_option(self: Any, ctx: Any) -> Any:
        option = get_help_option(self, ctx)
        if option is not None:
            option.help = HELP_TEXT
        return option

    click.core.Command.get_help_option = chinese_help_option

    for name in dir(click.exceptions):
        cls = getattr(click.exceptions, name)
        if isinstance(cls, type) and "format_message" in vars(cls):
            cls.format_message = _chinese_message(vars(cls)["format_message"])

    original = getattr(typer.core._TyperParameter, "display_type", None)
    if original is not None:
        def display_type(self: Any, ctx: Any) -> str | None:
            label = original(self, ctx)
            bare = label[1:-1] if label.startswith("<") and label.endswith(">") else label
            if bare == "bool":
                return None
            return f"<{TYPE_WORDS.get(bare, bare)}>"

        typer.core._TyperParameter.display_type = display_type


localize_cli()


# --------------------------------------------------------------------------- status (gongkai status)

LIGHT_MARK = {"green": "🟢 [green]绿[/]", "yellow": "🟡 [yellow]黄[/]", "red": "🔴 [red]红[/]"}
STATE_STYLE = {
    "pending": "{}",
    "due_soon": "[yellow]{}[/]",
    "overdue": "[red]{}[/]",
    "escalated": "[bold red]{}[/]",
    "done_on_time": "[green]{}[/]",
    "done_late": "[dark_orange]{}[/]",
    "closed_unfinished": "[dim]{}[/]",
}


def _days(days_left: int | None) -> str:
    if days_left is None:
        return ""
    return f"逾期{-days_left}天" if days_left < 0 else f"剩{days_left}天"


def plan_label(status: Any) -> str:
    """Which plan a duty comes from: its 发文字号 and year, so 2025's 第4项 is not read as 2026's."""
    name = status.plan_name
    year = f"{status.plan_year}年" if status.plan_year else ""
    return f"{year}\n{name}" if year and str(status.plan_year) not in name else name


def show_status(console: Console, report: dict[str, Any], shown: list[Any], day: Any) -> None:
    """`gongkai status` for people: districts, units, then the duties. Below WIDE columns the
    duties table folds type, item, period and filing into the text of the duty."""
    from notifications.entries import STATE_LABELS
    from rules.obligation_states import STATES
    from rules.obligations import KIND_LABELS

    if not report["districts"]:
        console.print(f"截至 {day.isoformat()} 没有需要跟踪的事项（先用 gongkai ingest 导入区方案）。")
        for warning in report["warnings"]:
            console.print(f"[yellow]注意[/]: {escape(warning)}", highlight=False)
        return
    wide = console.width >= WIDE
    policy = report["policy"]
    console.print(
        f"[bold]截至 {day.isoformat()}[/]：提前 {policy['reminder_lead_days']} 天提醒，逾期超过 "
        f"{policy['escalation_days']} 天升级督办，宽限 {policy['grace_days']} 天",
        highlight=False,
    )
    head = Table(title="各区", header_style="bold", title_justify="left")
    head.add_column("区", no_wrap=True)
    head.add_column("灯", no_wrap=True)
    if wide:
        columns = [(STATE_LABELS.get(s, s), (s,)) for s in STATES]
    else:
        columns = [("待办", ("pending",)), ("将到期", ("due_soon",)), ("逾期", ("overdue",)),
                   ("升级督办", ("escalated",)), ("已办结", ("done_on_time", "done_late"))]
    for label, _states in columns:
        head.add_column(label, justify="right", no_wrap=True)
    for row in report["districts"]:
        head.add_row(row["district"] or "—", LIGHT_MARK[row["light"]],
                     *(str(sum(row["counts"][s] for s in states)) for _label, states in columns))
    console.print(head)

    units = Table(title="各单位（红灯、黄灯在前）", header_style="bold", title_justify="left")
    names = ("区", "单位", "灯", "逾期", "升级督办", "将到期", "已办结") if wide else ("单位", "灯", "逾期", "升级督办", "将到期", "已办结")
    for column in names:
        units.add_column(column, justify="left" if column in ("区", "单位", "灯") else "right",
                         no_wrap=column != "单位", overflow="fold")
    # units on green are counted, not listed, unless --all
    listed = report["units"] if report["filters"]["all"] else [r for r in report["units"] if r["light"] != "green"]
    for row in listed:
        c = row["counts"]
        cells = [escape(row["unit"]), LIGHT_MARK[row["light"]], str(c["overdue"]), str(c["escalated"]),
                 str(c["due_soon"]), str(c["done_on_time"] + c["done_late"])]
        units.add_row(*([row["district"] or "—"] if wide else []), *cells)
    if listed:
        console.print(units)
    if len(listed) < len(report["units"]):
        console.print(f"另有 {len(report['units']) - len(listed)} 个单位为绿灯（--all 列出全部）", highlight=False)

    more = report["matching"] - len(shown)
    title = f"事项（{report['matching']} 条" + (f"，列出前 {len(shown)} 条，--limit 0 列出全部" if more > 0 else "") + "）"
    table = Table(title=title, header_style="bold", title_justify="left", expand=not wide)
    if wide:
        for column in ("灯", "到期日", "剩余天数", "方案", "单位", "类型", "条目", "期间", "事项", "状态", "报送日期"):
            table.add_column(column, overflow="fold")
    else:
        table.add_column("灯 状态", no_wrap=True)
        table.add_column("到期日", no_wrap=True)
        table.add_column("单位 · 事项", overflow="fold", ratio=1)
    for s in shown:
        state = STATE_STYLE[s.state].format(STATE_LABELS.get(s.state, s.state))
        due = s.due.isoformat() if s.due else "待事件触发"
        escalate = f"\n[dim]升级至：{escape('、'.join(s.escalate_to))}[/]" if s.escalate_to else ""
        if wide:
            table.add_row(LIGHT_MARK[s.light], due, "" if s.days_left is None else str(s.days_left),
                          escape(plan_label(s)), escape(s.unit),
                          KIND_LABELS.get(s.kind, s.kind), str(s.item or ""), s.period or "",
                          escape(s.action) + escalate, state, s.filed_on.isoformat() if s.filed_on else "")
            continue
        what = "·".join(x for x in (plan_label(s).replace("\n", " "), KIND_LABELS.get(s.kind, s.kind),
                                    f"第{s.item}项" if s.item else "", s.period or "") if x)
        filed = f"\n[dim]报送于 {s.filed_on.isoformat()}[/]" if s.filed_on else ""
        days = "" if s.filed_on else _days(s.days_left)
        table.add_row(f"{LIGHT_MARK[s.light]}\n{state}", f"{due}\n[dim]{days}[/]",
                      f"[bold]{escape(s.unit)}[/] [dim]{what}[/]\n{escape(s.action)}{escalate}{filed}")
    console.print(table)
    for warning in report["warnings"]:
        console.print(f"[yellow]注意[/]: {escape(warning)}", highlight=False)
