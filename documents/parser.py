"""Clean text → Document: header, outline, items, units, deadlines, quantities, task tables."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

from documents.deadlines import YEAR_WIDE, deadline_from_phrase, find_deadlines, one_per_frequency
from documents.header import Header, is_office_line, parse_header, squash_spaces
from documents.model import Deadline, Document, DocumentError, Item, Note, SubRow, UnitMention
from documents.quantities import find_quantities
from documents.reader import SourceText, read_bytes, read_document
from documents.tables import (
    SECTION,
    SUBSECTION,
    TableRow,
    is_header_line,
    parse_task_table,
    unflatten_pipe_tables,
    unit_column,
)
from documents.text import rejoin_wrapped_lines
from documents.units import find_unit_clauses, is_unit_sentence, parse_unit_phrase, split_deadline
from workdays.calendar import default_calendar, package_covers

ITEM_START = re.compile(r"^(\d{1,3})\s*[.、]\s*(.*)$")
# A web copy drops the dot: `3落实本市…` (never a quantity: 3月, 30天, 5个, 2家 …).
ITEM_START_NO_DOT = re.compile(r"^(\d{1,2})(?![\d年月日号个次项家条天周类所%])([\u4e00-\u9fff].*)$")
# Items numbered （1）(1) 1） ⑴ ①: read only when a document has no 1. items (elsewhere they number
# the sub-tasks inside an item).
ITEM_START_BRACKETED = re.compile(r"^(?:[（(](\d{1,3})[）)]|(?<![（(])(\d{1,2})[）)]|([⑴-⒇①-⑳]))\s*(.*)$")
TABLE_TITLE = re.compile(r"(任务分解表|责任分解表|任务清单|分工表)")
BODY_END = re.compile(r"^(附件[：:]|附件$|抄送[：:]|（此件)")
SENTENCE_END = ("。", "）", "；", "！", "？", "”")
# A paragraph of units or deadline standing under its item (责任单位：… 完成时限：…).
LABEL_PARAGRAPH = re.compile(
    r"^(?:责任单位|牵头单位|配合单位|主责单位|责任部门|牵头部门|配合部门|责任处室|责任科室|牵头处室|配合处室|"
    r"完成时限|完成时间|时限要求)："
)


def parse_file(path: str | Path) -> Document:
    """Read and parse a document file; raises DocumentError naming the file."""
    return parse_source(read_document(path))


def parse_bytes(data: bytes, name: str) -> Document:
    return parse_source(read_bytes(data, name))


def parse_source(source: SourceText) -> Document:
    lines = unflatten_pipe_tables([line.strip() for line in source.text.splitlines()])
    if not any(lines):
        raise DocumentError(source.path, "文件为空 (empty document)")
    header = parse_header(lines)
    year = header.year or (header.issue_date.year if header.issue_date else None)
    table_start = _table_start(lines, header.body_start)
    body_lines = lines[header.body_start : table_start]
    parse_warnings: list[str] = []
    body_items = _parse_running_text(body_lines, year, header.issue_date, parse_warnings)
    table_lines = lines[table_start:]
    table_rows = parse_task_table(table_lines[: _signature_start(table_lines)]) if table_lines else []
    table_items = [_item_from_row(row, year, header.issue_date) for row in table_rows]

    if body_items and table_items:
        layout = "body_and_table"
        items = _merge(body_items, table_items)
    elif table_items:
        layout = "task_table"
        items = table_items
    else:
        layout = "running_text"
        items = body_items
    if not items:
        raise DocumentError(source.path, "未找到编号条目 (no numbered items found)")
    _check_complete(source.path, items, layout)
    _check_numbering(source.path, items)

    normalized = "\n".join(lines)
    return Document(
        title=header.title or "",
        year=year,
        items=items,
        doc_number=header.doc_number,
        issuer=header.issuer,
        issue_date=header.issue_date,
        addressees=header.addressees,
        level=header.level,  # type: ignore[arg-type]
        place=header.place,
        kind=header.kind,
        parent_title=header.parent_title,
        parent_doc_number=header.parent_doc_number,
        draft=header.draft,
        layout=layout,
        source_path=source.path,
        source_format=source.format,
        encoding=source.encoding,
        traditional=source.traditional,
        content_hash=hashlib.sha256(normalized.encode("utf-8")).hexdigest(),
        warnings=_header_warnings(header) + parse_warnings + _calendar_warnings(items),
    )


def _calendar_warnings(items: list[Item]) -> list[str]:
    """Working-day deadlines in a year the official calendar does not know are counted Mon–Fri
    unless a holiday file covers it: say so on the document, not only in the log."""
    calendar = default_calendar()
    years = {
        d.due.year
        for item in items
        for d in item.deadlines
        if d.working_days and d.due and not package_covers(d.due.year) and d.due.year not in calendar.file_years
    }
    return [f"{y}年的工作日按周一至周五计算（官方节假日日历未覆盖该年，且未提供节假日文件 GONGKAI_HOLIDAYS）" for y in sorted(years)]


def _header_warnings(header: Header) -> list[str]:
    warnings = []
    if not header.doc_number:
        warnings.append("未找到发文字号")
    if not header.issue_date:
        warnings.append("未找到成文日期")
    if not header.year:
        warnings.append("未能确定方案年度")
    return warnings


def _table_start(lines: list[str], body_start: int) -> int:
    """Index of the first line of a task table (its header row), or len(lines)."""
    for i in range(body_start, len(lines)):
        line = lines[i]
        if line == "序号":
            # A web copy puts each header cell on its own line: 序号 / 工作任务 / 责任单位 / 完成时限.
            following = " ".join(x for x in lines[i + 1 : i + 8] if x and is_header_line(x))
            line = f"序号 {following}"
        if "序号" in line and (
            "责任单位" in line or "任务" in line or "工作重点" in line or any(unit_column(c) for c in line.split())
        ):
            # the table title (and 领域 header cell) just above belong to the table too
            j = i
            while j > body_start and (not lines[j - 1] or lines[j - 1] in {"领域", "附件"}):
                j -= 1
            return j
    return len(lines)


# The date under a signature: 2025年6月10日, 2025年5月 (a draft's), 2025610 (digits that lost 年月日).
SIGNATURE_DATE = re.compile(r"^(?:\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{4}\.\d{1,2}\.\d{1,2}|20\d{5,6})$")


def _signature_start(lines: list[str]) -> int:
    """Where the signature (the office, then the date) closing a document stands after its last
    table row, or len(lines): a table's last cells must not take it in."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if len(filled) >= 2 and SIGNATURE_DATE.match(lines[filled[-1]].replace(" ", "")):
        if is_office_line(lines[filled[-2]]):
            return filled[-2]
    return len(lines)


