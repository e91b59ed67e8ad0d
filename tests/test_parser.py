"""The parser on the five real documents, item by item for one document of each layout.

Expected values below were read off the source documents by hand, not produced by the parser.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from documents.model import Document, DocumentError
from documents.parser import parse_bytes, parse_file

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
CITY = SAMPLES / "shanghai-2026-municipal-plan.txt"
CHANGNING_2026 = SAMPLES / "changning-2026-district-plan.txt"
CHANGNING_2025 = SAMPLES / "changning-2025-task-table.txt"
JINGAN = SAMPLES / "jingan-2025-work-points.txt"
BAOSHAN = SAMPLES / "baoshan-2023-work-points-with-table.txt"

HEADERS = {
    CITY: ("沪府办字〔2026〕5号", "上海市人民政府办公厅", date(2026, 3, 20), 2026, "上海市", "municipal", 32,
           "上海市加强政策公开全面提升政务透明度工作方案", "running_text"),
    CHANGNING_2026: ("长府办〔2026〕8号", "上海市长宁区人民政府办公室", date(2026, 5, 8), 2026, "长宁区", "district", 22,
                     "2026年上海市长宁区加强政策公开全面提升政务透明度工作方案", "running_text"),
    CHANGNING_2025: ("长府办〔2025〕12号", "上海市长宁区人民政府办公室", date(2025, 4, 25), 2025, "长宁区", "district", 33,
                     "2025年上海市长宁区政务公开工作任务责任分解表", "task_table"),
    JINGAN: ("静府办发〔2025〕4号", "上海市静安区人民政府办公室", date(2025, 5, 14), 2025, "静安区", "district", 13,
             "2025年静安区政务公开工作要点", "running_text"),
    BAOSHAN: ("宝府办〔2023〕15号", "上海市宝山区人民政府办公室", date(2023, 5, 22), 2023, "宝山区", "district", 38,
              "2023年宝山区政务公开工作要点", "body_and_table"),
}


@pytest.fixture(scope="module")
def parsed() -> dict[Path, Document]:
    return {path: parse_file(path) for path in HEADERS}


@pytest.mark.parametrize("path", list(HEADERS), ids=lambda p: p.stem)
def test_header_and_item_count(parsed: dict[Path, Document], path: Path) -> None:
    doc = parsed[path]
    number, issuer, issued, year, place, level, count, title, layout = HEADERS[path]
    assert doc.doc_number == number
    assert doc.issuer == issuer
    assert doc.issue_date == issued
    assert doc.year == year
    assert doc.place == place
    assert doc.level == level
    assert doc.title == title
    assert doc.layout == layout
    assert [i.number for i in doc.items] == list(range(1, count + 1))
    assert doc.addressees, "addressees (主送机关) are read from the notice"
    assert all(i.text for i in doc.items)


def test_outline_section_paths(parsed: dict[Path, Document]) -> None:
    city = parsed[CITY]
    assert city.item(12).section_path == ["二、着力增强政策公开实效", "（四）加大政策发布集成力度"]
    assert city.item(32).section_path[-1] == "（十五）高质量办好中国政府网转办留言"
    table = parsed[CHANGNING_2025]
    # the 领域 column is wrapped over five lines and repeated on every page
    assert table.item(6).section_path == ["二、发挥以公开促落实、优服务、强监督的功能作用"]
    assert table.item(14).section_path == ["二、发挥以公开促落实、优服务、强监督的功能作用"]
    assert table.item(20).section_path == ["三、持续深化政民（企）互动和公众参与"]
    assert table.item(33).section_path == ["四、不断提升政务公开质效"]


def test_item_whose_start_was_lost_is_still_numbered(parsed: dict[Path, Document]) -> None:
    item = parsed[CHANGNING_2026].item(3)
    assert item.text.startswith("适用，规范答复文书")
    # the sentence broken over a blank line is joined again
    assert "为申请人依法获取政府信息提供最大便利" in item.text


# Changning 2026, running text: every item's units as written (name, role).
L, R, C = "lead", "responsible", "cooperating"
DEPTS_STREETS = [("各部门", R), ("各街道（镇）", R)]
OFFICE_LEADS = [("区府办", L), ("各部门", R), ("各街道（镇）", R)]
CHANGNING_2026_UNITS = {
    1: DEPTS_STREETS,
    2: [("区教育局", R), ("区人社局", R), ("区民政局", R), ("区房管局", R), ("各街道（镇）", R)],
    3: OFFICE_LEADS,
    4: OFFICE_LEADS,
    5: [("区府办", L), ("区数据局", L), ("各部门", C), ("各街道（镇）", C)],
    6: OFFICE_LEADS,
    7: DEPTS_STREETS,
    8: OFFICE_LEADS,
    9: OFFICE_LEADS,
    10: DEPTS_STREETS,
    11: DEPTS_STREETS,
    12: [("区发改委", R), ("区商务委", R), ("区投促办", R), ("相关单位", R)],
    13: [("区府办", L), ("区数据局", L), ("各部门", R), ("各街道（镇）", R)],
    14: [("区府办", L), ("区发改委", L), ("区商务委", L), ("区投促办", L), ("各部门", R), ("各街道（镇）", R)],
    15: [("区府办", L), ("区新闻办", L), ("各部门", R), ("各街道（镇）", R)],
    16: [("区府办", L), ("相关单位", R)],
    17: [("区府办", L), ("区新闻办", L), ("各部门", R), ("各街道（镇）", R)],
    18: DEPTS_STREETS,
    19: DEPTS_STREETS,
    20: DEPTS_STREETS,
    21: OFFICE_LEADS,
    22: [("区域运中心", R), ("各承办单位", R)],
}


def test_changning_2026_units_item_by_item(parsed: dict[Path, Document]) -> None:
    doc = parsed[CHANGNING_2026]
    for number, expected in CHANGNING_2026_UNITS.items():
        assert [(u.name, u.role) for u in doc.item(number).units] == expected, f"item {number}"
    assert doc.item(3).units[0].canonical == "区政府办公室"
    assert doc.item(2).units[1].canonical == "区人力资源社会保障局"
    assert {u.name for u in doc.item(1).units if u.collective} == {"各部门", "各街道（镇）"}


def test_changning_2026_deadlines_item_by_item(parsed: dict[Path, Document]) -> None:
    doc = parsed[CHANGNING_2026]
    found = {i.number: [(d.phrase, d.kind, d.period) for d in i.deadlines] for i in doc.items if i.deadlines}
    assert found == {4: [("每季度", "recurring", "quarter")], 17: [("每年", "recurring", "year")]}
    # the closing paragraph after item 22 is not part of it
    assert "各部门、各街道（镇）要主动作为" not in doc.item(22).text


# Changning 2025, task table: the 完成时限 column row by row, and the 责任单位 column.
CHANGNING_2025_DEADLINES = {n: "全年" for n in range(1, 34)} | {
    9: "10月", 10: "6月", 20: "8月", 22: "10月", 23: "10月", 25: "10月", 28: "10月", 32: "5月",
}
CHANGNING_2025_UNITS = {n: DEPTS_STREETS for n in range(1, 34)} | {
    3: OFFICE_LEADS, 4: OFFICE_LEADS, 10: OFFICE_LEADS, 25: OFFICE_LEADS, 26: OFFICE_LEADS, 30: OFFICE_LEADS,
    6: [("区府办", L), ("各部门", C), ("各街道（镇）", C)],
    9: [("区府办", L), ("各部门", C), ("各街道（镇）", C)],
    11: [("区府办", L), ("区城运中心", L), ("各部门", R), ("各街道（镇）", R)],
    14: [("区发展改革委", R), ("区教育局", R), ("区建设管理委", R), ("区卫生健康委", R), ("区房管局", R),
         ("公共企事业单位行业主管部门", R)],
    16: [("区府办", L), ("重大行政决策事项各承办单位", C)],
    17: [("区发展改革委", R)],
    18: [("区财政局", L), ("各部门", C), ("各街道（镇）", C)],
    19: [("区司法局", L), ("各有关单位", C)],
    20: [("区府办", L), ("区新闻办", L), ("各部门", R), ("各街道（镇）", R)],
    22: [("区府办", L), ("重大行政决策事项各承办单位", R)],
    23: [("区发展改革委", R), ("区商务委", R), ("区投促办", R), ("相关单位", R)],
    24: [("区城运中心", R), ("各承办单位", R)],
    27: [("区府办", L), ("区新闻办", L), ("区数据局", L), ("各部门", R), ("各街道（镇）", R)],
    28: [("区府办", L), ("相关单位", R)],
    29: [("区府办", R)],
    31: [("区府办", R)],
}


def test_changning_2025_table_row_by_row(parsed: dict[Path, Document]) -> None:
    doc = parsed[CHANGNING_2025]
    for item in doc.items:
        table_deadlines = [d.phrase for s in item.sub_rows for d in s.deadlines]
        assert table_deadlines == [CHANGNING_2025_DEADLINES[item.number]], f"row {item.number}"
        assert [(u.name, u.role) for u in item.units] == CHANGNING_2025_UNITS[item.number], f"row {item.number}"
    assert doc.item(9).deadlines[0].due == date(2025, 10, 31)
    assert doc.item(10).deadlines[0].due == date(2025, 6, 30)
    assert doc.item(1).deadlines[0].due == date(2025, 12, 31)
    # a row's text is whole even when its cells were broken over lines and pages
    assert doc.item(14).text.endswith("重点做好供水、供电、供气、交通的服务运营情况以及突发事件、应急处置等方面信息公开。")
    assert doc.item(33).text.endswith("市、区工作要点落实情况纳入各单位政府信息公开工作年度报告并予以公开。")
    # 每季度报送 inside the task text is a recurring duty (quarterly reports)
    assert ("每季度", "recurring") in [(d.phrase, d.kind) for d in doc.item(33).deadlines]
    assert [q.phrase for q in doc.item(21).quantities] == ["不低于50%"]


# Baoshan 2023, body + appendix table: the table's 完成时间 column per item (sub-rows in order).
BAOSHAN_TABLE = {n: ["全年"] for n in range(1, 39)} | {
    10: ["全年", "全年"], 11: ["全年", "全年"], 12: ["全年", "全年"], 15: ["全年", "全年"],
    16: ["5月底", "全年", "全年"], 18: ["5月底"], 22: ["4月底前", "全年", "10月底前"], 24: ["3月底前", "全年"],
    27: ["8月"], 30: ["全年", "全年"], 31: ["全年", "10月底前", "全年"], 36: ["10月底前"], 37: ["12月"],
    38: ["5月底前"],
}
BAOSHAN_BODY = {
    21: ["年内"], 24: ["3月31日前", "出台后的10个工作日内"], 25: ["年内"], 27: ["8月"], 29: ["3月底前"],
    32: ["每季度"], 35: ["年内"], 37: ["次年第一季度"], 38: ["本工作要点发布后30天内"],
}


def test_baoshan_body_and_table_item_by_item(parsed: dict[Path, Document]) -> None:
    doc = parsed[BAOSHAN]
    for item in doc.items:
        assert item.sources == ["body", "table"], item.number
        table = [d.phrase for d in item.deadlines if d.source == "table"]
        body = [d.phrase for d in item.deadlines if d.source == "body"]
        assert table == BAOSHAN_TABLE[item.number], f"item {item.number} table"
        assert body == BAOSHAN_BODY.get(item.number, []), f"item {item.number} body"
        assert len(item.sub_rows) == len(BAOSHAN_TABLE[item.number])
        assert item.units, f"item {item.number} has units"
    by_phrase = {d.phrase: d for d in doc.item(38).deadlines}
    assert by_phrase["本工作要点发布后30天内"].due == date(2023, 6, 21)
    assert by_phrase["本工作要点发布后30天内"].kind == "relative"
    event = doc.item(24).deadlines[1]
    assert (event.kind, event.days, event.working_days, event.due) == ("event", 10, True, None)
    assert doc.item(37).deadlines[0].due == date(2024, 3, 31)


def test_baoshan_roles_and_sub_row_units(parsed: dict[Path, Document]) -> None:
    doc = parsed[BAOSHAN]
    leads = {n: [u.name for u in doc.item(n).units if u.role == "lead"] for n in (12, 16, 18, 22, 23, 29, 31, 34, 37)}
    assert leads == {
        12: ["区财政局", "区审计局"], 16: ["区司法局", "区发展改革委", "区市场监管局"], 18: ["区政府办公室"],
        22: ["区政府办公室", "区政务服务中心"], 23: ["区城运中心", "区政务服务中心"], 29: ["区政府办公室", "区信息委"],
        31: ["区政府办公室", "区融媒体中心", "区委网信办"], 34: ["区政府办公室", "区司法局"], 37: ["区政府办公室"],
    }
    assert [u.name for u in doc.item(27).units if u.role == "cooperating"] == ["区融媒体中心"]
    assert [u.name for u in doc.item(32).units if u.role == "cooperating"] == ["区政务服务中心"]
    # sub-rows carry their own units: item 10 is split between education and health
    assert [[u.name for u in s.units] for s in doc.item(10).sub_rows] == [["区教育局"], ["区卫生健康委"]]
    assert [[u.name for u in s.units] for s in doc.item(16).sub_rows][2] == ["区司法局"]
    # the table continued a row's content after its deadline cell on the next page (item 20)
    assert doc.item(20).sub_rows[0].text.endswith("开展动态跟踪解读。")
    assert [(q.phrase, q.value) for q in doc.item(25).quantities] == [("不少于4次", 4), ("至少1次", 1)]
    assert [(q.phrase, q.value, q.unit) for q in doc.item(37).quantities] == [("不低于4%", 4, "%")]


def test_baoshan_body_table_disagreement_is_recorded(parsed: dict[Path, Document]) -> None:
    doc = parsed[BAOSHAN]
    conflicts = {i.number: n for i in doc.items for n in i.notes if n.kind == "deadline_conflict"}
    assert list(conflicts) == [38]
    assert conflicts[38].body == [{"phrase": "本工作要点发布后30天内", "due": "2023-06-21"}]
    assert conflicts[38].table == [{"phrase": "5月底前", "due": "2023-05-31"}]
    assert not [n for i in doc.items for n in i.notes if n.kind == "unit_conflict"]


def test_jingan_items_have_no_units(parsed: dict[Path, Document]) -> None:
    doc = parsed[JINGAN]
    assert all(not i.units for i in doc.items)
    assert doc.item(3).text.endswith("的推广运用和辅导。组织开展好政策解读优秀案例选送和宣传工作。")
    assert "各单位要高度重视" not in doc.item(13).text


def test_json_round_trip(parsed: dict[Path, Document]) -> None:
    for doc in parsed.values():
        again = Document.from_dict(doc.to_dict())
        assert again.to_dict() == doc.to_dict()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "空"),
        (b"   \n\n  ", "空"),
        (bytes(range(256)) * 20, "文本"),
        ("上海市某区政务公开工作要点\n\n一、总体要求\n\n做好各项工作。\n".encode(), "编号条目"),
    ],
)
def test_bad_input_is_a_document_error(content: bytes, problem: str) -> None:
    with pytest.raises(DocumentError) as excinfo:
        parse_bytes(content, "bad.txt")
    assert "bad.txt" in str(excinfo.value)
    assert problem in str(excinfo.value)


def test_truncated_document_is_refused() -> None:
    text = CHANGNING_2026.read_text(encoding="utf-8")
    cut = text[: text.index("统一、权威、动态发布")]  # inside item 5
    with pytest.raises(DocumentError, match="不完整"):
        parse_bytes(cut.encode("utf-8"), "cut.txt")
    table = CHANGNING_2025.read_text(encoding="utf-8")
    with pytest.raises(DocumentError, match="不完整"):
        parse_bytes(table[: table.index("结果和执行情况等信息")].encode("utf-8"), "cut-table.txt")


def test_numbering_restarting_in_each_section_is_continued() -> None:
    text = CHANGNING_2026.read_text(encoding="utf-8")
    # renumber items within each 一、二、三、四、 section, as some plans do
    import re

    out, n = [], 0
    for line in text.split("\n"):
        if re.match(r"^[一二三四]、", line):
            n = 0
        m = re.match(r"^(\d+)\. ", line)
        if m:
            n += 1
            line = f"{n}. " + line[m.end():]
        out.append(line)
    doc = parse_bytes("\n".join(out).encode("utf-8"), "per-section.txt")
    assert [i.number for i in doc.items] == list(range(1, 23))
    assert doc.item(5).notes[0].kind == "renumbered"
    assert [(u.name, u.role) for u in doc.item(22).units] == CHANGNING_2026_UNITS[22]


CN = "一二三四五六七八九十"


def test_plan_whose_tasks_are_numbered_with_chinese_subheadings(parsed: dict[Path, Document]) -> None:
    # Jing'an's 1. 2. … items rewritten as （一）（二）… under each 一、 section, as many plans are
    import re

    out, n = [], 0
    for line in JINGAN.read_text(encoding="utf-8").split("\n"):
        if re.match(r"^[一二三四]、", line):
            n = 0
        m = re.match(r"^(\d+)\. ", line)
        if m:
            line = f"（{CN[n]}）" + line[m.end():]
            n += 1
        out.append(line)
    doc = parse_bytes("\n".join(out).encode("utf-8"), "headings.txt")
    original = parsed[JINGAN]
    assert [i.number for i in doc.items] == list(range(1, 14))
    assert [i.text for i in doc.items] == [i.text for i in original.items]
    assert doc.item(5).section_path == ["二、坚持围绕中心工作，发挥政务公开功能作用"]
    assert any("（一）" in w for w in doc.warnings)


def test_headings_with_unit_clauses_stop_before_closing_text() -> None:
    import re

    text = CHANGNING_2026.read_text(encoding="utf-8")
    # drop the （一） level and turn the 1. items into （一） headings
    lines, n = [], 0
    for line in text.split("\n"):
        if re.match(r"^（[一二三四五六七八九十]+）", line):
            continue
        if re.match(r"^[一二三四]、", line):
            n = 0
        m = re.match(r"^(\d+)\. ", line)
        if m:
            line = f"（{CN[n % 10]}）" + line[m.end():]
            n += 1
        lines.append(line)
    doc = parse_bytes("\n".join(lines).encode("utf-8"), "headings.txt")
    assert len(doc.items) == 22
    assert [(u.name, u.role) for u in doc.item(22).units] == CHANGNING_2026_UNITS[22]
    assert "要主动作为" not in doc.item(22).text


def _unit_cell(units) -> str:
    """A 责任单位 cell as plans write it: leads 牵头, then the others 落实 / 配合."""
    leads = [u.name for u in units if u.role == "lead"]
    rest = [u for u in units if u.role != "lead"]
    if not leads:
        return "、".join(u.name for u in units)
    verb = "配合" if rest and rest[0].role == "cooperating" else "落实"
    return "、".join(leads) + "牵头" + ("，" + "、".join(u.name for u in rest) + verb if rest else "")


def test_task_table_as_a_real_docx_table(tmp_path, parsed: dict[Path, Document]) -> None:
    """The 2025 Changning table written as a Word table (one row per task, a 领域 cell merged
    down each group) parses to the same rows, units and deadlines."""
    import docx

    source = parsed[CHANGNING_2025]
    document = docx.Document()
    for line in ("长府办〔2025〕12号", "上海市长宁区人民政府办公室关于印发", "《2025年上海市长宁区政务公开工作任务责任分解表》的通知",
                 "区政府各委、办、局，各街道办事处，新泾镇政府：", "现印发给你们，请认真按照执行。", "上海市长宁区人民政府办公室",
                 "2025年4月25日", "2025年上海市长宁区政务公开工作任务责任分解表"):
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=5)
    for cell, text in zip(table.rows[0].cells, ("领域", "序号", "任务内容", "责任单位", "完成时限"), strict=True):
        cell.text = text
    previous_label = None
    for item in source.items:
        cells = table.add_row().cells
        label = item.section_path[0]
        cells[0].text = label if label != previous_label else ""
        previous_label = label
        cells[1].text = str(item.number)
        cells[2].text = item.text
        cells[3].text = _unit_cell(item.units)
        cells[4].text = item.sub_rows[0].deadlines[0].phrase
    path = tmp_path / "table.docx"
    document.save(str(path))
    doc = parse_file(path)
    assert doc.layout == "task_table"
    assert [(i.number, i.section_path, i.text) for i in doc.items] == [
        (i.number, i.section_path, i.text) for i in source.items
    ]
    assert [[(u.name, u.role) for u in i.units] for i in doc.items] == [
        [(u.name, u.role) for u in i.units] for i in source.items
    ]
    assert [[d.phrase for d in i.deadlines] for i in doc.items] == [[d.phrase for d in i.deadlines] for i in source.items]


def test_working_days_in_an_uncovered_year_are_flagged(monkeypatch) -> None:
    monkeypatch.delenv("GONGKAI_HOLIDAYS", raising=False)
    text = BAOSHAN.read_text(encoding="utf-8").replace("2023", "2027")
    text = text.replace("本工作要点发布后 30天内", "本工作要点发布后 10个工作日内")
    doc = parse_bytes(text.encode("utf-8"), "baoshan-2027.txt")
    relative = [d for d in doc.item(38).deadlines if d.kind == "relative"][0]
    assert relative.working_days and relative.due.year == 2027
    assert any("2027年的工作日按周一至周五计算" in w for w in doc.warnings)
