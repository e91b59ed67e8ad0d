"""The workbook for Excel/WPS: 覆盖情况, 检查问题, 责任单位待办, 报送记录.

Built with pandas (one DataFrame per sheet, Chinese column names, sorted) and written with
XlsxWriter: frozen header row, filters, column widths, and fills by light / coverage status.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from reports.model import (
    COVERAGE_LABELS,
    FILING_LABELS,
    KIND_LABELS,
    LIGHT_LABELS,
    OPEN_STATES,
    SEVERITY_LABELS,
    STATE_LABELS,
    PlanView,
    Snapshot,
    latest_findings,
    period_label,
    unit_filings,
)
from rules.evidence import CODE_LABELS, evidence_text
from store.db import Store

SHEETS = ("覆盖情况", "检查问题", "责任单位待办", "报送记录")
# Excel's own "good / neutral / bad" fills (RGB), which people in offices read at a glance.
FILLS = {"green": "C6EFCE", "yellow": "FFEB9C", "red": "FFC7CE", "grey": "EDEDED"}
LABEL_FILLS = {
    LIGHT_LABELS["green"]: FILLS["green"], LIGHT_LABELS["yellow"]: FILLS["yellow"], LIGHT_LABELS["red"]: FILLS["red"],
    COVERAGE_LABELS["covered"]: FILLS["green"], COVERAGE_LABELS["partial"]: FILLS["yellow"],
    COVERAGE_LABELS["missing"]: FILLS["red"], COVERAGE_LABELS["not_binding"]: FILLS["grey"],
    SEVERITY_LABELS["error"]: FILLS["red"], SEVERITY_LABELS["warning"]: FILLS["yellow"],
}
HEADER_FILL = "DDE3EA"
# Widths in characters; a CJK character counts two.
WIDTHS = {"说明": 60, "判定依据": 50, "事项": 50, "条目内容": 40, "方案名称": 36, "升级至": 24, "责任单位": 24, "看板链接": 30}


def plan_state(plan: PlanView) -> str:
    """在办, or 年度已结束 for a plan whose year has closed: its rows are history, which the 通报's
    counts leave out."""
    return "年度已结束" if plan.closed else "在办"


def _district_filter(snapshot: Snapshot, district: str | None) -> list[str]:
    return [d.name for d in snapshot.districts if district is None or d.name == district]


def coverage_frame(snapshot: Snapshot, districts: list[str]) -> pd.DataFrame:
    """One row per checked plan, one column per item of the directive it answers to."""
    rows = []
    numbers: set[int] = set()
    for name in districts:
        view = snapshot.district(name)
        for plan in view.plans if view else []:
            if not plan.coverage:
                continue
            counts = plan.coverage_counts()
            row: dict[str, Any] = {
                "区": name, "发文字号": plan.doc_number or "", "方案名称": plan.title, "方案状态": plan_state(plan),
                "层级": plan.level_label, "对照上级文件": snapshot.directive_name(plan), "已覆盖": counts["covered"], "部分覆盖": counts["partial"],
                "缺失": counts["missing"],
            }
            for c in plan.coverage:
                numbers.add(c["directive_item"])
                row[f"第{c['directive_item']}项"] = COVERAGE_LABELS.get(c["status"], c["status"])
            rows.append(row)
    columns = ["区", "发文字号", "方案名称", "方案状态", "层级", "对照上级文件", "已覆盖", "部分覆盖", "缺失",
               *(f"第{n}项" for n in sorted(numbers))]
    return pd.DataFrame(rows, columns=columns)


def findings_frame(store: Store, snapshot: Snapshot, districts: list[str]) -> pd.DataFrame:
    from web.links import page_url

    wanted = set(districts)
    rows = []
    for f in latest_findings(store, snapshot):
        if f["district"] not in wanted:
            continue
        plan = f["plan"]
        rows.append({
            "区": f["district"], "发文字号": plan.doc_number or "", "方案名称": plan.title, "方案状态": plan_state(plan),
            "级别": SEVERITY_LABELS.get(f["severity"], f["severity"]), "问题类型": CODE_LABELS.get(f["code"], f["code"]),
            "上级条目": f["directive_item"], "本方案条目": f["plan_item"], "责任单位": "、".join(f["units"]),
            "说明": f["message"], "判定依据": evidence_text(f["evidence"]), "代码": f["code"],
            "看板链接": page_url("finding", run=plan.run_id, finding=f["id"]) or "",
        })
    columns = ["区", "发文字号", "方案名称", "方案状态", "级别", "问题类型", "上级条目", "本方案条目", "责任单位", "说明", "判定依据",
               "代码", "看板链接"]
    return pd.DataFrame(rows, columns=columns)


def duties_frame(snapshot: Snapshot, districts: list[str]) -> pd.DataFrame:
    wanted = set(districts)
    rows = [
        {
            "区": s.district or "", "单位": s.unit, "灯": LIGHT_LABELS[s.light], "状态": STATE_LABELS.get(s.state, s.state),
            "到期日": s.due, "剩余天数": s.days_left, "类型": KIND_LABELS.get(s.kind, s.kind),
            "发文字号": s.doc_number or "", "方案名称": s.title, "条目": s.item, "期间": period_label(s.period), "事项": s.action,
            "升级至": "、".join(s.escalate_to),
        }
        for s in snapshot.statuses
        if s.state in OPEN_STATES and (s.district or "") in wanted
    ]
    columns = ["区", "单位", "灯", "状态", "到期日", "剩余天数", "类型", "发文字号", "方案名称", "条目", "期间", "事项",
               "升级至"]
    frame = pd.DataFrame(rows, columns=columns)
    # Red first, then yellow, each by due date: what to chase comes first.
    rank = {LIGHT_LABELS["red"]: 0, LIGHT_LABELS["yellow"]: 1, LIGHT_LABELS["green"]: 2}
    if not frame.empty:
        frame = frame.assign(_r=frame["灯"].map(rank)).sort_values(["_r", "到期日", "区", "单位"], na_position="last")
        frame = frame.drop(columns="_r")
    return frame


def filings_frame(store: Store, snapshot: Snapshot, districts: list[str]) -> pd.DataFrame:
    wanted = set(districts)
    plan_district = {s.doc_key: s.district or "" for s in snapshot.statuses}
    numbers = {s.doc_key: s.doc_number or "" for s in snapshot.statuses}
    titles = {s.doc_key: s.title for s in snapshot.statuses}
    rows = [
        {
            "区": plan_district.get(f["doc_key"], ""), "单位": f["unit"], "报送日期": f["filed_on"],
            "类型": FILING_LABELS.get(f["kind"], f["kind"]), "发文字号": numbers.get(f["doc_key"], ""),
            "方案名称": titles.get(f["doc_key"], f["doc_key"]),
            "条目": f["item"], "期间": period_label(f["period"]), "备注": f["note"],
        }
        for f in unit_filings(store)
        if plan_district.get(f["doc_key"], "") in wanted
    ]
    return pd.DataFrame(rows, columns=["区", "单位", "报送日期", "类型", "发文字号", "方案名称", "条目", "期间",
                                       "备注"])


def _width(values: list[Any]) -> int:
    longest = 0
    for value in values:
        text = "" if value is None else str(value)
        longest = max(longest, sum(2 if ord(ch) > 0x2E80 else 1 for ch in text))
    return longest


def _plain_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """The frame's rows as plain Python values (None for missing), converted column by column."""
    columns = []
    for column in frame.columns:
        series = frame[column]
        values = series.astype(object).where(series.notna(), None).tolist()
        columns.append([_cell_value(v) for v in values] if series.dtype.kind in "iuf" else values)
    return [list(row) for row in zip(*columns, strict=True)] if columns else []