def _parse_running_text(
    lines: list[str], year: int | None, issued: date | None, warnings: list[str] | None = None
) -> list[Item]:
    """Items of running text. Numbering that restarts in each section (一、1. 2. 二、1. 2.) is
    continued across the document; any other numbered paragraph out of sequence is reported."""
    warnings = warnings if warnings is not None else []
    for item_start in (ITEM_START, ITEM_START_BRACKETED):
        found: list[str] = []
        items = _numbered_items(lines, year, issued, found, item_start)
        if items:
            warnings.extend(found)
            return items
    return _items_from_headings(_body_paragraphs(lines), year, issued, warnings)


def _body_paragraphs(lines: list[str]) -> list[str]:
    # Stop at the attachment / copy-to block and at the table title line.
    end = len(lines)
    for i, line in enumerate(lines):
        if i > 0 and (BODY_END.match(line) or _is_table_title(line)):
            end = i
            break
    return _attach_label_paragraphs(rejoin_wrapped_lines(lines[:end]))


def _numbered_items(
    lines: list[str], year: int | None, issued: date | None, warnings: list[str], item_start: re.Pattern[str]
) -> list[Item]:
    paragraphs = _body_paragraphs(lines)
    items: list[Item] = []
    section: list[str] = []
    section_of_last_item: list[str] = []
    restarts = False
    last_raw: str | None = None  # the text of the last item, while paragraphs may still continue it
    for para in paragraphs:
        para = para.strip()
        if not para:
            continue
        if item_start is ITEM_START and last_raw is not None and ITEM_START_BRACKETED.match(para):
            # a sub-task numbered （1）/1）/① on its own line continues the item above it
            last = items[-1]
            last_raw = f"{last_raw}{para}"
            items[-1] = _item_from_text(last.number, last.section_path, last_raw, year, issued)
            items[-1].notes = last.notes
            continue
        last_raw = None
        m = _item_number(item_start, para)
        if m is None and item_start is ITEM_START:
            bare = ITEM_START_NO_DOT.match(para)
            expected = items[-1].number + 1 if items else 1
            if bare and (int(bare.group(1)) == expected or (int(bare.group(1)) == 1 and restarts)):
                m = bare
        if m:
            written = int(m.group(1))
            number = written
            if written == 1 and items and section != section_of_last_item:
                restarts = True  # numbering starts again in each section
            if restarts:
                number = items[-1].number + 1 if items else 1
            if _plausible_number(number, items):
                item = _item_from_text(number, list(section), m.group(2), year, issued)
                if number != written:
                    item.notes.append(Note(kind="renumbered", message=f"原文本节编号为{written}，按全文顺序记为第{number}项"))
                items.append(item)
                section_of_last_item = list(section)
                last_raw = m.group(2)
                continue
            if len(para) > 20:
                warnings.append(f"编号“{written}”的段落与前后编号不连续，未作为条目读取：{para[:20]}…")
        if SECTION.match(para) and len(para) < 60:
            section = [squash_spaces(para)]
            continue
        if SUBSECTION.match(para) and len(para) < 60:
            section = section[:1] + [squash_spaces(para)]
            continue
    return items


