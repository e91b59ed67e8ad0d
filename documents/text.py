"""Text normalisation and line utilities for extracted Chinese official documents.

`normalize_text` turns decoded text (as found in a .txt/.docx/.pdf/.html source) into the
form every analysis step sees: simplified characters, ASCII digits, full-width Chinese
punctuation, no PDF spacing artefacts, no page furniture, one physical line per line.
`rejoin_wrapped_lines` turns hard-wrapped physical lines of running text into paragraphs.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import opencc

__all__ = [
    "TRADITIONAL_SHARE",
    "display_width",
    "is_page_number_line",
    "is_traditional",
    "normalize_line",
    "normalize_text",
    "rejoin_wrapped_lines",
    "remove_page_furniture",
    "split_lines",
    "to_simplified",
    "traditional_share",
    "wrap_width",
]

# Share of CJK characters that t2s must change before a text counts as traditional. Simplified
# text is left alone: t2s would otherwise rewrite legitimate simplified names (於 → 于, 昇 → 升).
TRADITIONAL_SHARE = 0.02


# --- traditional / simplified -------------------------------------------------------------


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


def cjk_count(text: str) -> int:
    """How many Chinese characters `text` holds."""
    return sum(1 for ch in text if _is_cjk(ch))


_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _convert(text: str) -> str:
    # OpenCC works on UTF-8; lone surrogates (only from broken sources) cannot be encoded.
    return _t2s().convert(_SURROGATES.sub("", text))


def traditional_share(text: str) -> float:
    """Share of the CJK characters of `text` that a t2s conversion changes (0.0 … 1.0)."""
    text = _SURROGATES.sub("", text)
    converted = _convert(text)
    cjk = cjk_count(text)
    if not cjk:
        return 0.0
    if len(converted) != len(text):
        # A phrase conversion changed the length: compare character multisets instead.
        changed = sum((Counter(text) - Counter(converted)).values())
    else:
        changed = sum(1 for a, b in zip(text, converted, strict=True) if a != b)
    return min(1.0, changed / cjk)


def is_traditional(text: str) -> bool:
    """True when a noticeable share of the text is in traditional characters."""
    return traditional_share(text) >= TRADITIONAL_SHARE


def to_simplified(text: str) -> str:
    """Convert traditional text to simplified; simplified text is returned unchanged."""
    return _convert(text) if is_traditional(text) else text


# --- character level ----------------------------------------------------------------------

_CHAR_MAP: dict[int, str] = {}
for _i in range(10):
    _CHAR_MAP[0xFF10 + _i] = chr(0x30 + _i)
for _i in range(26):
    _CHAR_MAP[0xFF21 + _i] = chr(0x41 + _i)
    _CHAR_MAP[0xFF41 + _i] = chr(0x61 + _i)
_CHAR_MAP.update(
    {
        ord("．"): ".",
        ord("％"): "%",
        ord("("): "（",
        ord(")"): "）",
        ord(";"): "；",
        # Compatibility forms of the brackets used in document numbers.
        ord("﹝"): "〔",
        ord("﹞"): "〕",
    }
)
for _cp in (0x09, 0xA0, 0x1680, 0x202F, 0x205F, 0x3000, *range(0x2000, 0x200B)):
    _CHAR_MAP[_cp] = " "
for _cp in (0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, *range(0xD800, 0xE000)):
    _CHAR_MAP[_cp] = ""
# Other control characters carry nothing for analysis (newlines are split off before this).
for _cp in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0)):
    _CHAR_MAP.setdefault(_cp, "")

_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")

# `,` and `:` become full-width except inside numbers (1,000 / 9:30) and URLs (http://).
_COMMA = re.compile(r",(?!(?<=\d,)\d)")
_COLON = re.compile(r":(?!//)(?!(?<=\d:)\d)")

_UNITS = "年月日号次个天%项家条"
_BEFORE_NUMBER = "于少低过超内前后第约近共计达至〕"
_SPACE_BEFORE_NUMBER = re.compile(rf"(?<=[{_BEFORE_NUMBER}]) +(?=\d)")
_SPACE_AFTER_NUMBER = re.compile(rf"(\d+(?:\.\d+)?) +(?=[{_UNITS}])")
# Dates spread by extraction: `2023年 5月 22日`.
_DATE_GAPS = re.compile(r"(?<=\d年) +(?=\d{1,2} *月)|(?<=\d月) +(?=\d{1,2} *[日号])")
# At the start of a line a number followed by a space is usually a table row number
# (`4 扩大有效投资…`, `12 项目…`). Only these shapes are quantities cut by a line wrap.
_LINE_START_QUANTITY = re.compile(
    r"^\d{4} +年"
    r"|^\d+(?:\.\d+)? +%"
    r"|^\d{1,2} +月(?= *(?:\d|底|初|中|末|前|份|内|起|止|[，。、；）]|$))"
    r"|^\d{1,2} +日(?=前|后|起|止|内|[，。、；）]|$)"
    r"|^\d+ +个(?=工作日|自然日|月|季度|百分点|以上|以内|左右|[，。、；）]|$)"
    r"|^\d+ +[次天项家条](?=以上|以内|左右|内|前|后|[，。、；）]|$)"
)
_SPACES = re.compile(r" {2,}")
_EMPTY_TAB_CELL = re.compile(r"\t(?=\t)")


def _join_number_spaces(line: str) -> str:
    line = _SPACE_BEFORE_NUMBER.sub("", line)

    def unit(m: re.Match[str]) -> str:
        if m.start() == 0 and not _LINE_START_QUANTITY.match(m.string):
            return m.group(0)
        return m.group(1)

    line = _SPACE_AFTER_NUMBER.sub(unit, line)
    return _DATE_GAPS.sub("", line)


def normalize_line(line: str) -> str:
    """Normalise one physical line (no newline inside): characters, spacing, stripping.

    Does not convert traditional characters (that is decided on the whole text).
    """
    if sum(1 for cell in line.split("\t") if cell.strip()) >= 3:
        # A table row with its cells between tabs: an empty cell (two tabs) would vanish with the
        # spacing; it is written as the "/" tables print for an empty cell.
        line = _EMPTY_TAB_CELL.sub("\t/", line)
    line = line.translate(_CHAR_MAP)
    line = _LEADING_GARBAGE.sub("", line.strip())
    line = _COMMA.sub("，", line)
    line = _COLON.sub("：", line)
    line = _SPACES.sub(" ", line).strip()
    return _join_number_spaces(line)


def split_lines(text: str) -> list[str]:
    """Split on every kind of line break (CRLF, CR, LF, form feed, U+2028 …)."""
    return _LINE_BREAKS.sub("\n", text).split("\n")


# --- page furniture -----------------------------------------------------------------------

_DASH = "-－—–‒―~～"
_PAGE_NUMBER = re.compile(
    rf"^[{_DASH}]{{1,2}} *\d{{1,4}} *[{_DASH}]{{1,2}}$|^第 *\d{{1,4}} *页(?: *[，/]? *共 *\d{{1,4}} *页)?$"
)
_PAGE_PIECE = re.compile(rf"^(?:[{_DASH}]{{1,2}}|[{_DASH}]{{0,2}} *\d{{1,4}} *[{_DASH}]{{0,2}})$")
# Blank lines tolerated between the pieces of a page number split over lines (`-` / `22` / `-`).
_MAX_PIECE_GAP = 3

HEADER_WORDS = frozenset(
    {
        "序号", "领域", "任务内容", "工作重点", "具体内容", "责任单位", "完成时间", "完成时限", "完成",
        "时限", "牵头单位", "配合单位", "责任部门", "牵头部门", "配合部门", "工作任务", "主要任务",
        "重点任务", "工作内容", "任务", "内容", "备注", "类别", "时间", "时间节点", "进度安排",
        "具体措施", "工作措施", "主要内容", "完成期限", "目标任务", "工作要求", "责任处室", "责任科室",
        "具体要求", "时限要求", "责任股室", "牵头处室", "配合处室", "牵头科室", "配合科室",
    }
)  # fmt: skip
# A block counts as a table header only with one of these: guards short content lines.
_STRONG_HEADER_WORDS = frozenset(
    {"序号", "任务内容", "工作重点", "具体内容", "责任单位", "完成时间", "完成时限", "牵头单位", "责任部门"}
)


def is_page_number_line(line: str) -> bool:
    """A whole page number on one line: `- 14 -`, `— 14 —`, `-14-`, `第 3 页`."""
    return bool(_PAGE_NUMBER.match(line.strip()))


def _next_nonblank(lines: list[str], start: int, max_gap: int, skip: set[int] | None = None) -> int | None:
    """Index of the next non-blank line at most `max_gap` blank lines on (`skip` lines are passed over)."""
    gap = 0
    for j in range(start, len(lines)):
        if skip and j in skip:
            continue
        if lines[j].strip():
            return j
        gap += 1
        if gap > max_gap:
            return None
    return None


def _page_number_spans(lines: list[str]) -> set[int]:
    drop: set[int] = set()
    for i, line in enumerate(lines):
        s = line.strip()
        if not s or i in drop:
            continue
        if _PAGE_NUMBER.match(s):
            drop.add(i)
            continue
        if not _PAGE_PIECE.match(s):
            continue
        # Split form: try three pieces, then two, all with only blank lines between.
        pieces = [i]
        while len(pieces) < 3:
            j = _next_nonblank(lines, pieces[-1] + 1, _MAX_PIECE_GAP)
            if j is None or not _PAGE_PIECE.match(lines[j].strip()):
                break
            pieces.append(j)
        for n in (3, 2):
            if len(pieces) >= n:
                joined = " ".join(lines[k].strip() for k in pieces[:n])
                if _PAGE_NUMBER.match(joined):
                    drop.update(pieces[:n])
                    break
    return drop


def _header_tokens(line: str) -> list[str] | None:
    tokens = line.split()
    if tokens and all(t in HEADER_WORDS for t in tokens):
        return tokens
    return None


def _repeated_header_lines(lines: list[str], page_numbers: set[int]) -> set[int]:
    """Lines of table-header blocks that repeat an earlier header (a header split by a page
    break, with the page number between its parts, is one block)."""
    drop: set[int] = set()
    seen: set[str] = set()
    i = 0
    while i < len(lines):
        if i in page_numbers or _header_tokens(lines[i]) is None:
            i += 1
            continue
        # Collect a block of header-only lines with only blank lines between them.
        block = [i]
        tokens = list(_header_tokens(lines[i]) or [])
        j = i
        while True:
            k = _next_nonblank(lines, j + 1, _MAX_PIECE_GAP, page_numbers)
            if k is None:
                break
            more = _header_tokens(lines[k])
            if more is None:
                break
            block.append(k)
            tokens += more
            j = k
        i = block[-1] + 1
        if len(tokens) < 2 or not _STRONG_HEADER_WORDS.intersection(tokens):
            continue
        if seen and set(tokens) <= seen:
            drop.update(block)
        else:
            seen.update(tokens)
    return drop


def remove_page_furniture(lines: list[str]) -> list[str]:
    """Drop page numbers and repeats of a table header; keep everything else in order.

    A bare number on its own line is kept: task tables put row numbers on their own lines.
    """
    page_numbers = _page_number_spans(lines)
    drop = page_numbers | _repeated_header_lines(lines, page_numbers)
    return [line for i, line in enumerate(lines) if i not in drop]


# --- whole text -----------------------------------------------------------------------------


def normalize_text(text: str) -> str:
    """Normalise decoded document text for analysis; line structure (and blank lines) kept."""
    text = to_simplified(text)
    lines = [normalize_line(line) for line in split_lines(text)]
    return "\n".join(remove_page_furniture(lines))


# --- wrapped lines --------------------------------------------------------------------------


def display_width(s: str) -> int:
    """Printed width in half-width cells: CJK, full-width and ambiguous (“ ”) characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in s)


