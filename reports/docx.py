"""The 通报 the 政务公开办 sends, as a Word document: an overall paragraph, then one section per
district (coverage of the binding items, late unit plans, overdue duties by unit), then the
requirements and the issuer's signature. Laid out as an official document (GB/T 9704 margins,
仿宋 body, 黑体 headings), written as prose and small tables, not a data dump."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

from docx import Document as new_document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from reports.model import LATE_STATES, DistrictView, Snapshot, newest_district_plans

CN_NUMBERS = "一二三四五六七八九十"
ISSUER = "上海市人民政府办公厅政务公开办公室"


def _cn_ordinal(n: int) -> str:
    if n <= 10:
        return CN_NUMBERS[n - 1]
    if n < 20:
        return "十" + CN_NUMBERS[n - 11]
    tens, ones = divmod(n, 10)
    return CN_NUMBERS[tens - 1] + "十" + (CN_NUMBERS[ones - 1] if ones else "")


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _font(run: object, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)  # CJK text uses this one


def _style(doc: object) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    normal.font.name = "仿宋"
    normal.font.size = Pt(16)  # 三号
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋")
    normal.paragraph_format.line_spacing = Pt(28)
    for name, font in (("Heading 1", "黑体"), ("Heading 2", "楷体")):
        style = doc.styles[name]
        style.font.name = font
        style.font.size = Pt(16)
        style.font.bold = name == "Heading 2"
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


TABLE_HEADER, TABLE_BODY = "表头", "表格正文"


def _table_styles(doc: object) -> None:
    """Paragraph styles for table cells: 黑体 header, 仿宋 body, 小四 (12 pt), single spacing."""
    from docx.enum.style import WD_STYLE_TYPE

    for name, font in ((TABLE_HEADER, "黑体"), (TABLE_BODY, "仿宋")):
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles["Normal"]
        style.font.name = font
        style.font.size = Pt(12)
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
        style.paragraph_format.line_spacing = 1.0
        style.paragraph_format.first_line_indent = Pt(0)


def _para(doc: object, text: str, indent: bool = True) -> object:
    paragraph = doc.add_paragraph(text)
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(32)  # two characters
    return paragraph


def _list(names: list[str], limit: int = 12) -> str:
    shown = "、".join(names[:limit])
    return shown + (f"等{len(names)}家" if len(names) > limit else "")


def _district_section(doc: object, snapshot: Snapshot, view: DistrictView, number: int) -> None:
    doc.add_heading(f"（{_cn_ordinal(number)}）{view.name}", level=2)
    # The plans in force: a plan whose year has closed (宝山's 2023 要点 in a 2026 通报) is history,
    # as its duties are, and is named only when the district has nothing newer.
    current = [p for p in view.plans if not p.closed]
    district_plans = [p for p in current if p.level == "district"]
    unit_plans = [p for p in current if p.level == "unit"]
    if district_plans:
        names = "、".join(f"《{p.title}》（{p.doc_number or '无文号'}）" for p in district_plans[:3])
        text = f"{view.name}已入库区级方案{len(district_plans)}份：{names}"
        text += f"，单位年度计划{len(unit_plans)}份。" if unit_plans else "。"
    else:
        text = f"{view.name}尚无入库的{snapshot.as_of.year}年区级方案"
        earlier = [p for p in view.plans if p.closed and p.level == "district"]
        text += (f"（已入库的往年方案：{'、'.join(f'《{p.title}》' for p in earlier[:3])}，其年度已结束）。"
                 if earlier else "。")
    cov = view.coverage  # the newest plans in force (model.newest_district_plans)
    binding = cov["covered"] + cov["partial"] + cov["missing"]
    if binding:
        text += (f"对照上级文件，约束本区的条目共{binding}项，已覆盖{cov['covered']}项，部分覆盖{cov['partial']}项，"
                 f"缺失{cov['missing']}项。")
        missing = sorted({c["directive_item"] for p in newest_district_plans(view.plans) for c in p.coverage
                          if c["status"] == "missing"})
        if missing:
            text += f"缺失的是上级文件第{'、'.join(str(n) for n in missing)}项，请在方案修订或年中调整时补充。"
    elif district_plans:
        text += "方案尚无可对照的上级文件检查记录。"
    errors = sum(p.counts.get("error", 0) for p in current)
    if errors:
        text += (f"检查发现错误{errors}项、警告{sum(p.counts.get('warning', 0) for p in current)}项，"
                 "详见工作簿“检查问题”表。")
    _para(doc, text)

    statuses = [s for s in snapshot.district_statuses(view.name) if s.closed_on is None]
    plan_duties = [s for s in statuses if s.kind == "plan"]
    if plan_duties:
        late = sorted({s.unit for s in plan_duties if s.state in LATE_STATES})
        filed_late = sorted({s.unit for s in plan_duties if s.state == "done_late"})
        on_time = sum(1 for s in plan_duties if s.state == "done_on_time")
        text = f"单位年度计划应报送{len({s.unit for s in plan_duties})}家，按时报送{on_time}家"
        text += f"，逾期报送{len(filed_late)}家（{_list(filed_late)}）" if filed_late else ""
        text += f"，逾期未报送{len(late)}家：{_list(late)}。" if late else "，无逾期未报送。"
        _para(doc, text)

    overdue: dict[str, list] = defaultdict(list)
    for s in statuses:
        if s.state in LATE_STATES:
            overdue[s.unit].append(s)
    if not overdue:
        _para(doc, "截至评估日，本区没有逾期未办的责任事项。")
        return
    total = sum(len(v) for v in overdue.values())
    escalated = sum(1 for v in overdue.values() for s in v if s.state == "escalated")
    _para(doc, f"截至评估日，本区{len(overdue)}家单位有逾期未办事项{total}项，其中已升级督办{escalated}项，情况如下表。")
    rows = sorted(overdue.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    shown = rows[:30]
    # All rows at once, and fonts by paragraph style: a run-by-run font and add_row() per row
    # cost most of the time of a city's 通报.
    table = doc.add_table(rows=1 + len(shown), cols=4)
    table.style = "Table Grid"
    lines = [("单位", "逾期事项", "其中升级督办", "最早到期日")]
    for unit, items in shown:
        earliest = min((s.due for s in items if s.due), default=None)
        lines.append((unit, str(len(items)), str(sum(1 for s in items if s.state == "escalated")),
                      earliest.isoformat() if earliest else "—"))
    styles = {name: doc.styles[name].style_id for name in (TABLE_HEADER, TABLE_BODY)}
    for index, (row, values) in enumerate(zip(table.rows, lines, strict=True)):
        for cell, text in zip(row.cells, values, strict=True):
            paragraph = cell.paragraphs[0]
            # The style id straight into <w:pStyle>: python-docx's `paragraph.style = …` looks the
            # style up among all styles on every call.
            paragraph._p.style = styles[TABLE_HEADER if index == 0 else TABLE_BODY]
            paragraph.add_run(text)
    if len(rows) > 30:
        _para(doc, f"另有{len(rows) - 30}家单位有逾期事项，详见工作簿“责任单位待办”表。")


def build_docx(snapshot: Snapshot, district: str | None = None) -> object:
    doc = new_document()
    _style(doc)
    _table_styles(doc)
    districts = [d for d in snapshot.districts if district is None or d.name == district]
    year = snapshot.as_of.year
    header = doc.add_paragraph()
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(header.add_run(ISSUER), "宋体", 26, bold=True)
    header.runs[0].font.color.rgb = RGBColor(0xC0, 0, 0)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    scope = district or "各区"
    _font(title.add_run(f"关于{year}年{scope}政务公开工作方案落实情况的通报"), "宋体", 22, bold=True)
    _para(doc, "区政府各委、办、局，各街道办事处、镇政府：" if district else "各区人民政府办公室：", indent=False)
    _para(doc, f"为推动政务公开工作要点落到实处，现将截至{_cn_date(snapshot.as_of)}{scope}政务公开工作方案的"
               "制定、任务分解和责任落实情况通报如下。")

    doc.add_heading("一、总体情况", level=1)
    current = [p for d in districts for p in d.current_plans]  # as `_district_section` counts them
    cov = {k: sum(d.coverage[k] for d in districts) for k in ("covered", "partial", "missing")}
    late = sum(d.late for d in districts)
    escalated = sum(d.counts.get("escalated", 0) for d in districts)
    reds = [d.name for d in districts if d.light == "red"]
    without = [d.name for d in districts if not d.has_current_district_plan]
    text = (f"本次共检查{len(districts)}个区在办的方案{len(current)}份。区级方案对上级约束条目已覆盖{cov['covered']}项、"
            f"部分覆盖{cov['partial']}项、缺失{cov['missing']}项。各单位逾期未办事项共{late}项，其中已升级督办{escalated}项。")
    text += f"亮红灯的有：{'、'.join(reds)}。" if reds else "没有亮红灯的区。"
    if without:
        text += f"尚无入库的{year}年区级方案的有：{'、'.join(without)}。"
    _para(doc, text)

    doc.add_heading("二、各区情况", level=1)
    for number, view in enumerate(districts, start=1):
        _district_section(doc, snapshot, view, number)

    doc.add_heading("三、工作要求", level=1)
    _para(doc, "请各区对照本通报，督促逾期未报送年度计划和季度报告的单位于10个工作日内补报；对缺失和部分覆盖的上级"
               "条目，在方案调整时予以补充并明确责任单位和完成时限；已升级督办的事项，由区政府办公室政务公开科跟踪办结。")
    signature = doc.add_paragraph()
    signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    signature.add_run(f"{ISSUER}\n{_cn_date(snapshot.as_of)}")
    return doc


def write_docx(snapshot: Snapshot, path: str | Path, district: str | None = None) -> Path:
    path = Path(path)
    doc = build_docx(snapshot, district)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.part{path.suffix}")
    doc.save(str(tmp))
    tmp.replace(path)
    return path