class _Numbered:
    """An item's number and text, as `ITEM_START` matches give them (group 1, group 2)."""

    def __init__(self, number: int, text: str) -> None:
        self._groups = (str(number), text)

    def group(self, k: int) -> str:
        return self._groups[k - 1]


def _item_number(item_start: re.Pattern[str], para: str) -> re.Match[str] | _Numbered | None:
    m = item_start.match(para)
    if m is None or item_start is not ITEM_START_BRACKETED:
        return m
    # （1）/(1), 1）/1) or a single character ⑴…⒇ / ①…⑳
    if m.group(3):
        ch = ord(m.group(3))
        number = ch - 0x2474 + 1 if ch >= 0x2474 else ch - 0x2460 + 1
    else:
        number = int(m.group(1) or m.group(2))
    return _Numbered(number, m.group(4))


def _is_table_title(line: str) -> bool:
    """The title line of a task table below the body; a sentence citing one (根据《…任务清单》要求，…)
    is not: the title must stand outside 《》 and not close a sentence."""
    bare = re.sub(r"《[^》]*》", "", line)
    return len(line) < 60 and bool(TABLE_TITLE.search(bare)) and not line.endswith(("。", "；", "，"))


def _attach_label_paragraphs(paragraphs: list[str]) -> list[str]:
    """Units and deadlines written on lines of their own join their item as one bracket."""
    out: list[str] = []
    for para in paragraphs:
        para = para.strip()
        if out and LABEL_PARAGRAPH.match(para) and not (SECTION.match(out[-1]) or SUBSECTION.match(out[-1])):
            out[-1] = f"{out[-1]}（{para.rstrip('。；')}）"
        elif out and _is_item_start(out[-1]) and len(para) < 80 and is_unit_sentence(para):
            # names with role verbs on a line of their own under the item (区数据局牵头，各街道配合。)
            out[-1] = f"{out[-1]}（{para.rstrip('。；.')}）"
        else:
            out.append(para)
    return out


def _is_item_start(para: str) -> bool:
    return bool(ITEM_START.match(para) or ITEM_START_BRACKETED.match(para) or ITEM_START_NO_DOT.match(para))


