"""Task tables (任务分解表) as PDF extraction leaves them: cells wrapped over lines and pages.

A table row starts with its number; its cells follow in column order (content, units,
deadline), each possibly wrapped over several lines, and a row may hold several sub-rows,
each closed by its own deadline cell. Rows continue across page breaks, and the content
cell of a row can even continue after the right-hand cells on the next page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from documents.text import HEADER_WORDS, cjk_count

SECTION = re.compile(r"^([一二三四五六七八九十]+)、")
SUBSECTION = re.compile(r"^（([一二三四五六七八九十]+)）")
ROW_START = re.compile(r"^(\d{1,3})(?:\s+(.*))?$")
LABELLED_ROW = re.compile(r"^([一二三四五六七八九十]+、\S{1,40})\s+(\d{1,3})\s+\S")
DEADLINE_CELL = re.compile(
    r"^(全年|年内|年底前?|上半年|下半年|长期|持续|每季度|每月|每年|次年\S{0,8}|"
    r"\d{1,2}月(?:\d{1,2}日)?(?:底|中旬|上旬|下旬|末)?前?)$"
)
ROLE_LABEL = re.compile(r"(牵头单位|责任单位|配合单位|主责单位)：")
UNIT_PIECE = re.compile(
    r"^(?:区|市|各|相关|园区|重大|宝山|长宁|静安|浦东)|"
    r"(?:局|委|办|室|厅|处|科|股|所|站|院|队|关|镇|乡|街道|街镇|园区|部门|单位|支队|政府|中心|管委会|执委会|嘎查|村|社区|等)$"
)


@dataclass
class TableChunk:
    """One sub-row: its content, units and deadline cells as raw text."""

    content: str = ""
    units: str = ""
    deadline: str = ""


@dataclass
class TableRow:
    number: int
    section_path: list[str]
    chunks: list[TableChunk] = field(default_factory=list)


def is_header_line(line: str) -> bool:
    words = line.split()
    return bool(words) and all(w in HEADER_WORDS for w in words)


def looks_like_units(text: str) -> bool:
    """True when every piece of `text` (split on list punctuation) looks like an office name."""
    text = ROLE_LABEL.sub("", text).strip("、，；")
    if not text:
        return False
    pieces = [p for p in re.split(r"[、，；]", text) if p]
    for piece in pieces:
        piece = re.sub(r"(牵头|落实|配合|负责)$", "", piece)
        if not piece:
            continue
        if len(piece) > 24 or "。" in piece or not UNIT_PIECE.search(piece):
            return False
    return True


def _split_cells(line: str) -> list[str]:
    return [c for c in re.split(r"\s+", line) if c]


# Columns of a table whose header cells stand one per line: what each column holds.
CONTENT_COLUMNS = frozenset(
    {"工作任务", "任务内容", "具体要求", "工作内容", "主要任务", "重点任务", "工作措施", "具体措施", "具体内容",
     "目标任务", "工作重点", "主要内容", "工作要求", "任务"}
)  # fmt: skip
UNIT_COLUMNS = {
    "责任单位": "责任单位", "责任部门": "责任单位", "责任处室": "责任单位", "责任科室": "责任单位",
    "责任股室": "责任单位", "牵头单位": "牵头单位", "牵头部门": "牵头单位", "牵头处室": "牵头单位",
    "牵头科室": "牵头单位", "配合单位": "配合单位", "配合部门": "配合单位", "配合处室": "配合单位",
    "配合科室": "配合单位",
}  # fmt: skip
DEADLINE_COLUMNS = frozenset({"完成时限", "完成时间", "时限要求", "完成期限", "时间节点"})
# A column of unit cells under any office word: 责任办站所, 牵头股室, 责任单位（牵头、配合）.
_UNIT_COLUMN = re.compile(r"^(责任|牵头|配合|主责|协办)(?:单位|部门|处室|科室|股室|办站所|站所|办所|科所|机构)(?:[（(][^）)]{1,8}[）)])?$")
_UNIT_COLUMN_LABEL = {"责任": "责任单位", "主责": "责任单位", "牵头": "牵头单位", "配合": "配合单位", "协办": "配合单位"}
# A column naming the group a row belongs to, printed on the group's first row only.
LABEL_COLUMNS = frozenset({"领域", "类别", "工作类别", "重点领域", "板块", "方面"})


def unit_column(cell: str) -> str | None:
    """The label (责任单位/牵头单位/配合单位) of a unit column's header cell, or None."""
    if cell in UNIT_COLUMNS:
        return UNIT_COLUMNS[cell]
    m = _UNIT_COLUMN.match(cell)
    return _UNIT_COLUMN_LABEL[m.group(1)] if m else None


