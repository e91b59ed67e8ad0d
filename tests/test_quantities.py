"""Quantity targets (不少于4次, 至少1次, 不低于50%) in item texts from the seeds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from documents.model import Quantity
from documents.quantities import find_quantities

# Item texts from the seeds, normalised (lines joined, no spaces around numbers).
BAOSHAN_25 = (
    "继续落实邀请公众代表列席区政府常务会议工作，年内邀请公众代表列席区政府常务会议不少于4次，"
    "各单位至少1次邀请公众代表列席本单位决策会议，议题原则上从本年度重大行政决策事项目录中选取。"
)
BAOSHAN_32 = (
    "进驻政务服务中心的窗口单位应当结合工作实际，有针对性地开展政策宣讲，每季度不少于1次，"
    "实现线下公开和办事的顺畅对接。"
)
BAOSHAN_37 = (
    "完善绩效考核方案，开展年度政务公开工作考核评估，评估结果列入政府绩效考核体系，分值权重不低于4%，"
    "并于次年第一季度将评估结果向社会公开。"
)
CHANGNING_2025_21 = (
    "完善政策文件制定过程中的公众参与机制，丰富线上线下便利公众的参与渠道，制定与企业群众切身利益有关的文件，"
    "应当听取直接利害关系人的意见，普惠性惠企政策原则上听取中小企业意见占比不低于50%。"
)
JINGAN_9 = (
    "完善政策文件制定过程中的公众参与机制，丰富线上线下便利公众的参与渠道，制定与企业群众切身利益有关的文件时，"
    "应当听取直接利害关系人的意见，普惠性惠企政策原则上听取中小企业意见占比不低于50%。"
    "深化公众代表列席决策会议制度，推动列席机制向决策专题会延伸。"
)


def q(phrase: str, comparator: str, value: float, unit: str, context: str) -> Quantity:
    return Quantity(phrase=phrase, comparator=comparator, value=value, unit=unit, context=context)  # type: ignore[arg-type]


def test_baoshan_25() -> None:
    assert find_quantities(BAOSHAN_25) == [
        q("不少于4次", ">=", 4, "次", "邀请公众代表列席区政府常务会议"),
        q("至少1次", ">=", 1, "次", "各单位"),
    ]


def test_baoshan_32_quarterly() -> None:
    assert find_quantities(BAOSHAN_32) == [q("不少于1次", ">=", 1, "次", "每季度")]


def test_baoshan_37_percentage() -> None:
    assert find_quantities(BAOSHAN_37) == [q("不低于4%", ">=", 4, "%", "分值权重")]


@pytest.mark.parametrize("text", [CHANGNING_2025_21, JINGAN_9])
def test_half_of_smes(text: str) -> None:
    [found] = find_quantities(text)
    assert (found.phrase, found.comparator, found.value, found.unit) == ("不低于50%", ">=", 50, "%")
    assert found.context.endswith("中小企业意见占比")
    assert "，" not in found.context


@pytest.mark.parametrize(
    ("text", "phrase", "comparator", "value", "unit"),
    [
        ("在年内至少开展1次“政策公开讲”活动", "至少开展1次", ">=", 1, "次"),  # Baoshan 21
        ("主要领导年内至少听取1次政务公开工作汇报", "至少听取1次", ">=", 1, "次"),  # Baoshan 35
        ("主要负责同志每年至少专题听取1次工作汇报", "至少专题听取1次", ">=", 1, "次"),  # Jing'an
        ("开展培训不少于3场", "不少于3场", ">=", 3, "场"),
        ("新增试点不少于5家", "不少于5家", ">=", 5, "家"),
        ("发布案例不少于10个", "不少于10个", ">=", 10, "个"),
        ("梳理事项不少于20项", "不少于20项", ">=", 20, "项"),
        ("参与率不少于30%", "不少于30%", ">=", 30, "%"),
        ("答复时间不超过15个工作日", "不超过15个工作日", "<=", 15, "个工作日"),
        ("纠错率不高于5%", "不高于5%", "<=", 5, "%"),
        ("公开率达到100%", "达到100%", ">=", 100, "%"),
        ("开展活动3次以上", "3次以上", ">=", 3, "次"),
        ("满意度90%以上", "90%以上", ">=", 90, "%"),
        ("差错率控制在1%以内", "1%以内", "<=", 1, "%"),
        ("至少一次", "至少一次", ">=", 1, "次"),
        ("不少于两场", "不少于两场", ">=", 2, "场"),
        ("不少于十二场", "不少于十二场", ">=", 12, "场"),
        ("不少于50%以上", "不少于50%以上", ">=", 50, "%"),
        ("占比不低于 50%", "不低于 50%", ">=", 50, "%"),
    ],
)
def test_forms(text: str, phrase: str, comparator: str, value: float, unit: str) -> None:
    [found] = find_quantities(text)
    assert (found.phrase, found.comparator, found.value, found.unit) == (phrase, comparator, value, unit)


@pytest.mark.parametrize(
    "text",
    [
        "已经区政府第137次常务会议讨论通过",
        "发挥12345热线作用",
        "全面推进“15分钟社区生活圈”建设",
        "聚焦“十五五”开局",
        "聚焦G60科创走廊",
        "至少一网通办",  # 一 without a unit is not a count
        "2023年5月22日",
    ],
)
def test_not_quantities(text: str) -> None:
    assert find_quantities(text) == []


def test_context_is_cut_at_punctuation_and_length() -> None:
    [found] = find_quantities("甲。乙丙丁不少于2次")
    assert found.context == "乙丙丁"
    [found] = find_quantities("一二三四五六七八九十壹贰叁肆伍陆柒捌不少于2次")
    assert found.context == "四五六七八九十壹贰叁肆伍陆柒捌"  # the last 15 characters


def test_order_of_appearance() -> None:
    found = find_quantities("满意度90%以上，每季度不少于1次，至少2场")
    assert [f.phrase for f in found] == ["90%以上", "不少于1次", "至少2场"]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.text(alphabet=st.sampled_from(list("0123456789.%不少于至多低高超过达到以上内下次个项一两十百千开展，。 ")), max_size=60),
    )
)
def test_find_quantities_never_raises(text: str) -> None:
    for found in find_quantities(text):
        assert found.phrase in text
        assert found.comparator in (">=", "<=")