def _items_from_headings(
    paragraphs: list[str], year: int | None, issued: date | None, warnings: list[str]
) -> list[Item]:
    """Plans without Arabic-numbered items, whose tasks are the （一）（二）… headings under each
    一、 section. Each heading is an item, numbered in order; a bare heading title takes the
    paragraphs under it, a heading that is itself a full task stands alone."""
    paragraphs = [p.strip() for p in paragraphs if p.strip()]
    if sum(1 for p in paragraphs if SUBSECTION.match(p)) < 2:
        return []
    items: list[Item] = []
    section: list[str] = []
    current: list[str] | None = None
    current_section: list[str] = []

    def close() -> None:
        if current:
            items.append(_item_from_text(len(items) + 1, current_section, "".join(current), year, issued))

    for para in paragraphs:
        if SECTION.match(para) and len(para) < 60:
            close()
            current = None
            section = [squash_spaces(para)]
            continue
        m = SUBSECTION.match(para)
        if m:
            close()
            current = [para[m.end() :].strip()]
            current_section = list(section)
            continue
        if current is not None and "。" not in current[0] and len(current) == 1:
            current.append(para)  # a bare heading: its task is the paragraph below it
        elif current is not None:
            close()
            current = None
    close()
    if items:
        warnings.append(f"未找到阿拉伯数字编号的条目，按“（一）”层级读取为{len(items)}项")
    return items


def _plausible_number(number: int, items: list[Item]) -> bool:
    expected = items[-1].number + 1 if items else 1
    # a number may be skipped by a lost line, never repeated or far ahead
    return expected <= number <= expected + 2


def _item_from_text(number: int, section: list[str], raw: str, year: int | None, issued: date | None) -> Item:
    original = raw.strip()
    text = squash_spaces(original)
    clauses, body = find_unit_clauses(text)
    units: list[UnitMention] = []
    clause_deadlines: list[Deadline] = []
    for clause in clauses:
        units = _dedupe_units(units + parse_unit_phrase(clause, source="body"))
        for phrase in split_deadline(clause)[1]:
            found = deadline_from_phrase(phrase, year, issued, source="body") if year else None
            if found and not any(found.phrase == d.phrase and found.due == d.due for d in clause_deadlines):
                clause_deadlines.append(found)
    deadlines = find_deadlines(body, year or 0, issued, source="body") if year else []
    deadlines += [d for d in clause_deadlines if not any(d.phrase == x.phrase and d.due == x.due for x in deadlines)]
    deadlines = one_per_frequency(deadlines)
    return Item(
        number=number,
        section_path=section,
        text=body,
        original_text=original,
        title=_lead_sentence(body),
        units=units,
        deadlines=deadlines,
        quantities=find_quantities(body),
        sources=["body"],
    )


def _lead_sentence(text: str) -> str:
    head = text.split("。", 1)[0]
    return head if len(head) <= 30 and len(head) < len(text) else ""


def _cell_deadlines(cell: str, year: int, issued: date | None) -> list[Deadline]:
    """The deadlines of a 完成时限 cell: one, or one per clause when the cell sets several
    (`2025年3月底前公布名录，监测信息每日公开`)."""
    found = [deadline_from_phrase(part, year, issued, source="table") for part in re.split(r"[，；]", cell)]
    several = [d for d in found if d]
    if len(several) > 1:
        return several
    d = deadline_from_phrase(cell, year, issued, source="table")
    return [d] if d else []


def _item_from_row(row: TableRow, year: int | None, issued: date | None) -> Item:
    sub_rows = []
    for chunk in row.chunks:
        deadlines = []
        if chunk.deadline and year:
            deadlines = _cell_deadlines(chunk.deadline, year, issued)
        sub_rows.append(
            SubRow(text=chunk.content, units=parse_unit_phrase(chunk.units, source="table"), deadlines=deadlines)
        )
    text = "".join(s.text for s in sub_rows)
    units = _dedupe_units([u for s in sub_rows for u in s.units])
    deadlines = [d for s in sub_rows for d in s.deadlines]
    # deadlines written inside the task text (每季度报送 …) count too
    if year:
        for d in find_deadlines(text, year, issued, source="table"):
            if not any(d.phrase == x.phrase and d.due == x.due for x in deadlines):
                deadlines.append(d)
    deadlines = one_per_frequency(deadlines)
    return Item(
        number=row.number,
        section_path=[squash_spaces(s) for s in row.section_path],
        text=text,
        original_text=text,
        units=units,
        deadlines=deadlines,
        quantities=find_quantities(text),
        sub_rows=sub_rows if len(sub_rows) > 1 or (sub_rows and sub_rows[0].deadlines) else sub_rows,
        sources=["table"],
    )