def _known_column(cell: str) -> bool:
    return cell in CONTENT_COLUMNS or unit_column(cell) is not None or cell in DEADLINE_COLUMNS


def _cell_table(lines: list[str]) -> list[TableRow] | None:
    """A table copied from a web page with every cell on its own line, header included
    (序号 / 工作任务 / 具体要求 / 牵头单位 / 配合单位 / 完成时限): cells are read by their column.
    None when the lines do not fit that shape (cells wrapped over lines …): the caller then reads
    the table by the shape of its cells instead."""
    rest = [x.strip() for x in lines if x.strip()]
    while rest and rest[0] != "序号":
        if len(rest[0]) > 60 or ROW_START.match(rest[0]):
            return None
        rest = rest[1:]
    columns: list[str] = []
    for cell in rest[1:]:
        if _known_column(cell):
            columns.append(cell)
        else:
            break
    if not columns or not any(unit_column(c) for c in columns) or not any(c in CONTENT_COLUMNS for c in columns):
        return None
    body = rest[1 + len(columns) :]
    rows: list[TableRow] = []
    section: list[str] = []
    cells: list[str] | None = None
    above: list[str] = []  # the task cells of the row above

    def close() -> bool:
        nonlocal above
        if cells is None:
            return True
        n_content = sum(1 for c in columns if c in CONTENT_COLUMNS)
        missing = len(columns) - len(cells)
        unit_like = bool(cells) and (looks_like_units(cells[-1]) or cells[-1].startswith(("各", "相关", "有关")))
        if missing == 1 and columns[-1] in DEADLINE_COLUMNS and unit_like:
            cells.append("")  # an empty deadline cell: the row ends with its units
        elif 0 < missing < n_content and len(above) == n_content:
            # A merged (rowspan) task cell stands only on its first row: the cells above continue.
            cells[:0] = above[:missing]
        if len(cells) == len(columns):
            above = cells[:n_content]
        assigned = _assign_cells(cells, columns)
        if assigned is None:
            return False
        content, units, deadline = assigned
        rows[-1].chunks = [TableChunk(content=content, units=units, deadline=deadline)]
        return True

    for line in body:
        expected = rows[-1].number + 1 if rows else 1
        if re.fullmatch(r"\d{1,3}", line) and int(line) == expected:
            if not close():
                return None
            rows.append(TableRow(number=expected, section_path=list(section)))
            cells = []
        elif SECTION.match(line) and not line.endswith("。") and len(line) < 40:
            if not close():
                return None
            cells = None
            section = [line]
        elif cells is not None:
            cells.append(line)
        else:
            return None
    if not close():
        return None
    return rows or None


# A longer deadline cell still sets times: `2025年3月底前公布名录，监测信息每日公开` (two deadlines).
_DEADLINE_WORD = re.compile(r"\d{1,2}月|每[日天周月季年半学]|按[日周月季年]|全年|年底|年内|\d+个?(?:工作)?日内|次年")


def _holds_deadlines(cell: str) -> bool:
    return len(cell) <= 40 and "。" not in cell.rstrip("。") and bool(_DEADLINE_WORD.search(cell))


def _assign_cells(cells: list[str], columns: list[str]) -> tuple[str, str, str] | None:
    """(content, labelled units, deadline) of one row's cells. Task cells may wrap over lines:
    the unit and deadline cells are taken from the end, one line each, the task cells get the rest
    (with two task columns, the first — a short heading — gets the first line)."""
    if len(cells) < len(columns):
        return None
    tail_columns = [c for c in columns if c not in CONTENT_COLUMNS]
    content_columns = [c for c in columns if c in CONTENT_COLUMNS]
    if columns[: len(content_columns)] != content_columns:
        return None  # task columns after unit columns: not this shape
    tail = cells[len(cells) - len(tail_columns) :] if tail_columns else []
    head = cells[: len(cells) - len(tail_columns)]
    units, deadline = [], ""
    for cell, col in zip(tail, tail_columns, strict=True):
        if col in DEADLINE_COLUMNS:
            if not DEADLINE_CELL.match(cell) and cjk_count(cell) > 12 and not _holds_deadlines(cell):
                return None
            deadline = cell
        elif cell not in ("/", "-", "—", "无"):
            if not looks_like_units(cell) and not cell.startswith(("各", "相关", "有关")):
                return None
            units.append(f"{unit_column(col)}：{cell}")
    if len(content_columns) > 1 and len(head) > len(content_columns):
        parts = head[: len(content_columns) - 1] + [_join(head[len(content_columns) - 1 :])]
    else:
        parts = [_join(head)] if len(content_columns) == 1 else head
    text = "。".join(p.rstrip("。") for p in parts) + "。"
    return text, "；".join(units), deadline