_CN_NUM = "一二三四五六七八九十百零〇"
_STRUCTURAL = re.compile(
    rf"^(?:[{_CN_NUM}]{{1,3}}[、.．]"
    rf"|[（(][{_CN_NUM}]{{1,3}}[）)]"
    r"|[（(]\d{1,2}[）)]"
    r"|\d{1,3}[.．、](?![\d.．])"
    r"|附件"
    r"|抄送|主送"
    r"|第[一二三四五六七八九十百]+[章节条]"
    r")"
)
_CN_ITEM = re.compile(rf"^[{_CN_NUM}]{{1,3}}[、.．]")
# An item number without its dot (`3落实本市…`, web copies): believed only after a paragraph end.
_BARE_NUMBER = re.compile(r"^\d{1,2}(?![\d年月日号个次项家条天周类所%])[\u4e00-\u9fff]")
# Items numbered 1）, ⑴ or ① (a town's plan): believed only after a paragraph end.
_HALF_BRACKET_NUMBER = re.compile(r"^(?:\d{1,2}[）)]|[⑴-⒇①-⑳])(?=[\u4e00-\u9fff])")
# Units and deadline on lines of their own under an item: 责任单位：… / 完成时限：….
_LABEL_LINE = re.compile(
    r"^(?:责任单位|牵头单位|配合单位|主责单位|责任部门|牵头部门|配合部门|责任处室|责任科室|牵头处室|配合处室|"
    r"完成时限|完成时间|时限要求)[：:]"
)
# Indentation mangled by a web copy: `??`, `？？` before the text.
_LEADING_GARBAGE = re.compile(r"^[?？]+")
_SECTION_HEADING = re.compile(rf"^(?:[{_CN_NUM}]{{1,3}}、|[（(][{_CN_NUM}]{{1,3}}[）)])")
_DATE_LINE = re.compile(r"^\d{4} *年 *\d{1,2} *月 *\d{1,2} *日(?:印发)?$")
_DOC_NUMBER_LINE = re.compile(r"^\S{1,12}[〔\[［﹝]\d{4}[〕\]］﹞] *\d{1,4} *号$")
_TITLE_END = re.compile(r"(?:要点|方案|通知|计划|分解表|意见|办法|细则|规定|报告|清单|文件)$")
_SENTENCE_PUNCT = re.compile(r"[，。；：！？,;:!?]")
_TERMINAL = ("。", "！", "？", "；", "）", "!", "?", ";", ")", "。”", "！”", "？”", "。’")
_CONTINUES = ("，", "、", "：", "“", "‘", "《", "（", "—", ",", ":", "(")
# How much narrower than the wrap width a line must be to count as "short" (half-width cells).
# Measured on the Baoshan body: paragraph ends at ≤ 54 cells, running lines ending in 。 at ≥ 56
# (wrap width 56); justified lines vary by a cell or two with half-width digits and quotes.
_SHORT_MARGIN = 2
# Lines count as "at the wrap width" within this window around the most common width; first
# lines of paragraphs are indented two characters (4 cells) and lose the indent in extraction.
_NEAR_BELOW, _NEAR_ABOVE = 6, 4
# Fewer long lines than this: too little evidence for a wrap width.
_MIN_LONG_LINES = 5


