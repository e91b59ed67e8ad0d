"""Unit clauses of the real plans: finding them in item text and parsing names and roles."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from documents.model import UnitMention
from documents.units import find_unit_clause, parse_unit_phrase
from tests.seedtext import compact, seed, split_items


def clauses(name: str, stop: str | None = None) -> dict[int, str]:
    out = {}
    for number, text in split_items(seed(name), stop).items():
        found = find_unit_clause(text)
        assert found is not None, f"{name} item {number}: no unit clause"
        out[number] = found[0]
    return out


def pairs(mentions: list[UnitMention]) -> list[tuple[str, str]]:
    return [(m.name, m.role) for m in mentions]


def R(*names: str) -> list[tuple[str, str]]:
    return [(n, "responsible") for n in names]


def L(*names: str) -> list[tuple[str, str]]:
    return [(n, "lead") for n in names]


def C(*names: str) -> list[tuple[str, str]]:
    return [(n, "cooperating") for n in names]


ALL = ("各部门", "各街道（镇）")

CHANGNING_2026: dict[int, list[tuple[str, str]]] = {
    1: R(*ALL),
    2: R("区教育局", "区人社局", "区民政局", "区房管局", "各街道（镇）"),
    3: L("区府办") + R(*ALL),
    4: L("区府办") + R(*ALL),
    5: L("区府办", "区数据局") + C(*ALL),
    6: L("区府办") + R(*ALL),
    7: R(*ALL),
    8: L("区府办") + R(*ALL),
    9: L("区府办") + R(*ALL),
    10: R(*ALL),
    11: R(*ALL),
    12: R("区发改委", "区商务委", "区投促办", "相关单位"),
    13: L("区府办", "区数据局") + R(*ALL),
    14: L("区府办", "区发改委", "区商务委", "区投促办") + R(*ALL),
    15: L("区府办", "区新闻办") + R(*ALL),
    16: L("区府办") + R("相关单位"),
    17: L("区府办", "区新闻办") + R(*ALL),
    18: R(*ALL),
    19: R(*ALL),
    20: R(*ALL),
    21: L("区府办") + R(*ALL),
    22: R("区域运中心", "各承办单位"),
}

CITY = ("各有关单位", "各区政府")
SHANGHAI_2026: dict[int, list[tuple[str, str]]] = {
    1: R("市发展改革委", "市经济信息化委", "市委金融办", "市商务委", "市交通委", "市科委"),
    2: R(
        "市发展改革委",
        "市司法局",
        "市市场监管局",
        "行政执法单位",
        "市国资委",
        "浦东新区政府",
        "临港新片区管委会",
        "虹桥国际中央商务区管委会",
    ),
    3: R(
        "长三角生态绿色一体化发展示范区执委会",
        "市统计局",
        "市科委",
        "市文化旅游局",
        "市住房城乡建设管理委",
        "市政府办公厅",
    ),
    4: R("市住房城乡建设管理委", "市绿化市容局", "市农业农村委", "各区政府"),
    5: R("市商务委", "市文化旅游局", "市体育局", "市政府外办", "市税务局"),
    6: R("市教委", "市人力资源社会保障局", "市民政局", "市房屋管理局", "各区政府"),
    7: R(*CITY),
    8: R("市政府办公厅", *CITY),
    9: R("各有关单位"),
    10: R("市政府办公厅", "市数据局"),
    11: R("市住房城乡建设管理委", "市水务局"),
    12: R("市政府办公厅", "市数据局", *CITY),
    13: R("各区政府"),
    14: R("市政府办公厅", "市数据局", *CITY),
    15: R("市政府办公厅", *CITY),
    16: R("市政府办公厅", *CITY),
    17: R("市政府办公厅", "市数据局", *CITY),
    18: R(*CITY),
    19: R(*CITY),
    20: R(*CITY),
    21: R("市政府办公厅", "市数据局"),
    22: R("市政府办公厅", "市政府外办"),
    23: R("市政府办公厅", "市政府外办", "各有关单位"),
    24: R("市政府办公厅", "市政府外办", "市公安局", "市数据局", *CITY),
    25: R("市政府办公厅", *CITY),
    26: R(*CITY),
    27: R("市政府办公厅", *CITY),
    28: R(*CITY),
    29: R(*CITY),
    30: R(*CITY),
    31: R(*CITY),
    32: R(*CITY),
}


# --- whole documents -------------------------------------------------------------------


def test_changning_2026_has_22_clauses() -> None:
    assert sorted(clauses("changning-2026-district-plan.txt")) == list(range(1, 23))


@pytest.mark.parametrize("number", sorted(CHANGNING_2026))
def test_changning_2026_item_units(number: int) -> None:
    clause = clauses("changning-2026-district-plan.txt")[number]
    assert pairs(parse_unit_phrase(clause)) == CHANGNING_2026[number]


def test_shanghai_2026_has_32_clauses() -> None:
    assert sorted(clauses("shanghai-2026-municipal-plan.txt")) == list(range(1, 33))


@pytest.mark.parametrize("number", sorted(SHANGHAI_2026))
def test_shanghai_2026_item_units(number: int) -> None:
    clause = clauses("shanghai-2026-municipal-plan.txt")[number]
    assert pairs(parse_unit_phrase(clause)) == SHANGHAI_2026[number]


def test_baoshan_2023_body_clauses_all_parse() -> None:
    found = clauses("baoshan-2023-work-points-with-table.txt", stop="附件")
    assert sorted(found) == list(range(1, 39))
    for number, clause in found.items():
        mentions = parse_unit_phrase(clause)
        assert mentions, f"item {number}: {clause}"
        for m in mentions:
            assert m.name in clause


# --- find_unit_clause ------------------------------------------------------------------


def test_find_clause_example_from_brief() -> None:
    text = "…提供最大便利。（责任单位：区府办牵头，各部门、各街道（镇）落实）"
    assert find_unit_clause(text) == ("责任单位：区府办牵头，各部门、各街道（镇）落实", "…提供最大便利。")


def test_find_clause_skips_other_parentheses() -> None:
    items = split_items(seed("shanghai-2026-municipal-plan.txt"))
    clause, rest = find_unit_clause(items[2])  # type: ignore[misc]
    assert clause.startswith("责任单位：市发展改革委")
    assert "（含临港新片区）" in rest
    assert "责任单位" not in rest
    clause, rest = find_unit_clause(items[16])  # type: ignore[misc]
    assert clause == "责任单位：市政府办公厅、各有关单位、各区政府"
    assert "处长（科长）讲政策" in rest


def test_find_clause_changning_item_9_keeps_kezhang() -> None:
    text = split_items(seed("changning-2026-district-plan.txt"))[9]
    clause, rest = find_unit_clause(text)  # type: ignore[misc]
    assert clause == "责任单位：区府办牵头，各部门、各街道（镇）落实"
    assert rest.endswith("解读矩阵。")
    assert "（科长）" in rest


def test_find_clause_with_line_break_inside_label() -> None:
    # Baoshan item 4 breaks the label over a page line: （责\n\n任单位：…）
    text = (
        "引导资金、项目申报、成果奖励等内容公开制度。（责\n\n任单位：区发展改革委、区经委、区科委、区商务委）"
    )
    assert find_unit_clause(text) == (
        "责任单位：区发展改革委、区经委、区科委、区商务委",
        "引导资金、项目申报、成果奖励等内容公开制度。",
    )


def test_find_clause_all_labels() -> None:
    for label in ("责任单位", "牵头单位", "配合单位", "主责单位", "责任部门"):
        assert find_unit_clause(f"做好工作。（{label}：区府办）") == (f"{label}：区府办", "做好工作。")


def test_find_clause_none_without_label() -> None:
    assert find_unit_clause("抓好“处长（科长）讲政策”。") is None
    assert find_unit_clause("（含临港新片区）扩大开放。") is None
    assert find_unit_clause("") is None


def test_find_clause_unclosed_at_end() -> None:
    assert find_unit_clause("做好工作。（责任单位：区府办、区数据局") == (
        "责任单位：区府办、区数据局",
        "做好工作。",
    )


def test_find_clause_half_width() -> None:
    assert find_unit_clause("做好工作。(责任单位:市政府办公厅、市数据局)") == (
        "责任单位：市政府办公厅、市数据局",
        "做好工作。",
    )


def test_find_clause_takes_last_labelled_group_with_trailing_text() -> None:
    # A naive item splitter appends the closing paragraph to the last item.
    text = "实质性回应留言诉求。（责任单位：区域运中心、各承办单位）各部门、各街道（镇）要主动作为。"
    clause, rest = find_unit_clause(text)  # type: ignore[misc]
    assert clause == "责任单位：区域运中心、各承办单位"
    assert rest == "实质性回应留言诉求。各部门、各街道（镇）要主动作为。"


# --- parse_unit_phrase: every form in the seeds, with the real strings ---------------------


def test_municipal_labelled_list() -> None:
    ms = parse_unit_phrase("责任单位：市政府办公厅、市数据局、各有关单位、各区政府")
    assert pairs(ms) == R("市政府办公厅", "市数据局", "各有关单位", "各区政府")
    assert [m.collective for m in ms] == [False, False, True, True]
    assert [m.canonical for m in ms] == ["市政府办公厅", "市数据局", "各有关单位", "各区政府"]


def test_baoshan_lead_then_responsible() -> None:
    ms = parse_unit_phrase("牵头单位：区财政局、区审计局；责任单位：各街镇、园区、区政府各部门")
    assert pairs(ms) == L("区财政局", "区审计局") + R("各街镇", "园区", "区政府各部门")
    assert [m.collective for m in ms] == [False, False, True, True, True]
    assert ms[2].canonical == "各街道（镇）"


def test_baoshan_three_labels_with_comma() -> None:
    ms = parse_unit_phrase(
        "牵头单位：区政府办公室；责任单位：各街镇、园区，区政府各部门；配合单位：区融媒体中心"
    )
    assert pairs(ms) == L("区政府办公室") + R("各街镇", "园区", "区政府各部门") + C("区融媒体中心")


def test_baoshan_related_departments_and_cooperating() -> None:
    ms = parse_unit_phrase("责任单位：区政府各相关部门；配合单位：区政务服务中心")
    assert pairs(ms) == R("区政府各相关部门") + C("区政务服务中心")
    assert ms[0].collective and not ms[1].collective


def test_changning_verbs_in_labelled_clause() -> None:
    ms = parse_unit_phrase("责任单位：区府办牵头，各部门、各街道（镇）落实")
    assert pairs(ms) == L("区府办") + R("各部门", "各街道（镇）")
    assert ms[0].canonical == "区政府办公室"
    assert ms[2].name == "各街道（镇）"  # never split inside the parentheses


def test_two_leads_then_cooperating() -> None:
    ms = parse_unit_phrase("区府办、区数据局牵头，各部门、各街道（镇）配合")
    assert pairs(ms) == L("区府办", "区数据局") + C("各部门", "各街道（镇）")


def test_city_operations_centre_lead() -> None:
    ms = parse_unit_phrase("区府办、区城运中心牵头，各部门、各街道（镇）落实")
    assert pairs(ms) == L("区府办", "区城运中心") + R("各部门", "各街道（镇）")
    assert ms[1].canonical == "区城运中心"


def test_major_decision_undertakers() -> None:
    ms = parse_unit_phrase("区府办牵头，重大行政决策事项各承办单位配合")
    assert pairs(ms) == L("区府办") + C("重大行政决策事项各承办单位")
    assert ms[1].collective


def test_justice_bureau_lead() -> None:
    assert pairs(parse_unit_phrase("区司法局牵头，各有关单位配合")) == L("区司法局") + C("各有关单位")


def test_related_units_implement() -> None:
    ms = parse_unit_phrase("区府办牵头，相关单位落实")
    assert pairs(ms) == L("区府办") + R("相关单位")
    assert ms[1].collective


CHANGNING_2025_CELLS: dict[str, list[tuple[str, str]]] = {
    "各部门、各街道（镇）": R(*ALL),
    "区府办牵头，各部门、各街道（镇）落实": L("区府办") + R(*ALL),
    "区府办牵头，各部门、各街道（镇）配合": L("区府办") + C(*ALL),
    "区府办、区城运中心牵头，各部门、各街道（镇）落实": L("区府办", "区城运中心") + R(*ALL),
    "区发展改革委、区教育局、区建设管理委、区卫生健康委、区房管局等公共企事业单位行业主管部门": R(
        "区发展改革委", "区教育局", "区建设管理委", "区卫生健康委", "区房管局", "公共企事业单位行业主管部门"
    ),
    "区府办牵头，重大行政决策事项各承办单位配合": L("区府办") + C("重大行政决策事项各承办单位"),
    "区府办牵头，重大行政决策事项各承办单位落实": L("区府办") + R("重大行政决策事项各承办单位"),
    "区发展改革委": R("区发展改革委"),
    "区财政局牵头，各部门、各街道（镇）配合": L("区财政局") + C(*ALL),
    "区司法局牵头，各有关单位配合": L("区司法局") + C("各有关单位"),
    "区府办、区新闻办牵头，各部门、各街道（镇）落实": L("区府办", "区新闻办") + R(*ALL),
    "区发展改革委、区商务委、区投促办等相关单位": R("区发展改革委", "区商务委", "区投促办", "相关单位"),
    "区城运中心、各承办单位": R("区城运中心", "各承办单位"),
    "区府办、区新闻办、区数据局牵头，各部门、各街道（镇）落实": L("区府办", "区新闻办", "区数据局") + R(*ALL),
    "区府办牵头，相关单位落实": L("区府办") + R("相关单位"),
    "区府办": R("区府办"),
}


@pytest.mark.parametrize("cell", list(CHANGNING_2025_CELLS))
def test_changning_2025_table_cells(cell: str) -> None:
    # The cells are real: line breaks of the PDF table removed, they occur in the seed.
    assert compact(cell) in compact(seed("changning-2025-task-table.txt"))
    ms = parse_unit_phrase(cell, source="table")
    assert pairs(ms) == CHANGNING_2025_CELLS[cell]
    assert all(m.source == "table" for m in ms)


def test_changning_2025_cell_with_line_breaks_as_extracted() -> None:
    cell = "区府办、区城运中\n\n心牵头，各部门、\n\n各街道（镇）落实"
    assert pairs(parse_unit_phrase(cell, source="table")) == L("区府办", "区城运中心") + R(*ALL)


def test_etc_category_is_collective() -> None:
    ms = parse_unit_phrase(
        "区发展改革委、区教育局、区建设管理委、区卫生健康委、区房管局等公共企事业单位行业主管部门"
    )
    assert ms[4].canonical == "区住房保障房屋管理局"
    assert ms[-1].collective and not any(m.collective for m in ms[:-1])


def test_bare_trailing_etc_adds_nothing() -> None:
    cell = "区发展改革委、区经委、区建设管理委、区交通委、区生态环境局、区水务局等"
    assert compact(cell) in compact(seed("baoshan-2023-work-points-with-table.txt"))
    assert pairs(parse_unit_phrase(cell, source="table")) == R(
        "区发展改革委", "区经委", "区建设管理委", "区交通委", "区生态环境局", "区水务局"
    )
    assert pairs(parse_unit_phrase("区生态环境局、区水务局等")) == R("区生态环境局", "区水务局")


def test_baoshan_park_and_related_towns() -> None:
    ms = parse_unit_phrase("宝山高新园及相关街镇")
    assert pairs(ms) == R("宝山高新园", "相关街镇")
    assert [m.collective for m in ms] == [False, True]


def test_municipal_etc_in_the_middle() -> None:
    ms = parse_unit_phrase(
        "市发展改革委、市司法局、市市场监管局等行政执法单位、市国资委、浦东新区政府、临港新片区管委会、虹桥国际中央商务区管委会"
    )
    assert pairs(ms) == SHANGHAI_2026[2]
    by_name = {m.name: m for m in ms}
    assert by_name["行政执法单位"].collective
    assert by_name["浦东新区政府"].canonical == "浦东新区人民政府"
    assert not by_name["浦东新区政府"].collective


def test_baoshan_table_cells() -> None:
    text = compact(seed("baoshan-2023-work-points-with-table.txt"))
    cases = {
        "牵头单位：区财政局；责任单位：各街镇、园区、区政府各部门": L("区财政局")
        + R("各街镇", "园区", "区政府各部门"),
        "牵头单位：区司法局；责任单位：各执法部门": L("区司法局") + R("各执法部门"),
        "牵头单位：区发展改革委、区市场监管局；责任单位：各执法部门": L("区发展改革委", "区市场监管局")
        + R("各执法部门"),
        "责任单位：区政府各相关部门；配合单位：区政务服务中心": R("区政府各相关部门") + C("区政务服务中心"),
        "区政府办公室，各街镇、园区，区政府各部门": R("区政府办公室", "各街镇", "园区", "区政府各部门"),
        "区滨江委、宝山高新园及相关街镇": R("区滨江委", "宝山高新园", "相关街镇"),
        "区住房保障房屋管理局、相关街镇、园区": R("区住房保障房屋管理局", "相关街镇", "园区"),
    }
    for cell, expected in cases.items():
        assert compact(cell) in text, cell
        assert pairs(parse_unit_phrase(cell, source="table")) == expected, cell


# --- details -----------------------------------------------------------------------------


def test_canonical_names_of_generic_aliases() -> None:
    ms = parse_unit_phrase("区府办、区政府办、区发改委、区人社局、区房管局、各街镇、区城运中心")
    assert [m.canonical for m in ms] == [
        "区政府办公室",
        "区发展改革委",
        "区人力资源社会保障局",
        "区住房保障房屋管理局",
        "各街道（镇）",
        "区城运中心",
    ]
    # 区府办 and 区政府办 are one office with one role: reported once, as first written.
    assert [m.name for m in ms][:2] == ["区府办", "区发改委"]


def test_names_keep_written_form_and_lose_spaces() -> None:
    ms = parse_unit_phrase("责任单位： 区 府办 、区房管局 ")
    assert [(m.name, m.canonical) for m in ms] == [
        ("区府办", "区政府办公室"),
        ("区房管局", "区住房保障房屋管理局"),
    ]


def test_half_width_input() -> None:
    ms = parse_unit_phrase("(责任单位:区府办牵头,各部门、各街道(镇)落实)")
    assert pairs(ms) == L("区府办") + R("各部门", "各街道（镇）")


def test_official_names_with_he_stay_whole() -> None:
    assert pairs(parse_unit_phrase("区人力资源和社会保障局、区规划和自然资源局")) == R(
        "区人力资源和社会保障局", "区规划和自然资源局"
    )
    assert parse_unit_phrase("区人力资源和社会保障局")[0].canonical == "区人力资源社会保障局"


def test_he_between_names_splits() -> None:
    assert pairs(parse_unit_phrase("区政府办公室和区司法局")) == R("区政府办公室", "区司法局")


def test_default_role_and_source() -> None:
    ms = parse_unit_phrase("区府办、区数据局", source="table", default_role="cooperating")
    assert pairs(ms) == C("区府办", "区数据局")
    assert {m.source for m in ms} == {"table"}


def test_other_verbs() -> None:
    assert pairs(parse_unit_phrase("区司法局负责，各部门协助")) == R("区司法局") + C("各部门")
    assert pairs(parse_unit_phrase("区府办牵头负责，各部门配合落实")) == L("区府办") + C("各部门")


def test_addressee_form_is_one_collective() -> None:
    ms = parse_unit_phrase("区政府各委、办、局")
    assert [(m.name, m.canonical, m.collective) for m in ms] == [("区政府各委办局", "区政府各部门", True)]


@pytest.mark.parametrize("text", ["", "   ", "。", "abc", "123", "（）", "责任单位：", "、、，，；", "局"])
def test_garbage_gives_nothing(text: str) -> None:
    assert parse_unit_phrase(text) == []


def test_non_string_gives_nothing() -> None:
    assert parse_unit_phrase(None) == []  # type: ignore[arg-type]
    assert find_unit_clause(None) is None  # type: ignore[arg-type]


_ALPHABET = "区府办牵头落实配合责任单位各部门街道镇（）()、，,；;：:等及和相关园 \n。局委会中心市政府"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_never_raises_on_any_text(text: str) -> None:
    result = parse_unit_phrase(text)
    assert isinstance(result, list)
    assert all(isinstance(m, UnitMention) for m in result)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_parse_and_find_never_raise_on_unit_like_text(text: str) -> None:
    for m in parse_unit_phrase(text):
        assert m.name and m.canonical
        assert m.role in ("lead", "responsible", "cooperating")
    found = find_unit_clause(text)
    if found is not None:
        parse_unit_phrase(found[0])