def _row_table(lines: list[str]) -> list[TableRow] | None:
    """A table copied from a word processor with one row per line, its cells separated by tabs
    (read as spaces): `序号 工作任务 具体要求 责任股室 时限要求` / `1 … … … …`. Cells are read by
    their column, units and deadline from the right. A row with fewer cells left its first task
    cell empty (merged with the row above, `3 (empty) 公开… 计划财务股 持续推进`): the task
    cell above stands for it. None when the lines do not fit that shape."""
    rest = [x.strip() for x in lines if x.strip()]
    while rest and not rest[0].startswith("序号"):
        if len(rest[0]) > 60 or ROW_START.match(rest[0]):
            return None
        rest = rest[1:]
    if not rest:
        return None
    columns = rest[0].split()[1:]
    EMPTY_CELLS = frozenset({"/", "-", "—", "无", ""})
# A group column (领域) after 序号: its cell names the section of the rows below it.
    label_column = bool(columns) and columns[0] in LABEL_COLUMNS
    if label_column:
        columns = columns[1:]
    known = all(_known_column(c) for c in columns)
    if len(columns) < 2 or not known or not any(unit_column(c) for c in columns):
        return None
    content_columns = [c for c in columns if c in CONTENT_COLUMNS]
    tail_columns = columns[len(content_columns) :]
    if not content_columns or columns[: len(content_columns)] != content_columns or any(
        c in CONTENT_COLUMNS for c in tail_columns
    ):
        return None
    rows: list[TableRow] = []
    section: list[str] = []
    above: list[str] = []  # the content cells of the row above
    for line in rest[1:]:
        expected = rows[-1].number + 1 if rows else 1
        m = ROW_START.match(line)
        if m and int(m.group(1)) == expected and m.group(2):
            cells = m.group(2).split()
            if label_column:
                if len(cells) > len(columns):
                    label, cells = cells[0], cells[1:]
                    if label not in EMPTY_CELLS:
                        section = [label]
            if len(cells) > len(columns) or len(cells) <= len(tail_columns):
                return None
            tail = cells[len(cells) - len(tail_columns) :]
            head = cells[: len(cells) - len(tail_columns)]
            if len(head) < len(content_columns):
                if len(above) != len(content_columns):
                    return None
                head = above[: len(content_columns) - len(head)] + head
            # an empty task cell (merged with the row above) continues the task above
            head = [above[k] if c in EMPTY_CELLS and k < len(above) else c for k, c in enumerate(head)]
            above = head
            units, deadline = [], ""
            for cell, col in zip(tail, tail_columns, strict=True):
                if col in DEADLINE_COLUMNS:
                    deadline = "" if cell in EMPTY_CELLS else cell
                elif cell not in EMPTY_CELLS:
                    if "。" in cell or len(cell) > 60:
                        return None
                    units.append(f"{unit_column(col)}：{cell}")
            text = "。".join(p.rstrip("。") for p in head) + "。"
            row = TableRow(number=expected, section_path=list(section))
            row.chunks = [TableChunk(content=text, units="；".join(units), deadline=deadline)]
            rows.append(row)
        elif SECTION.match(line) and not line.endswith("。") and len(line) < 40:
            section = [line]
        else:
            return None
    return rows or None


PIPE = re.compile(r"\s*[|｜]\s*")
ITEM_CELL = re.compile(r"^\d{1,3}[.、]")


def _pipe_cells(line: str) -> list[str] | None:
    """The cells of a table row flattened with `|` separators (web copies), or None."""
    if "|" not in line and "｜" not in line:
        return None
    cells = PIPE.split(line.strip())
    if cells and not cells[-1]:
        cells = cells[:-1]  # the closing separator
    if cells and not cells[0]:
        cells = cells[1:]  # an opening one
    return cells or None