def _cell_value(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:  # NaN: an empty cell
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return value.item()
    return value


def _write_sheet(book: Any, formats: dict[str, Any], name: str, frame: pd.DataFrame,
                 colour_columns: tuple[str, ...]) -> None:
    """One sheet: frozen header, filter over the table, widths from the content, fills by
    light/status on the columns that carry them (one shared format per label)."""
    sheet = book.add_worksheet(name)
    sheet.freeze_panes(1, 0)
    columns = list(frame.columns)
    sheet.autofilter(0, 0, len(frame), max(0, len(columns) - 1))
    sample = frame.head(200)
    coloured: list[int] = []
    for index, column in enumerate(columns):
        fitted = max(_width([column]) + 2, min(_width(sample[column].tolist()) + 2, 40))
        sheet.set_column(index, index, WIDTHS.get(column, fitted))
        if column in colour_columns or (column.startswith("第") and column.endswith("项")):
            coloured.append(index)
    sheet.set_row(0, None, formats["header"])
    sheet.write_row(0, 0, columns, formats["header"])
    for number, row in enumerate(_plain_rows(frame), start=1):
        sheet.write_row(number, 0, row)
        for index in coloured:
            value = row[index]
            fill = formats.get(value) if isinstance(value, str) else None
            if fill is not None:
                sheet.write_string(number, index, value, fill)


def write_xlsx(store: Store, snapshot: Snapshot, path: str | Path, district: str | None = None) -> Path:
    """Write the four sheets to `path` (via a temporary file: nothing half-written)."""
    import xlsxwriter

    path = Path(path)
    districts = _district_filter(snapshot, district)
    frames = {
        "覆盖情况": (coverage_frame(snapshot, districts), ()),
        "检查问题": (findings_frame(store, snapshot, districts), ("级别",)),
        "责任单位待办": (duties_frame(snapshot, districts), ("灯",)),
        "报送记录": (filings_frame(store, snapshot, districts), ()),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.part{path.suffix}")
    # XlsxWriter rather than openpyxl: a city's ~150 000 cells in well under a second, where
    # openpyxl's cell objects took several. Texts stay texts (no formulas or links made of them).
    book = xlsxwriter.Workbook(str(tmp), {
        "default_date_format": "yyyy-mm-dd", "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False,
    })
    formats: dict[str, Any] = {
        label: book.add_format({"bg_color": "#" + colour, "pattern": 1}) for label, colour in LABEL_FILLS.items()
    }
    formats["header"] = book.add_format({"bold": True, "bg_color": "#" + HEADER_FILL, "pattern": 1,
                                         "text_wrap": True, "valign": "vcenter"})
    for name, (frame, colour) in frames.items():
        _write_sheet(book, formats, name, frame, colour)
    book.close()
    tmp.replace(path)
    return path
