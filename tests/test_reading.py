"""Reading documents nobody has tested: headers, punctuation forms, places without a registry.

The corpus in `tests/corpus/reading/` holds documents written for this project in the forms that
published plans of several provinces use, each with hand-built truth (see its README). The
derived drafts below are made from the Changning sample the way drafts and web copies damage it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.accuracy import reading_figures
from cli.main import app
from documents.model import DocumentError
from documents.parser import parse_bytes, parse_file
from offices.names import normalize_name
from pipeline.checks import check_documents
from rules.check import check_plan
from rules.policy import load_policy

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
CITY = SAMPLES / "shanghai-2026-municipal-plan.txt"
CHANGNING = SAMPLES / "changning-2026-district-plan.txt"
JINGAN = SAMPLES / "jingan-2025-work-points.txt"
CORPUS = Path(__file__).resolve().parent / "corpus" / "reading"


@pytest.fixture(scope="module")
def policy() -> dict:
    return load_policy()


@pytest.fixture(scope="module")
def city():
    return parse_file(CITY)


# --- the corpus ------------------------------------------------------------------------------


def test_corpus_reads_at_the_promised_accuracy() -> None:
    figures = reading_figures(CORPUS)
    assert figures["documents"] >= 40
    assert len(figures["conventions"]) >= 4
    assert {"province", "city", "street", "town", "bureau"} <= set(figures["levels"])
    assert {"district", "county"} & set(figures["levels"])
    wrong = "\n".join(f"{k}: {v}" for k, vs in figures["wrong"].items() for v in vs)
    # The issue asks 98% / 97% / 97%; the corpus (the three blind holdouts included) reads whole.
    assert figures["header_accuracy"] >= 1.0, wrong
    assert figures["unit_accuracy"] >= 1.0, wrong
    assert figures["deadline_accuracy"] >= 1.0, wrong
    assert figures["item_count_accuracy"] >= 1.0, wrong


# --- headers: the cases of issue 10 ----------------------------------------------------------


def _changning_lines() -> list[str]:
    return CHANGNING.read_text(encoding="utf-8").splitlines()


def _draft_without_red_head() -> str:
    """A draft as offices file it: the issuing office on the first line, no 文件, no 文号, no notice."""
    lines = _changning_lines()
    title_at = next(i for i, x in enumerate(lines) if x.startswith("2026年上海市长宁区加强政策公开 "))
    return "\n".join(["上海市长宁区人民政府办公室", ""] + lines[title_at:]) + "\n"


def test_draft_whose_first_line_is_the_district_office(city, policy) -> None:
    doc = parse_bytes(_draft_without_red_head().encode("utf-8"), "draft.txt")
    assert (doc.level, doc.place, doc.kind, doc.issuer) == ("district", "长宁区", "district", "上海市长宁区人民政府办公室")
    assert doc.doc_number is None and len(doc.items) == 22
    result = check_plan(doc, city, policy=policy)
    assert sum(row.binding for row in result.coverage) == 22
    assert [f.units for f in result.findings if f.code == "UNKNOWN_UNIT"] == [["区域运中心"]]


@pytest.mark.parametrize(
    ("title", "place", "level", "kind"),
    [
        ("2024年上海市长宁区政务公开工作要点", "长宁区", "district", "district"),
        ("2025年长宁区政务公开工作要点", "长宁区", "district", "district"),
        ("2025年新泾镇政务公开工作要点", "新泾镇", "unit", "town"),
        ("长宁区经济委员会2025年政务公开工作要点", "长宁区", "unit", "bureau"),
        ("2025年上海市政务公开工作要点", "上海市", "municipal", "city"),
        ("2025年山东省政务公开工作要点", "山东省", "province", "province"),
        ("2025年西坪县政务公开工作要点", "西坪县", "district", "county"),
        ("2025年江苏路街道政务公开工作要点", "江苏路街道", "unit", "street"),
        # 市容 is a bureau's word, not a 市 inside a district (places only nest inwards)
        ("上海市长宁区绿化市容局2026年政务公开工作计划", "长宁区", "unit", "bureau"),
        ("徐汇区绿化市容局2026年政务公开工作计划", "徐汇区", "unit", "bureau"),
        # the office that issues the district's plans, writing its own plan
        ("上海市长宁区人民政府办公室2026年政务公开工作计划", "长宁区", "unit", "bureau"),
    ],
)
def test_place_and_level_from_the_title(title: str, place: str, level: str, kind: str) -> None:
    text = f"{title}\n\n一、总体要求\n\n1.做好政策发布。（责任单位：办公室）\n\n2.做好政策解读。（责任单位：办公室）\n"
    doc = parse_bytes(text.encode("utf-8"), "t.txt")
    assert (doc.title, doc.place, doc.level, doc.kind) == (title, place, level, kind)


def test_a_cited_title_is_the_parent_not_the_title() -> None:
    text = (
        "2025年长宁区政务公开工作要点（征求意见稿）\n\n"
        "为深入贯彻落实党中央、国务院和市委、市政府关于政务公开的部署，根据《2025年上海市政务公开工作要点》"
        "（沪府办字〔2025〕5号）有关要求，结合本区实际，制定本工作要点。\n\n一、总体要求\n\n"
        "1.做好政策发布。（责任单位：区府办）\n\n2.做好政策解读。（责任单位：各部门）\n\n"
        "长宁区人民政府办公室\n2025年4月23日\n"
    )
    doc = parse_bytes(text.encode("utf-8"), "t.txt")
    assert doc.title == "2025年长宁区政务公开工作要点" and doc.draft
    assert (doc.parent_title, doc.parent_doc_number) == ("2025年上海市政务公开工作要点", "沪府办字〔2025〕5号")
    assert doc.doc_number is None
    assert (doc.issuer, doc.issue_date.isoformat()) == ("长宁区人民政府办公室", "2025-04-23")
    assert (doc.level, doc.place) == ("district", "长宁区")


def test_county_level_city_answers_a_city_plan() -> None:
    text = (
        "临塘市人民政府办公室\n\n2025年临塘市政务公开工作要点\n\n根据《2025年泉河市政务公开工作要点》，制定本要点。\n\n"
        "一、总体\n\n1.做好政策发布。（责任单位：市政府办公室）\n\n2.做好解读。（责任单位：市直各部门）\n"
    )
    doc = parse_bytes(text.encode("utf-8"), "t.txt")
    assert (doc.level, doc.place, doc.kind) == ("district", "临塘市", "county_city")


# --- punctuation forms -------------------------------------------------------------------------


def test_web_copy_of_changning_reads_the_same(tmp_path: Path) -> None:
    """ASCII punctuation, `??` indentation: the same items, units and deadlines as the original."""
    original = parse_file(CHANGNING)
    ascii_text = CHANGNING.read_text(encoding="utf-8").translate(
        str.maketrans({"，": ",", "：": ":", "（": "(", "）": ")", "；": ";"})
    )
    damaged = "\n".join("??" + x if x.strip() else x for x in ascii_text.splitlines())
    copy = parse_bytes(damaged.encode("utf-8"), "web.txt")
    assert (copy.title, copy.place, copy.level, copy.doc_number) == (
        original.title, original.place, original.level, original.doc_number)
    assert len(copy.items) == len(original.items) == 22
    for a, b in zip(original.items, copy.items, strict=True):
        assert [(u.name, u.role) for u in a.units] == [(u.name, u.role) for u in b.units], a.number
        assert [d.phrase for d in a.deadlines] == [d.phrase for d in b.deadlines], a.number


def test_deadline_inside_the_units_bracket_is_a_deadline_not_a_unit() -> None:
    text = (
        "2025年长宁区政务公开工作要点\n\n一、总体\n\n"
        "1.做好政策发布。(责任单位:区府办、各部门,完成时限:全年)\n\n"
        "2.做好政策解读。（区府办牵头,相关单位配合）\n\n"
        "3落实本市政策集成发布要求。（责任科室：综合科；完成时限：6月底前）\n"
    )
    doc = parse_bytes(text.encode("utf-8"), "t.txt")
    assert [i.number for i in doc.items] == [1, 2, 3]
    assert [(u.name, u.role) for u in doc.item(1).units] == [("区府办", "responsible"), ("各部门", "responsible")]
    assert [d.phrase for d in doc.item(1).deadlines] == ["全年"]
    assert [(u.name, u.role) for u in doc.item(2).units] == [("区府办", "lead"), ("相关单位", "cooperating")]
    assert [(u.name, u.role) for u in doc.item(3).units] == [("综合科", "responsible")]
    assert [d.phrase for d in doc.item(3).deadlines] == ["6月底前"]


# --- the check on places without a registry and on documents that are not its parent ----------


def test_place_without_registry_gives_one_info_finding(policy) -> None:
    doc = parse_file(CORPUS / "17-sd-district.txt")
    assert doc.place == "东岭区"
    result = check_plan(doc, None, policy=policy)
    assert not [f for f in result.findings if f.code == "UNKNOWN_UNIT"]
    info = [f for f in result.findings if f.code == "NO_REGISTRY"]
    assert len(info) == 1 and info[0].severity == "info" and "东岭区" in info[0].message
    assert info[0].evidence["rule"] == "gongkai_assignment.no_registry"


def test_directive_binding_nothing_says_so(policy) -> None:
    # A city plan none of whose items names 各区政府 or a district government.
    text = CITY.read_text(encoding="utf-8")
    for name in ("各区政府", "各试点区政府", "浦东新区政府"):
        text = text.replace(name, "市政府各部门")
    directive = parse_bytes(text.encode("utf-8"), "city.txt")
    result = check_plan(parse_file(CHANGNING), directive, policy=policy)
    assert not any(row.binding for row in result.coverage)
    warned = [f for f in result.findings if f.code == "NO_BINDING_ITEMS"]
    assert len(warned) == 1 and warned[0].severity == "warning" and "长宁区" in warned[0].message


def test_plan_not_below_its_directive_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="不低于所对照的上级文件"):
        check_documents(str(JINGAN), str(CHANGNING), policy=load_policy(), db=str(tmp_path / "g.db"), save=False)
    runner = CliRunner()
    out = runner.invoke(app, ["check", str(CITY), "--against", str(CHANGNING), "--db", str(tmp_path / "g.db")])
    assert out.exit_code == 2
    assert "不低于所对照的上级文件" in out.output and len(out.output.strip().splitlines()) == 1


def test_stored_parent_is_the_one_the_preamble_cites(tmp_path: Path) -> None:
    from pipeline.checks import find_parent
    from pipeline.ingest import ingest_files
    from store import open_store

    store = open_store(str(tmp_path / "p.db"))
    # Two city plans of 2025 from two provinces, the other province's the newer; the district plan
    # cites its own city's.
    other = tmp_path / "zj-city.txt"
    other.write_text((CORPUS / "23-zj-city.txt").read_text(encoding="utf-8").replace("2025年4月2日", "2025年5月20日"),
                     encoding="utf-8")
    ingest_files(store, [CORPUS / "16-sd-city-webcopy.txt", other])
    plan = parse_file(CORPUS / "17-sd-district.txt")
    assert plan.parent_title == "2025年泉河市政务公开工作要点"
    plan.issue_date = plan.issue_date.replace(month=6)  # issued after both (the corpus dates are arbitrary)
    with store.transaction() as session:
        parent = find_parent(session, plan)
        assert parent is not None and parent.place == "泉河市"


def test_other_provinces_collectives_bind_the_level_below(policy) -> None:
    city = parse_file(CORPUS / "16-sd-city-webcopy.txt")
    district = parse_file(CORPUS / "17-sd-district.txt")
    result = check_plan(district, city, policy=policy)
    named = {i.number for i in city.items if any(u.name == "各区、市政府" for u in i.units)}
    assert named, "the Shandong city plan names 各区、市政府"
    assert {row.directive_item for row in result.coverage if row.binding} == named
    province = parse_file(CORPUS / "h12-gd-province-headings.txt")
    result = check_plan(parse_file(CORPUS / "35-gd-city.txt"), province, policy=policy)
    named = {i.number for i in province.items if any(u.name == "各地级以上市人民政府" for u in i.units)}
    assert named and {row.directive_item for row in result.coverage if row.binding} == named


# --- forms the first blind holdout found misread (documents written here, in published forms) --


def _doc(text: str):  # noqa: ANN202 - a Document
    return parse_bytes(text.encode("utf-8"), "t.txt")


_BODY = "一、总体要求\n\n1.做好政策发布。（责任单位：区府办）\n\n2.做好政策解读。（责任单位：各部门）\n"


@pytest.mark.parametrize(
    "crumb", ["首页 > 政务公开 > 政府文件", "首页>政务公开>政府信息公开", "当前位置：首页 > 政务公开 > 通知公告"]
)
def test_breadcrumb_is_not_the_issuer(crumb: str) -> None:
    doc = _doc(
        f"{crumb}\n经区政府同意，现将《2025年北塘区政务公开工作要点》印发给你们，请认真贯彻执行。\n"
        "北塘区人民政府办公室\n2025年4月8日\n2025年北塘区政务公开工作要点\n" + _BODY
    )
    assert (doc.issuer, doc.issue_date.isoformat()) == ("北塘区人民政府办公室", "2025-04-08")
    assert (doc.title, doc.place, doc.level) == ("2025年北塘区政务公开工作要点", "北塘区", "district")


@pytest.mark.parametrize(
    ("title_lines", "draft"),
    [
        ("2025年柳川县政务公开工作要点\n（征求意见稿）", True),
        ("2025年柳川县政务公开工作要点（送审稿）", True),
        ("2025年柳川县政务公开工作要点草案", True),
        ("2025年柳川县政务公开工作要点", False),
    ],
)
def test_draft_mark_only_in_the_title_area(title_lines: str, draft: bool) -> None:
    # Items that speak of 征求意见 and 决策草案 do not make the plan a draft.
    doc = _doc(
        f"{title_lines}\n\n一、决策公开\n\n1.决策草案公开征求意见时间一般不少于30日。（责任单位：县司法局）\n\n"
        "2.重大行政决策草案征求意见稿在门户网站公开。（责任单位：县政府各部门）\n"
    )
    assert doc.draft is draft
    assert doc.title == "2025年柳川县政务公开工作要点"


@pytest.mark.parametrize(
    "adopted",
    [
        "（2025年6月3日市政府第21次常务会议审议通过）",
        "(2025年6月3日市政府第21次常务会议讨论通过)",
        "本要点已经2025年6月3日市政府第21次常务会议审议通过，现印发实施。",
    ],
)
def test_adoption_line_gives_the_date(adopted: str) -> None:
    doc = _doc(f"2025年芦湾市政务公开工作要点\n\n{adopted}\n\n" + _BODY)
    assert doc.issue_date is not None and doc.issue_date.isoformat() == "2025-06-03"


def test_a_cited_meeting_date_in_running_text_is_not_the_date() -> None:
    doc = _doc(
        "2025年芦湾市政务公开工作要点\n\n一、总体要求\n\n"
        "1.落实2025年3月2日市政府常务会议审议通过的政策清单。（责任单位：市府办）\n\n2.做好解读。（责任单位：各部门）\n"
    )
    assert doc.issue_date is None


@pytest.mark.parametrize(
    ("red_head", "heading", "signature", "issuer"),
    [
        ("芦湾省人民政府办公厅文件", "省政府办公厅关于印发", "芦湾省人民政府办公厅", "芦湾省人民政府办公厅"),
        ("芦湾市北塘区人民政府办公室文件", "区政府办公室关于印发", "芦湾市北塘区人民政府办公室", "芦湾市北塘区人民政府办公室"),
        ("", "南岗镇人民政府关于印发", "柳川县南岗镇人民政府", "柳川县南岗镇人民政府"),
        ("柳川县人民政府办公室文件", "县政府办关于印发", "柳川县人民政府办公室", "柳川县人民政府办公室"),
        ("", "区府办关于印发", "北塘区人民政府办公室", "北塘区人民政府办公室"),
        # the heading prints the fuller name: it stays
        ("", "芦湾市北塘区人民政府办公室关于印发", "北塘区人民政府办公室", "芦湾市北塘区人民政府办公室"),
    ],
)
def test_full_issuer_over_a_short_form_heading(red_head: str, heading: str, signature: str, issuer: str) -> None:
    doc = _doc(
        f"{red_head}\n\n{heading}《2025年政务公开工作要点》的通知\n\n各有关单位：\n\n现将《2025年政务公开工作要点》印发给你们。\n\n"
        f"{signature}\n2025年4月2日\n\n2025年政务公开工作要点\n\n" + _BODY
    )
    assert doc.issuer == issuer


def _items(body: str):  # noqa: ANN202 - the parsed document
    return _doc(f"2025年北塘区政务公开工作要点\n\n2025年4月1日\n\n一、总体要求\n\n{body}")


def _units(item) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(u.name, u.role) for u in item.units]


def test_adjacent_unit_brackets_are_all_read() -> None:
    doc = _items(
        "1.做好惠企政策发布，一是汇总发布政策清单；二是建立政策链接。（区经委牵头，区财政局配合）（各街道负责）\n\n"
        "2.做好政策解读。（牵头单位：区府办）（配合单位：区融媒体中心）\n\n"
        # a remark in brackets before the clause is not a unit
        "3.做好片区政策集中发布（含北塘新片区）（责任单位：区商务委）。\n"
    )
    assert _units(doc.item(1)) == [("区经委", "lead"), ("区财政局", "cooperating"), ("各街道", "responsible")]
    assert _units(doc.item(2)) == [("区府办", "lead"), ("区融媒体中心", "cooperating")]
    assert _units(doc.item(3)) == [("区商务委", "responsible")]


def test_names_under_a_label_keep_its_role_before_a_comma() -> None:
    doc = _items(
        "1.做好执法公示。（责任科室：执法科，各业务科室配合，完成时限：全年）\n\n"
        "2.做好政策解读。（责任单位：区府办、区司法局，各部门协助）\n\n"
        # without a label, names across a comma share the verb that closes them
        "3.做好执法信息公开。（区司法局牵头，区政府各部门，各街道配合）\n"
    )
    assert _units(doc.item(1)) == [("执法科", "responsible"), ("各业务科室", "cooperating")]
    assert _units(doc.item(2)) == [("区府办", "responsible"), ("区司法局", "responsible"), ("各部门", "cooperating")]
    assert _units(doc.item(3)) == [("区司法局", "lead"), ("区政府各部门", "cooperating"), ("各街道", "cooperating")]


def test_towns_and_streets_as_one_collective() -> None:
    doc = _items(
        "1.规范公开专区。（责任单位：区住建局牵头，各镇、街道配合）\n\n"
        "2.更新公开目录。（责任单位：各街道、镇）\n\n"
        "3.做好村务公开。（各乡镇人民政府、街道办事处负责）\n"
    )
    assert _units(doc.item(1)) == [("区住建局", "lead"), ("各镇、街道", "cooperating")]
    assert _units(doc.item(2)) == [("各街道、镇", "responsible")]
    assert _units(doc.item(3)) == [("各乡镇人民政府", "responsible"), ("街道办事处", "responsible")]
    assert all(u.collective for u in doc.item(1).units[1:] + doc.item(2).units)


def _phrases(item) -> list[str]:  # noqa: ANN001
    return [d.phrase for d in item.deadlines]


def test_frequencies_written_with_an_are_deadlines() -> None:
    doc = _items(
        "1.做好重点项目公开，按季度发布建设进度。（责任单位：区发改委）\n\n"
        "2.做好统计数据发布，按月发布主要指标，按季度开展解读。（责任单位：区统计局）\n\n"
        "3.做好补贴公开，按季度公开发放情况。（责任单位：区农业农村委，完成时限：每季度）\n\n"
        "4.做好年度报告，每年1月底前发布上年度报告，每半年更新一次目录。（责任单位：区府办）\n\n"
        "5.按年龄段做好适老化改造信息公开。（责任单位：区民政局）\n"
    )
    assert _phrases(doc.item(1)) == ["按季度"]
    assert _phrases(doc.item(2)) == ["按月", "按季度"]
    assert [d.period for d in doc.item(2).deadlines] == ["month", "quarter"]
    assert _phrases(doc.item(3)) == ["每季度"]  # one frequency, written twice
    assert _phrases(doc.item(4)) == ["每年1月底前", "每半年"]
    assert _phrases(doc.item(5)) == []


def test_event_deadline_starts_at_the_event_verb() -> None:
    doc = _items(
        "1.做好政策解读，重要政策出台后3个工作日内发布解读材料。（责任单位：各部门）\n\n"
        "2.部门预算在批准后20日内公开。（责任单位：区财政局）\n\n"
        "3.执法决定作出之日起7个工作日内公示。（责任单位：区司法局）\n\n"
        "4.各部门于本工作要点印发之日起30日内报送计划。（责任单位：各部门）\n"
    )
    (first,) = doc.item(1).deadlines
    assert (first.phrase, first.kind, first.event) == ("出台后3个工作日内", "event", "重要政策出台")
    assert _phrases(doc.item(2)) == ["批准后20日内"]
    assert _phrases(doc.item(3)) == ["作出之日起7个工作日内"]
    (own,) = doc.item(4).deadlines  # the plan's own publication keeps its name and has a date
    assert (own.phrase, own.kind, own.due.isoformat()) == ("本工作要点印发之日起30日内", "relative", "2025-05-01")


def test_month_with_an_event_keeps_the_event() -> None:
    doc = _items(
        "1.做好校园周边整治公开，9月开学前公布整治结果。（责任单位：区教育局）\n\n"
        "2.做好供暖信息公开，10月底前公布供暖安排。（责任单位：区住建局）\n"
    )
    (first,) = doc.item(1).deadlines
    assert (first.phrase, first.due.isoformat()) == ("9月开学前", "2025-08-31")
    assert _phrases(doc.item(2)) == ["10月底前"]


def test_a_district_plan_issued_by_the_district_office_stays_a_district_plan() -> None:
    # the office issues the district's plan (its name on the heading and the signature), but the
    # plan's title names the district, not the office: a district plan
    doc = _doc(
        "上海市长宁区人民政府办公室\n\n2026年长宁区政务公开工作要点\n\n" + _BODY
        + "\n上海市长宁区人民政府办公室\n2026年4月20日\n"
    )
    assert (doc.place, doc.level, doc.kind) == ("长宁区", "district", "district")


def test_the_district_office_own_plan_is_a_units_plan() -> None:
    # the same office, signing its own plan: the title names the office as its subject
    doc = _doc(
        "上海市长宁区人民政府办公室2026年政务公开工作计划\n\n" + _BODY
        + "\n上海市长宁区人民政府办公室\n2026年4月20日\n"
    )
    assert doc.issuer == "上海市长宁区人民政府办公室"
    assert (doc.place, doc.level, doc.kind) == ("长宁区", "unit", "bureau")


# --- forms the second blind holdout found refused ----------------------------------------------


def test_town_plan_with_tasks_at_the_bracket_level_citing_a_task_list() -> None:
    # The preamble cites the district's 任务清单 in a sentence: that is not the title of a table
    # below the body, and the （一） headings are the tasks.
    doc = _doc(
        "北塘区青禾镇人民政府关于印发《2025年青禾镇政务公开工作要点》的通知\n\n各村（社区）：\n\n"
        "现将《2025年青禾镇政务公开工作要点》印发给你们。\n\n北塘区青禾镇人民政府\n2025年5月8日\n\n"
        "2025年青禾镇政务公开工作要点\n\n"
        "根据《北塘区2025年政务公开重点任务清单》要求，结合本镇实际，制定本要点。\n\n"
        "一、做好惠民信息公开\n\n"
        "（一）做好救助资金公开。按季度公开临时救助发放情况。（责任部门：镇民政办）\n\n"
        "（二）做好农房改造公开。10月底前公示补助对象。（责任部门：镇建设办牵头，各村（社区）配合）\n\n"
        "二、做好基层公开规范化\n\n"
        "（三）更新镇级公开目录。（责任部门：镇党政办；完成时限：持续推进）\n"
    )
    assert (doc.level, doc.kind, doc.place, doc.parent_title) == ("unit", "town", "北塘区", "北塘区2025年政务公开重点任务清单")
    assert [_units(i) for i in doc.items] == [
        [("镇民政办", "responsible")],
        [("镇建设办", "lead"), ("各村（社区）", "cooperating")],
        [("镇党政办", "responsible")],
    ]
    assert [_phrases(i) for i in doc.items] == [["按季度"], ["10月底前"], []]


def test_table_flattened_with_bars_is_read_as_its_numbered_cells() -> None:
    # A web page flattened the 分工方案 table: `工作任务 | 具体要求 | 责任单位 |`, section rows, the
    # task cell only on the first row of its group. The numbered 具体要求 cells are the items.
    doc = _doc(
        "北塘市2025年政务公开工作要点分工方案\n\n2025年4月20日\n\n"
        "工作任务 | 具体要求 | 责任单位 | 完成时限 |\n"
        "一、做好政策公开 |\n"
        "（一）做好惠企政策公开。 | 1.集中发布惠企政策清单。 | 市工信局牵头，市有关单位配合 | 6月底前 |\n"
        "2.按月更新政策兑现情况。 | 市财政局 | / |\n"
        "二、做好平台建设 |\n"
        "（二）做好网站建设。 | 3.完成政府网站适老化改造。 | 市政务服务数据管理局，各区政府 | 9月底前 |\n"
    )
    assert doc.layout == "running_text"
    assert [_units(i) for i in doc.items] == [
        [("市工信局", "lead"), ("市有关单位", "cooperating")],
        [("市财政局", "responsible")],
        [("市政务服务数据管理局", "responsible"), ("各区政府", "responsible")],
    ]
    assert [_phrases(i) for i in doc.items] == [["6月底前"], ["按月"], ["9月底前"]]
    assert doc.item(3).section_path[0] == "二、做好平台建设"


def test_table_one_row_a_line_with_an_empty_continuation_cell() -> None:
    # Copied from a word processor: TAB-separated cells; row 2 leaves its 工作任务 cell empty (the
    # task above continues); the signature after the table is not part of the last row.
    doc = _doc(
        "北塘区卫生健康局2025年政务公开重点任务清单\n\n"
        "序号\t工作任务\t具体要求\t责任股室\t时限要求\n"
        "1\t医疗服务信息公开\t公开医疗机构名录和服务价格\t医政股\t2025年5月底前\n"
        "2\t\t公开家庭医生签约服务内容\t基层卫生股牵头，各卫生院配合\t持续推进\n"
        "3\t公开平台建设\t更新本局信息公开指南\t办公室\t全年\n\n"
        "北塘区卫生健康局\n2025年4月2日\n"
    )
    assert (doc.layout, doc.kind, doc.issuer) == ("task_table", "bureau", "北塘区卫生健康局")
    assert [_units(i) for i in doc.items] == [
        [("医政股", "responsible")],
        [("基层卫生股", "lead"), ("各卫生院", "cooperating")],
        [("办公室", "responsible")],
    ]
    assert [_phrases(i) for i in doc.items] == [["2025年5月底前"], [], ["全年"]]
    assert doc.item(2).text.startswith("医疗服务信息公开。")


def test_table_one_cell_a_line_ending_in_a_signature_and_a_date_without_day() -> None:
    doc = _doc(
        "北塘区青禾街道办事处\n\n青禾街道2025年政务公开工作任务分解表\n\n"
        "序号\n任务内容\n责任科室\n完成时限\n"
        "1\n做好街道预决算信息公开\n财务办\n按区统一时限\n"
        "2\n规范受理服务中心公开专区\n社区事务受理服务中心、党政办公室\n持续推进\n\n"
        "北塘区青禾街道办事处\n2025年5月\n"
    )
    assert [_units(i) for i in doc.items] == [
        [("财务办", "responsible")],
        [("社区事务受理服务中心", "responsible"), ("党政办公室", "responsible")],
    ]
    assert [_phrases(i) for i in doc.items] == [[], []]


def test_web_copy_of_a_plan_issued_by_the_leading_groups_office() -> None:
    # The site's name first, a [bracketed] metadata block holding the 文号, the district's 政务公开
    # 领导小组办公室 issuing (a bureau seals for it: 代章) a plan titled with the district's name.
    doc = _doc(
        "北塘市青川区人民政府\n[索引号] 000/2025-12\n[发文机构] 区政务公开领导小组办公室\n"
        "[发文字号] 青政务公开办〔2025〕2号\n[发布日期] 2025-04-10\n"
        "青川区政务公开领导小组办公室关于印发《北塘市青川区2025年政务公开工作要点》的通知\n"
        "各街道办事处：\n现将《北塘市青川区2025年政务公开工作要点》印发给你们。\n"
        "青川区政务公开领导小组办公室\n（北塘市青川区政务服务管理局代章）\n2025年4月9日\n"
        "北塘市青川区2025年政务公开工作要点\n一、做好民生信息公开\n"
        "1.做好助残政策公开。（民政局、残联负责落实，完成时限：2025年10月）\n"
        "2.做好教育政策公开。（教委负责落实）\n"
    )
    assert (doc.doc_number, doc.issuer) == ("青政务公开办〔2025〕2号", "青川区政务公开领导小组办公室")
    assert (doc.level, doc.kind, doc.place) == ("district", "district", "青川区")
    assert _units(doc.item(1)) == [("民政局", "responsible"), ("残联", "responsible")]
    assert _phrases(doc.item(1)) == ["2025年10月"]


def test_a_bureaus_own_plan_stays_the_bureaus() -> None:
    doc = _doc(
        "北塘市青川区教育局关于印发《青川区教育局2025年政务公开工作要点》的通知\n\n各学校：\n\n"
        "现将《青川区教育局2025年政务公开工作要点》印发给你们。\n\n北塘市青川区教育局\n2025年4月9日\n\n"
        "青川区教育局2025年政务公开工作要点\n\n" + _BODY
    )
    assert (doc.level, doc.kind, doc.place) == ("unit", "bureau", "青川区")


def test_parents_cited_by_their_notices() -> None:
    # The preamble cites the province's and the city's plans by their notices' titles: the parent
    # is the last plan cited (the city's), with its 文号.
    doc = _doc(
        "北塘市青川区人民政府办公室\n关于印发2025年青川区政务公开工作要点的通知\n\n青政办发〔2025〕3号\n\n"
        "各街道办事处：\n\n现将《2025年青川区政务公开工作要点》印发给你们。\n\n北塘市青川区人民政府办公室\n2025年5月6日\n\n"
        "2025年青川区政务公开工作要点\n\n"
        "全区政务公开工作要认真落实《东川省人民政府办公厅关于印发2025年东川省政务公开工作要点的通知》"
        "（东政办发〔2025〕4号）和《北塘市人民政府办公室关于印发2025年北塘市政务公开工作要点的通知》"
        "（北政办字〔2025〕8号）要求。\n\n" + _BODY
    )
    assert (doc.parent_title, doc.parent_doc_number) == ("2025年北塘市政务公开工作要点", "北政办字〔2025〕8号")
    assert (doc.title, doc.level, doc.place) == ("2025年青川区政务公开工作要点", "district", "青川区")


def test_event_deadline_starts_at_the_verb_closest_to_it() -> None:
    # The subject, what it does first and the enumerator stay out of the phrase (they stay in
    # `event`): the phrase is the event's last verb and the count.
    doc = _items(
        "1.做好处罚信息公开，处罚决定依法在决定书送达后7个工作日内公示。（责任单位：区司法局）\n\n"
        "2.做好备案公开，备案结果在作出后5个工作日内公开。（责任单位：区司法局）\n\n"
        "3.做好工程公开，一是公开招标信息；二是项目竣工验收后15个工作日内公开验收结果。（责任单位：区住建局）\n\n"
        "4.做好补贴公开，补贴发放后15日内公示名单。（责任单位：区农业农村委）\n\n"
        "5.做好规划公开，规划草案审议通过后10个工作日内公布。（责任单位：区规划资源局）\n"
    )
    assert [_phrases(i) for i in doc.items] == [
        ["送达后7个工作日内"], ["作出后5个工作日内"], ["验收后15个工作日内"], ["发放后15日内"], ["审议通过后10个工作日内"]
    ]
    assert doc.item(3).deadlines[0].event == "项目竣工验收"


def test_office_with_another_name_in_brackets_is_named_by_the_first() -> None:
    # Zhejiang prints an office's second name after it (〔〕 or （）); a collective's bracket is part
    # of its name, and 〔〕 in a name is the same name as （）.
    doc = _items(
        "1.做好防汛信息发布。（责任单位：镇应急办〔镇防汛防台指挥部办公室〕，各村〔社区〕）\n\n"
        "2.规范便民服务专区。（镇党政办（镇便民服务中心）牵头，各市、县〔市、区〕政府配合）\n"
    )
    first = doc.item(1).units
    assert [(u.name, u.alias, u.role) for u in first] == [
        ("镇应急办", "镇防汛防台指挥部办公室", "responsible"),
        ("各村（社区）", None, "responsible"),
    ]
    assert [(u.name, u.alias, u.role) for u in doc.item(2).units] == [
        ("镇党政办", "镇便民服务中心", "lead"),
        ("各市、县（市、区）政府", None, "cooperating"),
    ]
    assert normalize_name("各市、县〔市、区〕政府") == normalize_name("各市、县(市、区)政府") == "各市、县（市、区）政府"


def test_numbered_table_flattened_with_bars_keeps_its_continuation_cells() -> None:
    # With a 序号 column the flattened rows are cells; an empty task cell continues the row above.
    doc = _doc(
        "北塘区2025年政务公开任务分解表\n\n2025年4月20日\n\n"
        "序号 | 工作任务 | 具体要求 | 责任单位 | 完成时限 |\n"
        "|---|---|---|---|---|\n"
        "1 | 政策公开 | 集中发布惠企政策清单。 | 区经委牵头，区有关单位配合 | 6月底前 |\n"
        "2 | | 按月更新政策兑现情况。 | 区财政局 | 全年 |\n"
        "3 | 平台建设 | 完成政府网站适老化改造。 | 区数据局 | 9月底前 |\n"
    )
    assert doc.layout == "task_table"
    assert [_units(i) for i in doc.items] == [
        [("区经委", "lead"), ("区有关单位", "cooperating")], [("区财政局", "responsible")], [("区数据局", "responsible")]
    ]
    assert [sorted(_phrases(i)) for i in doc.items] == [["6月底前"], ["全年", "按月"], ["9月底前"]]
    assert doc.item(2).text == "政策公开。按月更新政策兑现情况。"


def test_signature_above_a_seal_note_is_the_issuer() -> None:
    doc = _doc(
        "2025年青川区政务公开工作要点\n\n" + _BODY + "\n青川区政务公开领导小组办公室\n（青川区政务服务管理局代章）\n2025年4月9日\n"
    )
    assert (doc.issuer, doc.issue_date.isoformat()) == ("青川区政务公开领导小组办公室", "2025-04-09")
    assert (doc.level, doc.kind, doc.place) == ("district", "district", "青川区")


def test_table_one_cell_a_line_with_a_merged_task_cell() -> None:
    # A web table's merged (rowspan) 工作任务 cell is printed on its first row only.
    doc = _doc(
        "北塘区2025年政务公开任务分解表\n\n2025年4月20日\n\n"
        "序号\n工作任务\n具体要求\n责任单位\n完成时限\n"
        "1\n政策公开\n集中发布惠企政策清单\n区经委\n6月底前\n"
        "2\n按季度更新政策兑现情况\n区财政局\n全年\n"
        "3\n平台建设\n完成政府网站适老化改造\n区数据局\n9月底前\n"
    )
    assert [_units(i) for i in doc.items] == [[("区经委", "responsible")], [("区财政局", "responsible")], [("区数据局", "responsible")]]
    assert [sorted(_phrases(i)) for i in doc.items] == [["6月底前"], ["全年", "按季度"], ["9月底前"]]
    assert doc.item(2).text == "政策公开。按季度更新政策兑现情况。"


def test_table_one_cell_a_line_with_an_empty_deadline_cell_is_read_a_cut_row_is_refused() -> None:
    head = "北塘区2025年政务公开任务分解表\n\n2025年4月20日\n\n序号\n工作任务\n责任单位\n完成时限\n"
    rows = "1\n集中发布惠企政策清单\n区经委\n按区统一时限\n2\n按季度更新政策兑现情况\n区财政局、区经委\n"
    doc = _doc(head + rows)  # the last row's deadline cell is empty: the row ends with its units
    assert [_units(i) for i in doc.items] == [
        [("区经委", "responsible")], [("区财政局", "responsible"), ("区经委", "responsible")]
    ]
    assert [_phrases(i) for i in doc.items] == [[], ["按季度"]]
    with pytest.raises(DocumentError, match="第2项表格行缺少责任单位和完成时限"):
        _doc(head + "1\n集中发布惠企政策清单\n区经委\n6月底前\n2\n按季度更新政策兑现情况\n")


# --- forms the third blind holdout found misread or refused ---------------------------------------


def test_table_one_cell_a_line_with_a_bar_line_after_every_cell() -> None:
    # A web copy of a table prints each cell on its own line followed by a `|` line; the parent the
    # notice cites is a 任务分工 (not a 要点).
    cells = [
        "序号", "工作任务", "责任单位", "完成时限",
        "1", "集中发布惠企政策清单", "市经信局牵头，市财政局配合", "6月底前",
        "2", "按月公开救助资金发放情况", "市民政局，各县（市、区）政府", "持续推进",
    ]  # fmt: skip
    doc = _doc(
        "北塘市人民政府办公室关于印发北塘市2025年政务公开工作任务分解的通知\n北政办〔2025〕3号\n"
        "各县（市、区）人民政府：\n为贯彻落实《2025年东川省政务公开重点工作任务分工》，现印发给你们。\n"
        "北塘市人民政府办公室\n2025年4月9日\n北塘市2025年政务公开工作任务分解\n"
        + "".join(f"{c}\n|\n" for c in cells)
    )
    assert (doc.layout, doc.parent_title) == ("task_table", "2025年东川省政务公开重点工作任务分工")
    assert [_units(i) for i in doc.items] == [
        [("市经信局", "lead"), ("市财政局", "cooperating")],
        [("市民政局", "responsible"), ("各县（市、区）政府", "responsible")],
    ]
    assert [_phrases(i) for i in doc.items] == [["6月底前"], ["按月"]]


@pytest.mark.parametrize(
    "first, second", [("（1）", "（2）"), ("(1)", "(2)"), ("1）", "2）"), ("⑴", "⑵"), ("①", "②")]
)
def test_items_numbered_in_brackets(first: str, second: str) -> None:
    # A town's or bureau's plan numbers its tasks （1）（2）…, (1)(2)…, 1）2）… or ①②… under 一、 sections.
    doc = _items(
        f"{first}公示低保审核结果，每月更新一次。（镇民政办负责，各村（社区）配合）\n\n"
        "二、夯实基础\n\n"
        f"{second}更新公开事项目录，9月底前完成。(责任科室:党政办,配合:各科室)\n"
    )
    assert [i.number for i in doc.items] == [1, 2]
    assert [_units(i) for i in doc.items] == [
        [("镇民政办", "responsible"), ("各村（社区）", "cooperating")],
        [("党政办", "responsible"), ("各科室", "cooperating")],
    ]
    assert [_phrases(i) for i in doc.items] == [["每月"], ["9月底前"]]
    assert doc.item(2).section_path == ["二、夯实基础"]


@pytest.mark.parametrize("first, second", [("（1）", "（2）"), ("1）", "2）"), ("①", "②")])
def test_bracketed_sub_tasks_inside_numbered_items_are_not_items(first: str, second: str) -> None:
    # Sub-tasks on lines of their own continue their item, with the units' bracket after the last.
    doc = _items(
        f"1.做好政策公开：\n{first}发布政策清单；\n{second}做好政策解读。（责任单位：区府办）\n\n"
        "2.做好平台建设。（责任单位：区数据局）\n"
    )
    assert [i.number for i in doc.items] == [1, 2]
    assert [_units(i) for i in doc.items] == [[("区府办", "responsible")], [("区数据局", "responsible")]]
    assert doc.item(1).text == f"做好政策公开：{first}发布政策清单；{second}做好政策解读。"


def test_roles_written_with_manner_words_review_and_central_units() -> None:
    doc = _items(
        # each named unit leads its own part
        "1.集中公开涉企政策清单。（区经委、区财政局按职责分工分别牵头落实）\n\n"
        # an office that reviews is responsible too
        "2.同步发布政策解读。（各起草部门负责，区府办审核）\n\n"
        "3.公开通关便利化措施。（区商务委牵头，北塘海关、区口岸办配合）\n\n"
        "4.汛期每日发布雨情信息。（区水务局负责）\n"
    )
    assert [_units(i) for i in doc.items] == [
        [("区经委", "lead"), ("区财政局", "lead")],
        [("各起草部门", "responsible"), ("区府办", "responsible")],
        [("区商务委", "lead"), ("北塘海关", "cooperating"), ("区口岸办", "cooperating")],
        [("区水务局", "responsible")],
    ]
    assert _phrases(doc.item(4)) == ["每日"]


def test_units_and_deadline_written_as_closing_sentences() -> None:
    doc = _items(
        "1.编制重大行政决策事项目录，征求意见时间不少于30日。责任单位：区司法局、区府办。完成时限：2025年7月底前。\n\n"
        "2.公开重点工作推进情况。责任单位：区督查室牵头，区有关单位配合。完成时限：每季度。\n\n"
        "3.公开改革事项推进情况。区发改委牵头，区级有关部门按职责分工负责，9月底前。\n\n"
        "4.推动村务公开衔接。区民政局、区农业农村委负责，各镇街落实，持续推进。\n\n"
        # a closing sentence that is no list of offices stays the task's
        "5.做好政策解读。区府办要加强统筹。（责任单位：区府办）\n\n"
        "6.规范申请办理。各部门要落实。\n"
    )
    assert [_units(i) for i in doc.items] == [
        [("区司法局", "responsible"), ("区府办", "responsible")],
        [("区督查室", "lead"), ("区有关单位", "cooperating")],
        [("区发改委", "lead"), ("区级有关部门", "responsible")],
        [("区民政局", "responsible"), ("区农业农村委", "responsible"), ("各镇街", "responsible")],
        [("区府办", "responsible")],
        [],
    ]
    assert [_phrases(i) for i in doc.items] == [["2025年7月底前"], ["每季度"], ["9月底前"], [], [], []]
    assert doc.item(1).text == "编制重大行政决策事项目录，征求意见时间不少于30日。"
    assert doc.item(5).text == "做好政策解读。区府办要加强统筹。"


def test_a_county_plan_issued_by_its_leading_groups_office() -> None:
    # The red head is the county's 领导小组办公室; the title names the county (贯彻落实…任务分工).
    doc = _doc(
        "北塘县政务公开工作领导小组办公室文件\n\n北公开办〔2025〕2号\n\n"
        "关于印发《北塘县贯彻落实2025年政务公开工作要点任务分工》的通知\n\n各乡镇人民政府，县直各单位：\n\n"
        "现将《北塘县贯彻落实2025年政务公开工作要点任务分工》印发给你们。\n\n"
        "北塘县政务公开工作领导小组办公室\n2025年6月3日\n\n北塘县贯彻落实2025年政务公开工作要点任务分工\n\n"
        "（一）深化决策公开\n\n1.公开重大行政决策事项目录。责任单位：县司法局。完成时限：2025年7月底前。\n"
    )
    assert (doc.issuer, doc.title) == ("北塘县政务公开工作领导小组办公室", "北塘县贯彻落实2025年政务公开工作要点任务分工")
    assert (doc.level, doc.kind, doc.place) == ("district", "county", "北塘县")


def test_street_draft_table_signed_with_a_month_only() -> None:
    doc = _doc(
        "青禾街道2025年政务公开工作任务清单（征求意见稿）\n\n"
        "序号\n工作任务\n责任科室\n完成时限\n1\n公示救助审批结果\n民政办\n按月\n2\n更新公开事项目录\n党政办牵头，各科室配合\n9月底前\n\n"
        "北塘区青禾街道办事处\n2025年6月\n"
    )
    assert (doc.issuer, doc.issue_date, doc.draft) == ("北塘区青禾街道办事处", None, True)
    assert (doc.level, doc.kind, doc.place) == ("unit", "street", "北塘区")
    assert [_units(i) for i in doc.items] == [[("民政办", "responsible")], [("党政办", "lead"), ("各科室", "cooperating")]]
    web_copy = _doc(
        "青禾街道2025年政务公开工作要点（征求意见稿）\n\n" + _BODY + "\n北塘区青禾街道办事处\n2025年6月\n（此件公开发布）\n【打印本页】\n"
    )
    assert (web_copy.issuer, web_copy.place, web_copy.kind) == ("北塘区青禾街道办事处", "北塘区", "street")


def test_closing_unit_sentences_in_web_copies_and_on_their_own_line() -> None:
    doc = _items(
        "1.做好政策公开。（由区府办牵头，各部门配合）\n\n"
        # ASCII full stops and colons of a web copy; a decimal point is no sentence end
        "2.做好解读,解读覆盖不少于1.5万人次.责任单位:区司法局、区府办.完成时限:2025年7月底前.\n\n"
        # the units on a line of their own under the item
        "3.做好平台建设。\n区数据局牵头，各街道配合。\n"
    )
    assert [_units(i) for i in doc.items] == [
        [("区府办", "lead"), ("各部门", "cooperating")],
        [("区司法局", "responsible"), ("区府办", "responsible")],
        [("区数据局", "lead"), ("各街道", "cooperating")],
    ]
    assert [_phrases(i) for i in doc.items] == [[], ["2025年7月底前"], []]
    assert doc.item(2).text == "做好解读，解读覆盖不少于1.5万人次."


def test_deadlines_among_the_names_with_their_year_or_a_daily_frequency() -> None:
    doc = _items(
        "1.做好平台建设。（区数据局负责，各部门参与；2025年底前）\n\n"
        "2.做好网站巡查。（区数据局负责，每日）\n\n"
        "3.做好政策公开。（责任单位：区府办。完成时限：2025年10月。）\n"
    )
    assert [_units(i) for i in doc.items] == [
        [("区数据局", "responsible"), ("各部门", "cooperating")], [("区数据局", "responsible")], [("区府办", "responsible")]
    ]
    assert [_phrases(i) for i in doc.items] == [["2025年底前"], ["每日"], ["2025年10月"]]


# --- forms the fourth blind holdout found misread (documents written here, in published forms) --


def test_tab_rows_with_an_empty_cell_and_an_office_word_column() -> None:
    doc = _doc(
        "2025年柳川县政务公开任务清单\n\n"
        "序号\t工作任务\t牵头单位\t配合单位\t完成时限\n"
        "1\t公开财政预算执行情况\t县财政局\t县直各部门\t每半年\n"
        # an empty 配合单位 cell between two tabs
        "2\t公开招生划片范围\t县教育局\t\t招生结束后5个工作日内\n"
        "3\t公开海关通关便利措施\t柳川海关\t县商务局\t全年\n"
    )
    assert [_units(i) for i in doc.items] == [
        [("县财政局", "lead"), ("县直各部门", "cooperating")],
        [("县教育局", "lead")],
        [("柳川海关", "lead"), ("县商务局", "cooperating")],
    ]
    town = _doc(
        "额河旗乌兰苏木2025年政务公开任务清单\n\n"
        "序号\t工作内容\t责任办站所\t时限要求\n"
        "1\t公开民生实事完成情况\t党政综合办公室\t每季度\n"
        "2\t公开补贴发放结果\t农牧业综合服务中心；各嘎查配合\t全年\n\n"
        "额河旗乌兰苏木人民政府\n2025年6月3日\n"
    )
    assert [_units(i) for i in town.items] == [
        [("党政综合办公室", "responsible")],
        [("农牧业综合服务中心", "responsible"), ("各嘎查", "cooperating")],
    ]
    assert (town.issuer, town.kind, town.level) == ("额河旗乌兰苏木人民政府", "town", "unit")


def test_group_column_printed_once_and_roles_in_brackets_after_names() -> None:
    doc = _doc(
        "2025年北塘区政务公开任务分工表\n\n"
        "序号\t领域\t工作任务\t责任单位（牵头、配合）\t完成时限\n"
        "1\t生态保护\t公开水质监测结果\t区水务局（牵头）、区生态环境分局（配合）\t每月\n"
        "2\t\t公开生态修复项目进展\t区林业局（牵头）\t每半年\n"
        "3\t民生保障\t公开取暖补贴发放结果\t区民政局（牵头）、各街道办事处（配合）\t全年\n"
    )
    assert [_units(i) for i in doc.items] == [
        [("区水务局", "lead"), ("区生态环境分局", "cooperating")],
        [("区林业局", "lead")],
        [("区民政局", "lead"), ("各街道办事处", "cooperating")],
    ]
    assert [i.section_path[:1] for i in doc.items] == [["生态保护"], ["生态保护"], ["民生保障"]]


def test_cells_one_a_line_with_a_customs_office() -> None:
    doc = _doc(
        "2025年柳川省政务公开重点工作任务清单\n\n序号\n重点任务\n责任单位\n完成时限\n"
        "1\n公开新能源项目进展\n省发展改革委、省能源局\n每季度\n"
        "2\n公开扶持政策和补贴结果\n省农业农村厅牵头，各市州政府配合\n2025年9月底前\n"
        "3\n公开进出口通关便利措施\n柳川海关\n全年\n"
    )
    assert [_units(i) for i in doc.items] == [
        [("省发展改革委", "responsible"), ("省能源局", "responsible")],
        [("省农业农村厅", "lead"), ("各市州政府", "cooperating")],
        [("柳川海关", "responsible")],
    ]


def test_pipe_rows_with_section_rows_between_and_two_deadlines_in_a_cell() -> None:
    doc = _doc(
        "柳川市2025年政务公开工作任务分解表\n\n"
        "序号 | 工作任务 | 责任单位 | 完成时限\n"
        "一、做好发展信息公开\n"
        "1 | 公开重点项目推进情况 | 市发展改革委 | 每半年\n"
        "2 | 公开排污单位名录和监测信息 | 市生态环境局 | 2025年3月底前公布名录，监测信息每日公开\n"
        "二、做好民生信息公开\n"
        "3 | 组织政务公开培训 | 市政府办公室，各县（市、区）人民政府 | 2025年9月底前\n"
    )
    assert [_units(i) for i in doc.items] == [
        [("市发展改革委", "responsible")],
        [("市生态环境局", "responsible")],
        [("市政府办公室", "responsible"), ("各县（市、区）人民政府", "responsible")],
    ]
    assert [_phrases(i) for i in doc.items] == [["每半年"], ["2025年3月底前", "每日"], ["2025年9月底前"]]
    assert [i.section_path[:1] for i in doc.items] == [["一、做好发展信息公开"]] * 2 + [["二、做好民生信息公开"]]


def test_event_deadlines_from_the_event_verb_terms_days_of_month_and_before_an_event() -> None:
    doc = _items(
        "1.做好资金公开，资金由县财政局统一部署后20日内公开。（责任单位：县财政局）\n\n"
        "2.做好名单公开，当事人被列入后5个工作日内公开，补贴发放完成后10个工作日内公开结果。（责任单位：县市场监管局）\n\n"
        "3.做好舆情回应，在发现后24小时内作出回应。（责任单位：县委网信办）\n\n"
        "4.做好服务信息公开，开放时间调整在调整前3日发布，节假日前5个工作日内发布安排。（责任单位：县商务局）\n\n"
        "5.做好校园信息公开，每学期更新一次，村务信息每月5日前公开。（责任单位：县教育局）\n"
    )
    assert [_phrases(i) for i in doc.items] == [
        ["部署后20日内"],
        ["列入后5个工作日内", "完成后10个工作日内"],
        ["发现后24小时内"],
        ["调整前3日", "节假日前5个工作日内"],
        ["每学期", "每月5日前"],
    ]
    before = doc.item(4).deadlines[0]
    # its date is unknown until the event is; the event keeps what happens (with its subject)
    assert before.due is None and before.event.endswith("调整")


def test_metadata_labels_before_the_heading_and_a_division_table_title() -> None:
    web = _doc(
        "首页 » 政务公开 » 乡镇信息公开\n"
        "发布机构: 南岗镇人民政府            发文日期: 2025-06-12\n"
        "名    称: 南岗镇人民政府关于印发南岗镇2025年政务公开工作要点的通知\n"
        "文    号: 南政发〔2025〕6号\n\n"
        "南岗镇人民政府关于印发南岗镇2025年政务公开工作要点的通知\n\n"
        "柳川县南岗镇人民政府\n2025年6月10日\n\n南岗镇2025年政务公开工作要点\n\n" + _BODY
    )
    assert (web.issuer, web.doc_number) == ("柳川县南岗镇人民政府", "南政发〔2025〕6号")
    bracketed = _doc(
        "【标题】柳川县人民政府办公室关于印发柳川县2025年政务公开工作要点的通知\n"
        "【文号】柳政办发〔2025〕11号\n\n柳川县人民政府办公室\n2025年6月5日\n\n柳川县2025年政务公开工作要点\n\n" + _BODY
    )
    assert (bracketed.issuer, bracketed.doc_number) == ("柳川县人民政府办公室", "柳政办发〔2025〕11号")
    table = _doc(
        "柳川市北塘区人民政府办公室\n\n北塘区2025年政务公开重点任务分工表\n\n"
        "序号\t工作任务\t责任单位\t完成时限\n1\t公开水质监测结果\t区水务局\t每月\n"
    )
    assert (table.title, table.level, table.kind) == ("北塘区2025年政务公开重点任务分工表", "district", "district")


def test_second_name_after_a_labelled_list_and_a_role_after_a_label_list() -> None:
    doc = _items(
        "1.公开欠薪黑名单，持续开展。责任处室：劳动保障监察处（市劳动保障监察支队）。\n\n"
        "2.规范便民服务中心专区。（责任科室：便民服务中心〔政务服务窗口〕）\n\n"
        "3.公开教育收费标准。（责任股室：计划财务股，各学校配合）\n"
    )
    assert [_units(i) for i in doc.items] == [
        [("劳动保障监察处", "responsible")],
        [("便民服务中心", "responsible")],
        [("计划财务股", "responsible"), ("各学校", "cooperating")],
    ]
    assert doc.item(1).units[0].alias == "市劳动保障监察支队"


def test_before_an_event_is_no_date_nor_a_lead_time() -> None:
    from documents.deadlines import find_deadlines

    phrases = [d.phrase for d in find_deadlines("提前3天通知，6月底前10日内完成，会前2日送达。", 2025, None)]
    assert phrases == ["6月底前"]