LONE_SEPARATOR = re.compile(r"^[|｜]$")


def _drop_separator_lines(lines: list[str]) -> list[str]:
    """A web table copied one cell a line with a `|` line after every cell (`序号` / `|` / `工作任务`
    / `|` …) is a table one cell a line: the separator lines go. A single `|` line is kept."""
    if sum(1 for line in lines if LONE_SEPARATOR.match(line.strip())) < 3:
        return lines
    return [line for line in lines if not LONE_SEPARATOR.match(line.strip())]


def unflatten_pipe_tables(lines: list[str]) -> list[str]:
    """A table a web page flattened into lines with ` | ` between cells (header row of known column
    names, then one row a line, the task cell of a group only on its first row) becomes the lines
    the reader knows: with a 序号 column, one cell per line; without one (items numbered inside a
    具体要求 cell), running text: section and （一） task cells as headings, each numbered cell as an
    item with its units and deadline cells in a labelled bracket. Other lines are kept."""
    lines = _drop_separator_lines(lines)
    out: list[str] = []
    columns: list[str] | None = None
    above: list[str] = []
    for line in lines:
        cells = _pipe_cells(line)
        if cells is None:
            stripped = line.strip()
            if columns is not None and (SECTION.match(stripped) or SUBSECTION.match(stripped)) and len(stripped) < 40:
                # a section row printed between the task rows without separators
                out.extend(["", stripped, ""])
                continue
            if columns is not None and stripped:
                columns = None  # the table ended
            out.append(line)
            continue
        if all(_known_column(c) or c == "序号" for c in cells):
            if any(unit_column(c) for c in cells) and any(c in CONTENT_COLUMNS for c in cells):
                columns = cells
                above = []
                if columns[0] == "序号":
                    out.extend(columns)
                continue
        if columns is None:
            out.append(line)
            continue
        if all(re.fullmatch(r":?-{2,}:?|[-—]*", c) for c in cells):
            continue  # a Markdown rule under the header row (|---|---|)
        if len(cells) == 1 and (SECTION.match(cells[0]) or SUBSECTION.match(cells[0])):
            out.extend(["", cells[0], ""])
            continue
        # Cells stand at the right of the row: the leading (merged) cells are the ones missing.
        row = dict(zip(columns[len(columns) - len(cells) :], cells, strict=True)) if len(cells) <= len(columns) else {}
        if not row:
            out.append(line)
            continue
        if columns[0] == "序号":
            content = [c for c in columns if c in CONTENT_COLUMNS]
            filled = [row.get(c) or (above[k] if k < len(above) else "") for k, c in enumerate(content)]
            above = filled
            out.append(row.get("序号", ""))
            out.extend(filled + [row.get(c) or "/" for c in columns if c not in CONTENT_COLUMNS and c != "序号"])
            continue
        labels = "；".join(
            f"{unit_column(c) or '完成时限'}：{row[c]}"
            for c in columns
            if row.get(c) and row[c] not in ("/", "-", "—", "无") and c not in CONTENT_COLUMNS
        )
        for c in columns:
            cell = row.get(c, "")
            if c not in CONTENT_COLUMNS or not cell:
                continue
            if ITEM_CELL.match(cell):
                out.extend(["", f"{cell}（{labels}）" if labels else cell, ""])
                labels = ""
            else:
                out.extend(["", cell, ""])
    return out


