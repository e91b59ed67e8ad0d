"""Measurable targets in plan items: 不少于4次, 至少1次, 不低于50%, 不超过3个工作日, 3次以上.

Comparators: 不少于 / 至少 / 不低于 / 达到 / …以上 mean ">="; 不超过 / 不高于 / 不多于 / …以内 /
…以下 mean "<=". 至少 may be separated from its number by a short verb (年内至少开展1次,
至少听取1次), so up to four characters are allowed between them when a unit follows.
Chinese numerals are read (至少一次), but only with a unit, so that 至少一网通办 is not a count.
`context` is what is being counted: up to CONTEXT_CHARS characters before the phrase, cut at
the previous punctuation (…开展政策宣讲，每季度不少于1次 → 每季度).
"""

from __future__ import annotations

import re
from typing import Literal

from documents.model import Quantity

__all__ = ["CONTEXT_CHARS", "find_quantities"]

CONTEXT_CHARS = 15  # a clause subject such as 邀请公众代表列席区政府常务会议 fits whole

_PUNCT = set("，。；：、！？,.;:!?（）()“”\"'‘’《》〈〉【】[]{}—…\n\r\t ")

# Longest first: 个工作日 before 个, 人次 before 人.
_UNITS = (
    "个工作日|个自然日|个百分点|个月|人次|场次|批次|工作日|小时|分钟|万元|亿元|千元|"
    "%|％|‰|次|个|家|项|场|篇|条|期|人|名|天|日|周|年|批|类|件|份|户|所|轮|倍|分|部|座|台|元|户次|课时|学时"
)
_CN_NUM = "[一二两三四五六七八九十百千]+"
_NUM = r"\d+(?:\.\d+)?"
_POST = "以上|以内|以下"

_PREFIX_RE = re.compile(
    r"(?:(?P<atleast>至少)(?P<gap>[\u4e00-\u9fff]{0,4}?)|(?P<pre>不少于|不低于|不超过|不高于|不多于|达到))"
    r"\s*(?:(?P<num>" + _NUM + r")|(?P<cn>" + _CN_NUM + r"))\s*(?P<unit>" + _UNITS + r")?(?P<post>" + _POST + r")?"
)
_POSTFIX_RE = re.compile(r"(?<![\d.第])(?P<num>" + _NUM + r")\s*(?P<unit>" + _UNITS + r")(?P<post>" + _POST + r")")

_AT_LEAST = {"至少", "不少于", "不低于", "达到", "以上"}
_AT_MOST = {"不超过", "不高于", "不多于", "以内", "以下"}
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity target in `text`, in order of appearance."""
    if not text:
        return []
    found: list[tuple[int, int, Quantity]] = []
    pos = 0
    while True:
        m = _PREFIX_RE.search(text, pos)
        if m is None:
            break
        q = _from_prefix(text, m)
        if q is None:
            # Not a count after all (至少一网通办): look again one character on, since the
            # failed match may have swallowed the start of a real one.
            pos = m.start() + 1
            continue
        found.append((m.start(), m.end(), q))
        pos = m.end()
    for m in _POSTFIX_RE.finditer(text):
        if any(s <= m.start() < e for s, e, _ in found):
            continue  # 不少于50%以上 is already read as one phrase
        value = float(m.group("num"))
        found.append((m.start(), m.end(), _make(text, m.start(), m.group(0), m.group("post"), value, m.group("unit"))))
    found.sort(key=lambda f: f[0])
    return [q for _, _, q in found]


def _from_prefix(text: str, m: re.Match[str]) -> Quantity | None:
    unit = m.group("unit") or ""
    if m.group("cn") is not None:
        if not unit:
            return None
        value = _cn_number(m.group("cn"))
        if value is None:
            return None
    else:
        value = float(m.group("num"))
    if m.group("gap") and not unit:
        return None  # 至少 + words + a bare number is too loose to be a count
    word = m.group("atleast") or m.group("pre")
    if m.group("post") in _AT_MOST:
        word = m.group("post")  # 至少…以内 does not occur; the closing word is the sharper one
    return _make(text, m.start(), m.group(0), word, value, unit)


def _make(text: str, start: int, phrase: str, word: str, value: float, unit: str) -> Quantity:
    comparator: Literal[">=", "<=", "=="] = "<=" if word in _AT_MOST else ">="
    return Quantity(
        phrase=phrase,
        comparator=comparator,
        value=value,
        unit="%" if unit == "％" else unit,
        context=_context(text, start),
    )


def _context(text: str, start: int) -> str:
    begin = start
    while begin > 0 and start - begin < CONTEXT_CHARS and text[begin - 1] not in _PUNCT:
        begin -= 1
    return text[begin:start].strip()


def _cn_number(s: str) -> float | None:
    """一 → 1, 十二 → 12, 两百 → 200. None for shapes that are not numbers (一一)."""
    total, digit = 0, None
    for ch in s:
        if ch in _CN_DIGITS:
            if digit is not None:
                return None
            digit = _CN_DIGITS[ch]
        else:
            total += (digit if digit is not None else 1) * _CN_UNITS[ch]
            digit = None
    if digit is not None:
        total += digit
    return float(total) if total else None