def wrap_width(lines: Iterable[str]) -> int | None:
    """The width at which the text was hard-wrapped, or None when lines are paragraphs.

    The most common width among long lines, if most long lines are near it.
    """
    widths = [display_width(line.strip()) for line in lines if line.strip()]
    long = [w for w in widths if w >= 20]
    if len(long) < _MIN_LONG_LINES:
        return None
    counts = Counter(long)
    mode = max(counts, key=lambda w: (counts[w], w))
    near = [w for w in long if mode - _NEAR_BELOW <= w <= mode + _NEAR_ABOVE]
    if len(near) < 0.5 * len(long):
        return None
    return mode


def _starts_paragraph(line: str, previous: str) -> bool:
    if _CN_ITEM.match(line) or _BARE_NUMBER.match(line) or _LABEL_LINE.match(line) or _HALF_BRACKET_NUMBER.match(line):
        # `一、` also begins wrapped text (`统` / `一、权威…`): believe it after a paragraph end
        # (a units line under an item ends one too: 责任处室：环评科).
        return previous.endswith((*_TERMINAL, "：", ":")) or _is_heading(previous) or bool(_LABEL_LINE.match(previous))
    return bool(_STRUCTURAL.match(line) or _DATE_LINE.match(line) or line.startswith("（此件"))


