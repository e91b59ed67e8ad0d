"""Deadline phrases in running text and table cells, checked on excerpts of the real seeds."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from documents.deadlines import deadline_from_phrase, find_deadlines
from documents.model import Deadline
from workdays import WorkdayCalendar

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
EXAMPLE_2027 = ROOT / "data" / "holidays" / "example-2027.yaml"

BAOSHAN_ISSUED = date(2023, 5, 22)  # 宝府办〔2023〕15号


@pytest.fixture(scope="module")
def cal() -> WorkdayCalendar:
    return WorkdayCalendar()


def summary(deadlines: list[Deadline]) -> list[tuple]:
    return [(d.phrase, d.kind, d.due, d.days, d.working_days, d.event, d.period) for d in deadlines]


def normalise(text: str) -> str:
    """The little normalisation find_deadlines expects: joined lines, no spaces around numbers.

    (The real normaliser does more; this is enough for the seeds' extracted text.)
    """
    text = re.sub(r"\s*\n\s*", "", text)
    return re.sub(r"\s+(?=\d)|(?<=\d)\s+", "", text)


# -- Baoshan 2023 (plan year 2023, issued 2023-05-22): item texts, normalised ----------------------

BAOSHAN = {
    21: "制文单位要结合实际，在年内至少开展1次“政策公开讲”活动，通过制作辅导课件等可复用形式，"
    "加强对政策申请和适用标准、办理流程等内容的针对性辅导。",
    24: "各单位要紧扣年度重点工作编制本单位2023年度重大行政决策事项目录，并于3月31日前向社会公开。"
    "鼓励通过公开征集意见的方式，对重大行政决策事项目录内事项开展公众参与工作。决策出台后的10个工作日内，"
    "向社会公开意见的收集、采纳情况以及较为集中意见不予采纳的原因，以及通过座谈会、听证会、实地走访、"
    "民意调查等其他公众参与方式征求意见的情况。",
    25: "继续落实邀请公众代表列席区政府常务会议工作，年内邀请公众代表列席区政府常务会议不少于4次，"
    "各单位至少1次邀请公众代表列席本单位决策会议，议题原则上从本年度重大行政决策事项目录中选取。",
    27: "按照市政府统一部署，继续打响“政府开放月”品牌，8月集中组织开展以公共管理机构、公共服务场所为主体，"
    "以民心工程、实事项目等为主要内容的线下开放活动。活动期间安排答疑、座谈、活动体验、问卷调查等环节，"
    "加强与参与公众的互动。",
    29: "除涉密和党委公文外，公文类信息应当全量、主动公开，并通过OA备案系统实时推送全市政务公开工作平台。"
    "加强历史公文转化公开，对未开展过公文公开属性源头认定的政府公文进行公开属性认定。"
    "3月底前完成对本单位不予公开和依申请公开政府信息的审查评估，符合条件的转为主动公开。",
    32: "进驻政务服务中心的窗口单位应当结合工作实际，有针对性地开展政策宣讲，每季度不少于1次，"
    "实现线下公开和办事的顺畅对接。",
    37: "完善绩效考核方案，开展年度政务公开工作考核评估，评估结果列入政府绩效考核体系，分值权重不低于4%，"
    "并于次年第一季度将评估结果向社会公开。",
    38: "各单位要根据本工作要点，结合本区域本部门实际，制订年度政务公开工作计划，做好任务分解，"
    "明确责任单位和落实时限，并于本工作要点发布后30天内报区政府办公室政务公开科。"
    "本工作要点落实情况应当纳入各单位政府信息公开工作年度报告予以公开。",
}

BAOSHAN_EXPECTED = {
    21: [("年内", "absolute", date(2023, 12, 31), None, False, None, None)],
    24: [
        ("3月31日前", "absolute", date(2023, 3, 31), None, False, None, None),
        ("出台后的10个工作日内", "event", None, 10, True, "决策出台", None),
    ],
    25: [("年内", "absolute", date(2023, 12, 31), None, False, None, None)],
    27: [("8月", "absolute", date(2023, 8, 31), None, False, None, None)],
    29: [("3月底前", "absolute", date(2023, 3, 31), None, False, None, None)],
    32: [("每季度", "recurring", None, None, False, None, "quarter")],
    37: [("次年第一季度", "next_year", date(2024, 3, 31), None, False, None, "q1")],
    # 2023-05-22 + 30 calendar days = 2023-06-21.
    38: [("本工作要点发布后30天内", "relative", date(2023, 6, 21), 30, False, None, None)],
}


@pytest.mark.parametrize("number", sorted(BAOSHAN))
def test_baoshan_items(number: int, cal: WorkdayCalendar) -> None:
    found = find_deadlines(BAOSHAN[number], 2023, BAOSHAN_ISSUED, calendar=cal)
    assert summary(found) == BAOSHAN_EXPECTED[number]
    assert all(d.source == "body" for d in found)


def test_baoshan_items_are_in_the_seed() -> None:
    # The excerpts above are the seed's own words (after joining lines), not paraphrases.
    raw = (SAMPLES / "baoshan-2023-work-points-with-table.txt").read_text(encoding="utf-8")
    seed = re.sub(r"\s+", "", raw)
    for number, text in BAOSHAN.items():
        for sentence in filter(None, text.split("。")):
            assert sentence in seed, (number, sentence)


# -- Changning 2026 (plan year 2026, issued 2026-05-08) ---------------------------------------------

CHANGNING_4 = (
    "加强依申请公开业务指导，深化对复杂疑难、类案要案以及高频申请件的分析研究，形成指导意见。"
    "每季度对复议诉讼纠错案件进行讲评。汇编政府信息依申请公开典型案例。"
    "（责任单位：区府办牵头，各部门、各街道（镇）落实）"
)
CHANGNING_17 = (
    "围绕区委、区政府中心工作，每年组织开展主题式“政府开放月”活动，加大政府开放月活动的统筹策划和宣传动员力度，"
    "让企业群众更加理解、参与、支持政府工作。（责任单位：区府办、区新闻办牵头，各部门、各街道（镇）落实）"
)


def test_changning_item_4_quarterly(cal: WorkdayCalendar) -> None:
    found = find_deadlines(CHANGNING_4, 2026, date(2026, 5, 8), calendar=cal)
    assert summary(found) == [("每季度", "recurring", None, None, False, None, "quarter")]


def test_changning_item_17_yearly(cal: WorkdayCalendar) -> None:
    found = find_deadlines(CHANGNING_17, 2026, date(2026, 5, 8), calendar=cal)
    assert summary(found) == [("每年", "recurring", None, None, False, None, "year")]


# -- whole seeds: no invented deadlines -------------------------------------------------------------


def test_shanghai_municipal_plan_has_no_dated_deadlines(cal: WorkdayCalendar) -> None:
    # The municipal plan sets no dates; only 每季度 (item 8) and 每年 (item 27) recur. Its header
    # date 2026年3月20日, “十五五”, G60 and the like must not turn into deadlines.
    text = normalise((SAMPLES / "shanghai-2026-municipal-plan.txt").read_text(encoding="utf-8"))
    found = find_deadlines(text, 2026, date(2026, 3, 20), calendar=cal)
    assert summary(found) == [
        ("每季度", "recurring", None, None, False, None, "quarter"),
        ("每年", "recurring", None, None, False, None, "year"),
    ]


def test_changning_2026_whole_document(cal: WorkdayCalendar) -> None:
    # The notice says 已经2026年5月8日区政府第137次常务会议讨论通过 and is dated 2026年5月8日.
    text = normalise((SAMPLES / "changning-2026-district-plan.txt").read_text(encoding="utf-8"))
    found = find_deadlines(text, 2026, date(2026, 5, 8), calendar=cal)
    assert [d.kind for d in found] == ["recurring", "recurring"]


def test_jingan_2025_whole_document(cal: WorkdayCalendar) -> None:
    # 第133次常务会议, 12345热线, 2025年5月14日 are not deadlines; 每年至少专题听取1次 recurs.
    text = normalise((SAMPLES / "jingan-2025-work-points.txt").read_text(encoding="utf-8"))
    found = find_deadlines(text, 2025, date(2025, 5, 14), calendar=cal)
    assert summary(found) == [("每年", "recurring", None, None, False, None, "year")]


@pytest.mark.parametrize(
    "text",
    [
        "各单位编制本单位2023年度重大行政决策事项目录",
        "聚焦“十五五”开局做好政府信息公开",
        "全面推进“15分钟社区生活圈”建设情况和阶段性成果信息公开",
        "提高“12345”市民服务热线的咨询服务水平，发挥12345热线作用",
        "已经区政府第137次常务会议讨论通过",
        "聚焦G60科创走廊和长三角文旅相关活动",
        "已经2026年5月8日区政府第137次常务会议讨论通过，现印发给你们",
        "2023年5月22日",
        "已经2025年4月25日区政府第104次常务会议审议通过",
        "根据《上海市基本公共服务实施标准（2025年版）》，完善公共服务事项指南",
        "三年内完成，去年底已建成，覆盖全年龄段人群，6月龄以下婴儿",
        "自7月1日起施行，截至3月31日共办理",
        "2025年上半年已完成，2024年全年共办理",
    ],
)
def test_not_deadlines(text: str, cal: WorkdayCalendar) -> None:
    assert find_deadlines(text, 2026, date(2026, 5, 8), calendar=cal) == []


# -- table cells (deadline_from_phrase) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "due"),
    [
        ("全年", date(2023, 12, 31)),
        ("年内", date(2023, 12, 31)),
        ("年底前", date(2023, 12, 31)),
        ("年底", date(2023, 12, 31)),
        ("年末", date(2023, 12, 31)),
        ("上半年", date(2023, 6, 30)),
        ("下半年", date(2023, 12, 31)),
        ("10月", date(2023, 10, 31)),
        ("5月底", date(2023, 5, 31)),
        ("4月底前", date(2023, 4, 30)),
        ("10月底前", date(2023, 10, 31)),
        ("12月", date(2023, 12, 31)),
        ("8月", date(2023, 8, 31)),
        ("2月", date(2023, 2, 28)),
        ("6月前", date(2023, 5, 31)),  # before June: by the end of May
        ("3月31日前", date(2023, 3, 31)),
        ("3月31日", date(2023, 3, 31)),
        ("6月中旬", date(2023, 6, 20)),  # the last day of the middle ten days
        ("6月上旬", date(2023, 6, 10)),
        ("第三季度", date(2023, 9, 30)),
        ("2024年3月底前", date(2024, 3, 31)),
        ("2023年6月30日", date(2023, 6, 30)),  # a full date is a deadline in a deadline cell
    ],
)
def test_table_cells_absolute(cell: str, due: date, cal: WorkdayCalendar) -> None:
    dl = deadline_from_phrase(cell, 2023, BAOSHAN_ISSUED, source="table", calendar=cal)
    assert dl is not None
    assert (dl.phrase, dl.kind, dl.due, dl.source) == (cell, "absolute", due, "table")


@pytest.mark.parametrize(
    ("cell", "period"),
    [("每季度", "quarter"), ("每年", "year"), ("每月", "month"), ("每半年", "half_year")],
)
def test_recurring(cell: str, period: str, cal: WorkdayCalendar) -> None:
    dl = deadline_from_phrase(cell, 2023, BAOSHAN_ISSUED, calendar=cal)
    assert dl == Deadline(phrase=cell, kind="recurring", period=period)


@pytest.mark.parametrize(
    ("cell", "due", "period"),
    [
        ("次年第一季度", date(2024, 3, 31), "q1"),
        ("次年一季度", date(2024, 3, 31), "q1"),
        ("次年3月底前", date(2024, 3, 31), "m3"),
        ("次年6月底前", date(2024, 6, 30), "m6"),
        ("次年上半年", date(2024, 6, 30), "h1"),
        ("次年年底前", date(2024, 12, 31), "year"),
    ],
)
def test_next_year(cell: str, due: date, period: str, cal: WorkdayCalendar) -> None:
    dl = deadline_from_phrase(cell, 2023, BAOSHAN_ISSUED, calendar=cal)
    assert dl is not None
    assert (dl.phrase, dl.kind, dl.due, dl.period) == (cell, "next_year", due, period)


@pytest.mark.parametrize(
    "phrase", ["发布后30天内", "印发后30日内", "本工作要点发布后30天内", "自本方案印发之日起30日内"]
)
def test_relative_calendar_days(phrase: str, cal: WorkdayCalendar) -> None:
    dl = deadline_from_phrase(phrase, 2023, BAOSHAN_ISSUED, calendar=cal)
    assert dl is not None
    # 2023-05-22 + 30 days = 2023-06-21 (9 days left in May, 21 in June).
    assert (dl.kind, dl.days, dl.working_days, dl.due) == ("relative", 30, False, date(2023, 6, 21))
    assert dl.phrase == phrase.removeprefix("自")


def test_relative_working_days_over_national_day(cal: WorkdayCalendar) -> None:
    # Issued Fri 2025-09-26: the 10th working day after it is Thu 2025-10-16
    # (see tests/test_workdays.py for the day-by-day count).
    dl = deadline_from_phrase("印发后10个工作日内", 2025, date(2025, 9, 26), calendar=cal)
    assert dl is not None
    assert (dl.kind, dl.days, dl.working_days, dl.due) == ("relative", 10, True, date(2025, 10, 16))


def test_relative_working_days_2027_with_and_without_holiday_file() -> None:
    issued = date(2027, 2, 4)  # a Thursday, the day before the example Spring Festival break
    with_file = WorkdayCalendar(EXAMPLE_2027)
    dl = deadline_from_phrase("印发后3个工作日内", 2027, issued, calendar=with_file)
    assert dl is not None and dl.due == date(2027, 2, 15)  # Fri 02-12, Sun 02-14 (make-up), Mon 02-15
    assert with_file.warnings == []

    no_file = WorkdayCalendar()
    dl = deadline_from_phrase("印发后3个工作日内", 2027, issued, calendar=no_file)
    assert dl is not None and dl.due == date(2027, 2, 9)  # Fri 02-05, Mon 02-08, Tue 02-09
    assert len(no_file.warnings) == 1 and no_file.warnings[0].startswith("2027年不在官方节假日日历内")


def test_relative_without_issue_date(cal: WorkdayCalendar) -> None:
    dl = deadline_from_phrase("发布后30天内", 2023, None, calendar=cal)
    assert dl is not None and (dl.kind, dl.days, dl.due) == ("relative", 30, None)


@pytest.mark.parametrize(
    ("text", "phrase", "event", "days", "working"),
    [
        ("决策出台后的10个工作日内", "出台后的10个工作日内", "决策出台", 10, True),
        ("。决策出台后的10个工作日内，向社会公开", "出台后的10个工作日内", "决策出台", 10, True),
        ("，并于政策发布后3个工作日内推送", "发布后3个工作日内", "政策发布", 3, True),
        ("，应当在收到申请之日起15个工作日内答复", "收到申请之日起15个工作日内", "收到申请", 15, True),
        ("，应于会议召开后7日内公开", "召开后7日内", "会议召开", 7, False),
        ("，执法决定作出之日起7个工作日内公开", "作出之日起7个工作日内", "执法决定作出", 7, True),
        ("，会后3个工作日内", "会后3个工作日内", "会", 3, True),
        ("，决策出台后 10 个工作日内", "出台后 10 个工作日内", "决策出台", 10, True),
    ],
)
# The phrase starts at the event's verb; the subject stays in `event` (the corpus convention).
def test_event(text: str, phrase: str, event: str, days: int, working: bool, cal: WorkdayCalendar) -> None:
    [dl] = find_deadlines(text, 2023, BAOSHAN_ISSUED, calendar=cal)
    assert dl == Deadline(phrase=phrase, kind="event", days=days, working_days=working, event=event)


def test_unknown_cells(cal: WorkdayCalendar) -> None:
    for cell in ["", "长期", "持续推进", "年度", "根据上级要求", "13月", "2月30日"]:
        assert deadline_from_phrase(cell, 2023, BAOSHAN_ISSUED, calendar=cal) is None, cell


def test_first_deadline_of_a_cell(cal: WorkdayCalendar) -> None:
    dl = deadline_from_phrase(" 4月底前、10月底前 ", 2023, BAOSHAN_ISSUED, calendar=cal)
    assert dl is not None and (dl.phrase, dl.due) == ("4月底前", date(2023, 4, 30))


# -- running text: order, duplicates, explicit years -------------------------------------------------


def test_order_and_duplicates(cal: WorkdayCalendar) -> None:
    text = "年内开展1次。10月底前完成，每季度通报。年内再开展1次，10月底前报送。"
    found = find_deadlines(text, 2023, BAOSHAN_ISSUED, source="table", calendar=cal)
    assert [(d.phrase, d.due) for d in found] == [
        ("年内", date(2023, 12, 31)),
        ("10月底前", date(2023, 10, 31)),
        ("每季度", None),
    ]
    assert {d.source for d in found} == {"table"}


def test_explicit_year_with_qian_is_a_deadline(cal: WorkdayCalendar) -> None:
    found = find_deadlines("请于2024年3月底前报送，2023年12月31日前完成", 2023, BAOSHAN_ISSUED, calendar=cal)
    assert [(d.phrase, d.due) for d in found] == [
        ("2024年3月底前", date(2024, 3, 31)),
        ("2023年12月31日前", date(2023, 12, 31)),
    ]


# -- robustness ---------------------------------------------------------------------------------------

TRICKY = st.text(
    alphabet=st.sampled_from(list("0123456789年月日号天次个工作内后前底末旬上中下季度第一二三四每半全本次明发布印出台决策之起，。 ")),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(st.text(max_size=200), TRICKY),
    year=st.integers(min_value=1, max_value=9999),
    issued=st.one_of(st.none(), st.dates()),
)
def test_find_deadlines_never_raises(text: str, year: int, issued: date | None) -> None:
    cal = WorkdayCalendar()
    found = find_deadlines(text, year, issued, calendar=cal)
    for dl in found:
        assert dl.phrase and dl.phrase in text
    deadline_from_phrase(text, year, issued, calendar=cal)


def test_baoshan_body_as_a_whole(cal: WorkdayCalendar) -> None:
    # The whole body (notice + 38 items, before the appendix table): exactly the deadlines the
    # items write, none from 2023年5月22日, 2023年度, “12345”, “15分钟社区生活圈” or page numbers.
    raw = (SAMPLES / "baoshan-2023-work-points-with-table.txt").read_text(encoding="utf-8")
    body = normalise(raw.split("附件：")[0])
    found = find_deadlines(body, 2023, BAOSHAN_ISSUED, calendar=cal)
    assert [(d.phrase, d.kind, d.due) for d in found] == [
        ("年内", "absolute", date(2023, 12, 31)),  # items 21, 25, 35
        ("3月31日前", "absolute", date(2023, 3, 31)),
        ("出台后的10个工作日内", "event", None),
        ("8月", "absolute", date(2023, 8, 31)),
        ("3月底前", "absolute", date(2023, 3, 31)),
        ("每季度", "recurring", None),
        ("次年第一季度", "next_year", date(2024, 3, 31)),
        ("本工作要点发布后30天内", "relative", date(2023, 6, 21)),
    ]