def parse_task_table(lines: list[str]) -> list[TableRow]:
    """Rows of a task table from its lines (header and page furniture may still be present)."""
    by_column = _cell_table(lines)
    if by_column is None:
        by_column = _row_table(lines)
    if by_column is not None:
        return by_column
    rows: list[TableRow] = []
    section: list[str] = []
    label_mode = ""  # "append" | "skip": a section label cell wrapped over several short lines
    tokens: list[tuple[str, str]] = []  # (kind, text) of the current row: content | units | deadline

    def close_row() -> None:
        if rows and tokens:
            rows[-1].chunks.extend(_chunks(tokens))
        tokens.clear()

    for raw in lines:
        line = raw.strip()
        if not line or is_header_line(line) or re.fullmatch(r"-\s*\d+\s*-|-|附件", line):
            continue
        current = rows[-1].number if rows else 0
        labelled = LABELLED_ROW.match(line)
        if labelled and int(labelled.group(2)) in (current, current + 1):
            # a real table (.docx/.html) gives a row as one line; its first row in a 领域 group
            # starts with the group's label cell
            label, line = labelled.group(1), line[labelled.start(2) :]
            if not section or not _same_label(section[0], label):
                close_row()
                section = [label]
        row = ROW_START.match(line)
        if row and int(row.group(1)) in (current, current + 1) and (current or int(row.group(1)) == 1):
            close_row()
            label_mode = ""
            number = int(row.group(1))
            if number != current:
                rows.append(TableRow(number=number, section_path=list(section)))
            if row.group(2):
                tokens.extend(_line_tokens(row.group(2)))
            continue
        if SECTION.match(line) and not line.endswith("。"):
            label = line
            if not section or not _same_label(section[0], label):
                close_row()
                section = [label]
                label_mode = "append"
            else:
                label_mode = "skip"  # the label cell repeated on a new page
            continue
        if SUBSECTION.match(line) and not line.endswith("。") and len(line) < 40:
            close_row()
            section = section[:1] + [line]
            label_mode = ""
            continue
        if label_mode and len(line) <= 6 and not DEADLINE_CELL.match(line) and not _row_pending(tokens):
            if label_mode == "append":
                section[0] = section[0] + line
            continue
        label_mode = ""
        tokens.extend(_line_tokens(line))
    close_row()
    return rows


def _row_pending(tokens: list[tuple[str, str]]) -> bool:
    return bool(tokens) and tokens[-1][0] != "deadline"


def _same_label(a: str, b: str) -> bool:
    ma, mb = SECTION.match(a), SECTION.match(b)
    return bool(ma and mb and ma.group(1) == mb.group(1))


def _line_tokens(line: str) -> list[tuple[str, str]]:
    """Split one physical line into cells; only the right-hand cells are told apart here."""
    cells = _split_cells(line)
    out: list[tuple[str, str]] = []
    if cells and DEADLINE_CELL.match(cells[-1]) and (len(cells) > 1 or len(cells[-1]) <= 8):
        deadline = cells.pop()
        if len(cells) >= 2 and looks_like_units(cells[-1]):
            unit = cells.pop()
            out.append(("line", " ".join(cells)))
            out.append(("units", unit))
        elif len(cells) == 1 and looks_like_units(cells[0]):
            out.append(("units", cells[0]))
        elif cells:
            out.append(("line", " ".join(cells)))
        out.append(("deadline", deadline))
        return [t for t in out if t[1]]
    if len(cells) >= 2 and looks_like_units(cells[-1]) and not looks_like_units(" ".join(cells[:-1])):
        return [("line", " ".join(cells[:-1])), ("units", cells[-1])]
    return [("line", line)]


def _chunks(tokens: list[tuple[str, str]]) -> list[TableChunk]:
    """Group a row's tokens into sub-rows closed by deadline cells, then tell content from units."""
    groups: list[list[tuple[str, str]]] = [[]]
    for kind, text in tokens:
        groups[-1].append((kind, text))
        if kind == "deadline":
            groups.append([])
    chunks: list[TableChunk] = []
    for group in groups:
        if not group:
            continue
        deadline = next((t for k, t in group if k == "deadline"), "")
        content, units = _content_and_units([(k, t) for k, t in group if k != "deadline"])
        if not deadline and chunks:
            # Cells that went on after the row's deadline cell, on the next page.
            chunks[-1].content += content
            chunks[-1].units += units
            continue
        chunks.append(TableChunk(content=content, units=units, deadline=deadline))
    return chunks


def _content_and_units(body: list[tuple[str, str]]) -> tuple[str, str]:
    # Content ends at the last line closing a sentence; wrapped unit cells follow it.
    last_sentence = -1
    for i, (kind, text) in enumerate(body):
        text = text.rstrip()
        if kind == "line" and (text.endswith("。") or (text.endswith("；") and not looks_like_units(text))):
            last_sentence = i
    if last_sentence >= 0:
        return _join([t for _, t in body[: last_sentence + 1]]), "".join(t for _, t in body[last_sentence + 1 :])
    # No sentence end: units are the trailing run of unit-like pieces.
    split = len(body)
    while split > 0 and (body[split - 1][0] == "units" or looks_like_units(body[split - 1][1])):
        split -= 1
    return _join([t for _, t in body[:split]]), "".join(t for _, t in body[split:])


def _join(parts: list[str]) -> str:
    return "".join(p.replace(" ", "") if p and cjk_count(p) / len(p) > 0.5 else p for p in parts)