def _ends_paragraph(line: str, wrap: int | None) -> bool:
    if _DATE_LINE.match(line) or _DOC_NUMBER_LINE.match(line):
        return True
    width = display_width(line)
    short = wrap is None or width <= wrap - _SHORT_MARGIN
    if line.endswith(_TERMINAL):
        return short
    if line.endswith(_CONTINUES):
        return False
    # A heading at full width is the first line of a longer heading or of a sentence.
    return short and _is_heading(line)


def _is_heading(line: str) -> bool:
    """A title or section heading: no sentence punctuation, ends like a title or starts with a
    section marker. (A short line without punctuation is not enough on its own: extraction
    also breaks lines mid-sentence.)"""
    if _SENTENCE_PUNCT.search(line):
        return False
    return bool(_TITLE_END.search(line) or (_SECTION_HEADING.match(line) and len(line) <= 40))


def _join(a: str, b: str) -> str:
    if a[-1:].isascii() and a[-1:].isalnum() and b[:1].isascii() and b[:1].isalnum():
        return f"{a} {b}"
    return a + b


def rejoin_wrapped_lines(lines: list[str]) -> list[str]:
    """Join the physical lines of running text into logical paragraphs.

    Blank lines (page breaks, or a blank after every line) are ignored. A line is joined to the
    next non-blank line unless the next line starts a structural marker (`一、`, `（一）`, `1.`,
    `附件` …) or the line ends its paragraph: terminal punctuation (。！？；）) on a line shorter
    than the wrap width (any such line when the text has no consistent wrap width), or a title /
    heading line.
    """
    phys = [s for s in (line.strip() for line in lines) if s]
    wrap = wrap_width(phys)
    paragraphs: list[str] = []
    current = ""
    previous = ""
    for line in phys:
        if current and (_starts_paragraph(line, previous) or _ends_paragraph(previous, wrap)):
            paragraphs.append(current)
            current = ""
        current = _join(current, line) if current else line
        previous = line
    if current:
        paragraphs.append(current)
    return paragraphs