def _dedupe_units(units: list[UnitMention]) -> list[UnitMention]:
    seen: set[tuple[str, str]] = set()
    out = []
    for u in units:
        key = (u.canonical, u.role)
        if key not in seen:
            seen.add(key)
            out.append(u)
    return out


def _merge(body_items: list[Item], table_items: list[Item]) -> list[Item]:
    """Body items take their table row's sub-rows and deadlines; disagreements become notes."""
    by_number = {t.number: t for t in table_items}
    merged = []
    for item in body_items:
        row = by_number.pop(item.number, None)
        if row is None:
            merged.append(item)
            continue
        item.sub_rows = row.sub_rows
        title = item.title.rstrip("。")
        if title and item.sub_rows and item.sub_rows[0].text.startswith(title):
            # the table's 工作重点 column repeats the body's lead sentence
            item.sub_rows[0].text = item.sub_rows[0].text[len(title) :].lstrip("。")
        item.sources = ["body", "table"]
        body_deadlines = list(item.deadlines)
        table_deadlines = [d for s in row.sub_rows for d in s.deadlines]
        item.deadlines = one_per_frequency(body_deadlines + table_deadlines)
        if not item.units:
            item.units = row.units
        item.notes.extend(_disagreements(item, body_deadlines, table_deadlines, row.units))
        merged.append(item)
    # rows the body does not have are items of their own
    merged.extend(by_number.values())
    merged.sort(key=lambda it: it.number)
    return merged


def _specific_dates(deadlines: list[Deadline]) -> dict:
    return {
        d.due: d.phrase
        for d in deadlines
        if d.due and d.kind in ("absolute", "relative") and d.phrase not in YEAR_WIDE
    }


def _disagreements(
    item: Item, body: list[Deadline], table: list[Deadline], table_units: list[UnitMention]
) -> list[Note]:
    notes = []
    body_dates = _specific_dates(body)
    table_dates = _specific_dates(table)
    # Both parts fix a specific date for the item and none of them agree: a real conflict.
    if body_dates and table_dates and not set(body_dates) & set(table_dates):
        notes.append(
            Note(
                kind="deadline_conflict",
                message=(
                    f"第{item.number}项正文时限“{'、'.join(body_dates.values())}”"
                    f"与任务分解表时限“{'、'.join(table_dates.values())}”不一致"
                ),
                body=[{"phrase": p, "due": d.isoformat()} for d, p in body_dates.items()],
                table=[{"phrase": p, "due": d.isoformat()} for d, p in table_dates.items()],
            )
        )
    named_body = {u.canonical for u in item.units if not u.collective}
    named_table = {u.canonical for u in table_units if not u.collective}
    if named_body and named_table and named_body != named_table:
        notes.append(
            Note(
                kind="unit_conflict",
                message=f"第{item.number}项正文与任务分解表的责任单位不一致",
                body=sorted(named_body - named_table),
                table=sorted(named_table - named_body),
            )
        )
    return notes


def _check_complete(path: str, items: list[Item], layout: str) -> None:
    """A document cut short ends inside its last item: refuse it rather than store half."""
    last = items[-1]
    if layout == "task_table":
        if not last.sub_rows or not any(s.deadlines or s.units for s in last.sub_rows):
            raise DocumentError(path, f"文件不完整：第{last.number}项表格行缺少责任单位和完成时限 (truncated?)")
        return
    if "body" in last.sources and not last.units and not last.original_text.rstrip().endswith(SENTENCE_END):
        raise DocumentError(path, f"文件不完整：第{last.number}项在句中结束 (document appears truncated)")


def _check_numbering(path: str, items: list[Item]) -> None:
    numbers = [i.number for i in items]
    if numbers[0] != 1 and len(numbers) < 3:
        raise DocumentError(path, f"条目编号不从1开始：{numbers[:5]} (item numbering does not start at 1)")
