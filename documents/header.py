"""Header elements of an official document (GB/T 9704-2012): number, issuer, title, date, addressees,
and what the header says about the document's place in the hierarchy (place, level, cited parent).

Documents arrive whole (red head, 文号, notice, signature) or as drafts and web copies that lack
some of these; each element is read from wherever the document itself states it:

- title: the plan's own title (in 《》 in the notice, or the title line above the body), never a
  《cited》 title in the preamble and never the notice heading;
- issuer: the notice heading (X关于印发…), the red head (X文件), an issuing office standing alone
  on the first lines, the signature line above the date, or the unit named in the title;
- date: the signature date, else the date of the meeting that adopted it (已经…会议);
- place / level / kind: from the issuer, else the title, for any province, city, district, county,
  county-level city, street, town, and a bureau's own plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

DOC_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,10}[〔\[［（(]\s*(\d{4})\s*[〕\]］）)]\s*第?\s*(\d{1,4})\s*号)")
FULL_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
DATE_LINE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:印发)?$")
QUOTED_TITLE = re.compile(r"《([^《》]{4,120})》")
YEAR_IN_TITLE = re.compile(r"(20\d{2})\s*年")
LEADING_YEAR = re.compile(r"^(20\d{2})(?=[\u4e00-\u9fff])")
CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff“”《》、，（）])\s+(?=[\u4e00-\u9fff“”《》、，（）\d])|(?<=\d)\s+(?=[\u4e00-\u9fff])")
# Lines ending like a plan's own title.
TITLE_END = re.compile(r"(要点|方案|分解表|分工表|任务表|计划|安排|清单|任务分工|任务分解)$")
# A notice heading: …关于印发《…》的通知 (possibly wrapped over lines), never a preamble sentence.
NOTICE_START = re.compile(r"关于(?:印发|转发|下达)|关于.{2,60}的通知$")
DRAFT_MARK = re.compile(r"[（(]?(征求意见稿|讨论稿|送审稿|草案|草稿)[）)]?")
DRAFT_WORDS = "征求意见稿|讨论稿|送审稿|草案|草稿"
# Where a draft mark counts: a line holding only the mark, a bracketed mark, or a title ending
# with it (…工作要点草案). A task's 决策草案公开征求意见 is running text, not a mark.
DRAFT_LINE = re.compile(
    rf"^[（(]?(?:{DRAFT_WORDS})[）)]?$|[（(](?:{DRAFT_WORDS})[）)]|(?:要点|方案|分解表|计划|安排|清单)(?:{DRAFT_WORDS})$"
)
# How a document says it was adopted: 已经2026年5月8日区政府第137次常务会议讨论通过, or a line
# under the title （2025年5月12日市政府第18次常务会议审议通过）.
ADOPTED = re.compile(r"已?经\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日.{0,20}?会议")
ADOPTED_LINE = re.compile(
    r"^[（(]?\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日[^，。；,;]{0,30}?会议(?:上)?"
    r"(?:审议|讨论|研究)?(?:通过|审定|同意)[）)]?$"
)
# A web page's metadata: 发文字号：…, [发文字号] …, 【文号】….
LABELLED_NUMBER = re.compile(r"^[\[【［]?(?:发\s*文\s*字\s*号|文\s*号)\s*(?:[\]】］]\s*[：:]?|[：:])\s*(\S+)$")
# A web page's metadata label before the notice heading (名称：…, 【标题】…, aligned 名    称:): the
# heading is what follows it.
TITLE_LABEL = re.compile(r"^[\[【［]?(?:名\s*称|标\s*题|题\s*名|文件名称)\s*(?:[\]】］]\s*[：:]?|[：:])\s*(?=\S)")
# A cited plan in the preamble: 根据《2025年上海市政务公开工作要点》（沪府办字〔2025〕5号）.
CITATION = re.compile(
    r"《([^《》]{4,80}?(?:要点|方案|分解表|计划|清单|任务分工|任务分解))》\s*(?:（([^（）]{2,24}?〔\d{4}〕\s*\d{1,4}\s*号)[，,]?[^（）]{0,12}）)?"
)
CITED_NOTICE = re.compile(r"《[^《》]{2,60}?关于(?:印发|转发)[〈<]?([^《》〈〉<>]{4,80}?)[〉>]?的通知》")
SEAL_NOTE = re.compile(r"^[（(][^（）()]{2,40}代章[）)]$")
SENTENCE_PUNCT = re.compile(r"[，。；：！？,;:!?]")
WEB_FURNITURE = re.compile(r"(>|＞|索引号|发布机构|发布日期|浏览次数|字号|打印|分享|首页|当前位置|信息来源|主题分类)")

# One administrative place: 山东省 / 济南市 / 长宁区 / 浦东新区 / 宣汉县 / 江苏路街道 / 新泾镇 / X乡;
# Inner Mongolia's 盟 (a prefecture), 旗 (a county) and 苏木 (a town).
ADMIN = re.compile(r"([\u4e00-\u9fffA-Za-z]{1,10}?)(特别行政区|自治区|自治州|自治县|省|新区|市|盟|区|县|旗|街道|镇|苏木|乡)")
_NOT_A_PLACE = re.compile(r"^(全|本|各|我|该|两|市|城|社|园|片|辖|郊|景|小|街|开发|示范)$|政府|人民|委员|办公|局|厅|年|公开|工作")
_KIND_OF_SUFFIX = {
    "省": "province", "自治区": "province", "特别行政区": "province",
    "市": "city", "自治州": "city", "盟": "city",
    "区": "district", "新区": "district",
    "县": "county", "自治县": "county", "旗": "county",
    "街道": "street", "镇": "town", "乡": "town", "苏木": "town",
}  # fmt: skip
# How deep each kind of place sits: a chain of places only goes inwards (a county-level 市 may
# follow a 市).
_NESTING = {"province": 0, "city": 1, "district": 2, "county": 2, "street": 3, "town": 3}
# What follows the place in the name of the government itself (not one of its bureaus).
GOVERNMENT_REST = re.compile(r"^(?:人民)?(?:政府)?(?:办公室|办公厅|办事处|党政办公室|党政办)?$")
RED_HEAD_END = re.compile(r"(政府|办公室|办公厅|办事处|委员会|管委会|局|委|厅|办|中心|院|署)$")
BUREAU_END = re.compile(r"(委员会|管委会|局|委|办公室|办|厅|中心|署|院|处)$")
LEVEL_OF_KIND = {
    "province": "province",
    "city": "municipal",
    "district": "district",
    "county": "district",
    "county_city": "district",
    "street": "unit",
    "town": "unit",
    "bureau": "unit",
}


def squash_spaces(text: str) -> str:
    """Remove the spaces PDF extraction leaves inside Chinese running text."""
    return CJK_SPACE.sub("", text).strip()


@dataclass
class Header:
    doc_number: str | None = None
    issuer: str | None = None
    notice_title: str | None = None
    title: str | None = None
    year: int | None = None
    issue_date: date | None = None
    addressees: list[str] = field(default_factory=list)
    place: str | None = None
    level: str = "district"
    kind: str | None = None  # province | city | district | county | county_city | street | town | bureau
    parent_title: str | None = None  # the directive the preamble cites (根据《…》…制定本要点)
    parent_doc_number: str | None = None
    draft: bool = False  # 征求意见稿 / 讨论稿 / 送审稿
    body_start: int = 0  # index of the first line of the plan itself (its title line)


@dataclass
class Place:
    """Where a name (an issuer or a title's prefix) sits: its places, outermost first, and the
    office after them when it is a bureau rather than the government itself."""

    chain: list[tuple[str, str]]  # (name, kind)
    bureau: str | None = None


def read_place(name: str, strict: bool = True) -> Place:
    """The administrative places at the start of `name` and the office that follows them.

    `上海市长宁区人民政府办公室` → [上海市 city, 长宁区 district]; `X区经济委员会` → [X区], bureau 经济委员会."""
    chain: list[tuple[str, str]] = []
    pos = 0
    while pos < len(name):
        m = ADMIN.match(name, pos)
        if not m or _NOT_A_PLACE.search(m.group(1)):
            break
        kind = _KIND_OF_SUFFIX[m.group(2)]
        if chain and _NESTING[kind] < _NESTING[chain[-1][1]]:
            break  # places nest outermost first: a 市 after a 区 is a bureau's word (绿化市容局)
        chain.append((m.group(0), kind))
        pos = m.end()
    rest = name[pos:]
    bureau = None
    if strict and chain and rest and not GOVERNMENT_REST.match(rest):
        bureau = rest if BUREAU_END.search(rest) else None
        if bureau is None:
            return Place(chain=[])  # the places are part of something else (a sentence, a slogan)
    return Place(chain=chain, bureau=bureau)


def _safe_date(y: str, m: str, d: str) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def _first_structural_line(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if re.match(r"^[一二三四五六七八九十]+、", line) or re.match(r"^\d{1,3}[.、]\s*\S", line):
            return i
        if re.match(r"^序号(?:\s|$)", line):
            return i  # a task table's header row: the header is above it
    return len(lines)


def is_office_line(line: str) -> bool:
    """A line holding only an issuing office (a signature line, a draft's first line)."""
    return _office_line(line)


def _office_line(line: str) -> bool:
    """A line holding only an issuing office: 上海市长宁区人民政府办公室, X区经济委员会, X镇人民政府."""
    line = squash_spaces(line).replace(" ", "")
    if not line or len(line) > 30 or SENTENCE_PUNCT.search(line) or WEB_FURNITURE.search(line):
        return False
    if DOC_NUMBER.search(line) or re.search(r"\d", line):
        return False
    place = read_place(line)
    if not place.chain:
        return False
    rest = line[sum(len(n) for n, _ in place.chain) :]
    return bool(place.bureau) or bool(re.search(r"(人民政府|政府|办公室|办公厅|办事处)$", rest))


def parse_header(lines: list[str]) -> Header:
    """Read the notice wrapping the plan, the plan's own title line and the signature."""
    header = Header()
    lines = [TITLE_LABEL.sub("", line) for line in lines]
    first_struct = _first_structural_line(lines)
    head = lines[:first_struct]

    for line in head[:40]:
        # The document's own number stands alone on its line; a number cited in the text
        # (…（沪府办字〔2026〕5号）要求) belongs to another document.
        stripped = line.strip()
        labelled = LABELLED_NUMBER.match(stripped)
        match = DOC_NUMBER.fullmatch(labelled.group(1) if labelled else stripped)
        if match:
            header.doc_number = re.sub(r"\s+", "", match.group(1))
            break

    # The notice title: from a line holding 关于印发 up to the line that closes with 通知.
    notice_end = None
    for i, line in enumerate(head):
        flat = squash_spaces(line)
        if not NOTICE_START.search(flat) or flat.startswith(("为", "根据", "按照", "经")) or "。" in flat:
            continue
        parts = []
        for j in range(i, min(i + 8, len(head))):
            if head[j]:
                parts.append(head[j])
            if "通知" in head[j]:
                notice_end = j
                break
        if notice_end is None:
            continue
        header.notice_title = squash_spaces("".join(parts))
        header.issuer = header.notice_title.split("关于", 1)[0] or None
        if header.issuer is None:
            # The heading wrapped after the issuer: 泉河市人民政府办公室 / 关于印发《…》的通知.
            above = next((head[k] for k in range(i - 1, max(i - 3, -1), -1) if head[k]), "")
            if _office_line(above):
                header.issuer = squash_spaces(above).replace(" ", "")
                header.notice_title = header.issuer + header.notice_title
        quoted = QUOTED_TITLE.search(header.notice_title)
        if quoted:
            header.title = squash_spaces(quoted.group(1))
        else:
            bare = re.search(r"关于印发(.{4,80}?)的通知", header.notice_title)
            if bare:
                header.title = bare.group(1)
        break
    red_head = _red_head_issuer(head[:5])
    if header.issuer is None:
        header.issuer = red_head
    if header.issuer is None:
        # Drafts and web copies: the issuing office alone on one of the first lines.
        for line in [x for x in head if x][:4]:
            if _office_line(line):
                header.issuer = squash_spaces(line).replace(" ", "")
                break

    # The issue date: the first date standing alone on a line after the notice title.
    start = notice_end + 1 if notice_end is not None else 0
    date_at = None
    for i in range(start, len(lines)):
        m = DATE_LINE.match(lines[i].replace(" ", ""))
        if m:
            header.issue_date = _safe_date(*m.groups())
            if header.issue_date:
                date_at = i
                break
    if header.issue_date is None:
        date_at = _damaged_signature_date(header, lines, start)
    if header.issue_date is None:
        for line in head:
            flat = squash_spaces(line).replace(" ", "")
            adopted = ADOPTED.search(flat) or ADOPTED_LINE.match(flat)
            if adopted:
                header.issue_date = _safe_date(*adopted.groups())
                break
    signature = None
    if date_at is not None:
        # The signature: the office printed just above the date (above the seal note of an office
        # sealing for it: （X局代章）).
        above = next(
            (lines[k] for k in range(date_at - 1, max(date_at - 5, -1), -1) if lines[k] and not SEAL_NOTE.match(lines[k])),
            "",
        )
        if _office_line(above):
            signature = squash_spaces(above).replace(" ", "")
    if header.issuer is None:
        header.issuer = signature or _closing_signature(lines)
    else:
        # A notice heading often prints the short form (省政府办公厅, 区政府办公室, X镇人民政府)
        # while the red head or the signature prints the full name: the full name is the issuer.
        header.issuer = next(
            (full for full in (red_head, signature) if full and _short_form_of(header.issuer, full)), header.issuer
        )

    # Addressees: the line after the notice title that ends with a colon.
    for line in head[start : start + 6] if notice_end is not None else []:
        if line.endswith(("：", ":")) and len(line) < 80:
            header.addressees = [a for a in re.split(r"[，,]", line[:-1]) if a]
            break
    if not header.addressees and notice_end is None:
        for line in head[:8]:
            if line.endswith(("：", ":")) and len(line) < 80 and ("各" in line or "政府" in line):
                header.addressees = [a for a in re.split(r"[，,]", line[:-1]) if a]
                break

    header.draft = any(DRAFT_LINE.search(squash_spaces(x).replace(" ", "")) for x in head[:30] if len(x) < 80)

    # The plan's own title line marks where the plan itself begins.
    header.body_start = _find_body_start(lines, header, first_struct, start)
    if header.title is None:
        header.title = _title_at(lines, header.body_start, start) if header.body_start < first_struct else ""
        if not header.title:
            # No title line before the first section: take the first substantial line.
            header.title = next(
                (squash_spaces(x) for x in head if len(x) >= 6 and not WEB_FURNITURE.search(x)), ""
            )
    header.title = DRAFT_MARK.sub("", header.title or "").strip() if header.draft else header.title

    year = YEAR_IN_TITLE.search(header.title or "") or LEADING_YEAR.search(header.title or "")
    if year:
        header.year = int(year.group(1))
    elif header.doc_number and (number := DOC_NUMBER.search(header.doc_number)):
        header.year = int(number.group(2))
    elif header.issue_date:
        header.year = header.issue_date.year

    _read_parent(header, head)
    _read_place(header)
    return header


def _red_head_issuer(lines: list[str]) -> str | None:
    """The issuer of a red head `X文件`; a web page's breadcrumb (首页 > … > 政府文件) is not one."""
    for line in lines:
        flat = squash_spaces(line).replace(" ", "")
        stem = flat[: -len("文件")]
        if (
            flat.endswith("文件")
            and len(stem) >= 3
            and RED_HEAD_END.search(stem)
            and not WEB_FURNITURE.search(stem)
            and not SENTENCE_PUNCT.search(stem)
        ):
            return stem
    return None


def _short_form_of(short: str, full: str) -> bool:
    """`short` names the same office as `full` without its places: 省政府办公厅 ⊂ 江苏省人民政府办公厅,
    石门镇人民政府 ⊂ 青石县石门镇人民政府 (人民 is often dropped in the short form)."""
    short, full = _office_long_form(short), _office_long_form(full)
    return len(full) > len(short) and full.endswith(short)


def _office_long_form(name: str) -> str:
    """The office's name written out: 人民 dropped, 府办 / 政府办 → 政府办公室 (县政府办, 区府办)."""
    return re.sub(r"政?府办$", "政府办公室", name.replace("人民", ""))


# A signature date without its day (a draft's 2025年6月) or with its 年月日 lost (2025610).
PARTIAL_DATE_LINE = re.compile(r"^(?:\d{4}年\d{1,2}月|20\d{5,6})$")


def _closing_signature(lines: list[str]) -> str | None:
    """The office signing at the very end of a document whose date line gives no full date
    (a draft's `2025年6月`): the office printed just above that closing date."""
    filled = [squash_spaces(x).replace(" ", "") for x in lines if x.strip()]
    # page furniture and a publication note may follow the date ([打印本页], （此件公开发布）)
    while filled and (WEB_FURNITURE.search(filled[-1]) or re.fullmatch(r"[（(]此件[^（）()]{0,10}[）)]", filled[-1])):
        filled.pop()
    if len(filled) >= 2 and PARTIAL_DATE_LINE.match(filled[-1]) and _office_line(filled[-2]):
        return filled[-2]
    return None


def _damaged_signature_date(header: Header, lines: list[str], start: int) -> int | None:
    """A signature date that lost its 年月日 (`2022330`): digits alone under the issuing office,
    read only when one split into month and day is a real date."""
    for i in range(start, len(lines)):
        m = re.fullmatch(r"(20\d{2})(\d{3,4})", lines[i].replace(" ", ""))
        if not m:
            continue
        above = next((lines[k] for k in range(i - 1, max(i - 4, -1), -1) if lines[k]), "")
        if not _office_line(above):
            continue
        year, rest = m.group(1), m.group(2)
        splits = [(rest[:1], rest[1:]), (rest[:2], rest[2:])] if len(rest) == 3 else [(rest[:2], rest[2:])]
        found = {d for mo, da in splits if (d := _safe_date(year, mo, da)) is not None}
        if len(found) == 1:
            header.issue_date = found.pop()
            return i
    return None


def _title_at(lines: list[str], end: int, after: int) -> str:
    """The title ending on line `end`, with a first line it was wrapped from."""
    title = squash_spaces(lines[end])
    k = end - 1
    while k >= after and not lines[k]:
        k -= 1
    if k >= after:
        above = squash_spaces(lines[k])
        if (
            above
            and len(above) + len(title) <= 60
            and not SENTENCE_PUNCT.search(above)
            and not TITLE_END.search(above)
            and not _office_line(above)
            and not DOC_NUMBER.search(above)
            and not DATE_LINE.match(above.replace(" ", ""))
            and not DRAFT_MARK.fullmatch(above)
            and not WEB_FURNITURE.search(above)
            and not above.endswith(("文件", "通知"))
            and (YEAR_IN_TITLE.match(above) or LEADING_YEAR.match(above) or read_place(above).chain)
        ):
            title = above + title
    return title


def _find_body_start(lines: list[str], header: Header, first_struct: int, after: int) -> int:
    if header.title:
        target = header.title
        for i in range(after, min(first_struct + 1, len(lines))):
            line = squash_spaces(lines[i])
            if line and (line == target or (len(line) >= 6 and (line in target or target in line))) and (
                line == target or not _office_line(line)  # a signature can be the start of a bureau's title
            ):
                # Skip the notice's own lines that merely quote the title.
                if "《" not in line and "印发" not in line and "已经" not in line:
                    return i
    # No repeated title: the plan starts at the last non-empty line before the first section,
    # when it looks like a title (工作要点 / 方案 / 分解表 / 计划).
    for i in range(first_struct - 1, after - 1, -1):
        line = DRAFT_MARK.sub("", squash_spaces(lines[i])).strip()
        if TITLE_END.search(line) and not SENTENCE_PUNCT.search(line) and "《" not in line:
            return i
    return first_struct


def _read_parent(header: Header, head: list[str]) -> None:
    """The directive the document cites as its basis: the last plan cited in the notice or
    preamble that is not the document itself (国务院 → 省 → 市 are cited in that order)."""
    own = header.title or ""
    # A directive cited by its notice: 《X办公厅关于印发2025年X政务公开工作要点的通知》 cites the plan.
    text = CITED_NOTICE.sub(r"《\1》", squash_spaces("".join(head)))
    for m in CITATION.finditer(text):
        cited = squash_spaces(m.group(1))
        if cited == own or (own and (cited in own or own in cited)):
            continue
        header.parent_title = cited
        header.parent_doc_number = re.sub(r"\s+", "", m.group(2)) if m.group(2) else None


def cited_place(title: str) -> str | None:
    """The place a cited plan's title names (`2025年泉河市政务公开工作要点` → 泉河市), or None."""
    chain = _place_of(title, True).chain
    return chain[-1][0] if chain else None


def _title_prefix(title: str) -> str:
    """The title without its year: `2024年上海市X区政务公开工作要点` → `上海市X区政务公开工作要点`."""
    return re.sub(r"^(?:20\d{2}\s*年?度?)", "", title or "")


def _bureau_in_title(rest: str) -> str | None:
    m = re.match(r"([\u4e00-\u9fffA-Za-z]{2,20}?(?:委员会|管委会|局|委|办公室|中心|厅|署))(?=20\d{2}|政务|政府信息|关于|$)", rest)
    return m.group(1) if m else None


def _place_of(text: str, from_title: bool) -> Place:
    if not from_title:
        return read_place(text)
    prefix = _title_prefix(text)
    place = read_place(prefix, strict=False)
    if place.chain and place.bureau is None:
        rest = prefix[sum(len(n) for n, _ in place.chain) :]
        place.bureau = _bureau_in_title(rest)
    return place


def _read_place(header: Header) -> None:
    place = Place(chain=[])
    for source, from_title in ((header.issuer, False), (header.title, True)):
        if source:
            place = _place_of(source, from_title)
            if place.chain:
                break
    if header.title and place.bureau is None:
        # a title that names an office as its subject (X区人民政府办公室2026年政务公开工作计划) is
        # that office's own plan, even when the office is the one that issues the district's plans
        own = _place_of(header.title, True)
        if own.chain and own.bureau:
            place = own
    if not place.chain:
        header.level = "district"
        return
    if place.bureau and header.issuer and header.title:
        # An office issuing for its government (区政务公开领导小组办公室, a bureau's 代章) a plan
        # whose title names the whole place (北京市丰台区2025年政务公开工作要点): the place's plan.
        titled = _place_of(header.title, True)
        rest = _title_prefix(header.title)[sum(len(n) for n, _ in titled.chain) :]
        if (
            titled.chain
            and titled.bureau is None
            and titled.chain[-1] == place.chain[-1]
            and re.match(r"(?:贯彻落实|贯彻|落实)?(?:20\d{2}\s*年度?)?(?:政务公开|政府信息公开)", rest)
        ):
            place = titled
    if header.issuer is None and place.bureau and header.title:
        # A bureau's own plan names its issuer in the title (X区经济委员会2025年…).
        header.issuer = "".join(n for n, _ in place.chain) + place.bureau
    # The government's own chain; a title naming the lower place wins over a bare issuer (上海市
    # 人民政府办公厅 prints 上海市's title, but a district's web copy may sign with the city prefix).
    chain = place.chain
    name, kind = chain[-1]
    if place.bureau:
        kind = "bureau"
    elif kind == "city" and _is_county_city(header, chain):
        kind = "county_city"
    header.kind = kind
    header.level = LEVEL_OF_KIND[kind]
    if kind in ("street", "town") and len(chain) >= 2:
        header.place = chain[-2][0]  # a street's or town's plan belongs to its district
    elif kind in ("street", "town"):
        # The district is not named with the issuer: the cited district plan names it.
        parent = _place_of(header.parent_title, True).chain if header.parent_title else []
        above = [n for n, k in parent if k in ("district", "county", "county_city", "city")]
        header.place = above[-1] if above else name
    else:
        header.place = name


def _is_county_city(header: Header, chain: list[tuple[str, str]]) -> bool:
    """A 市 that is a county-level city: named under another city, or answering a city's plan,
    or addressing towns and streets directly."""
    if len(chain) >= 2 and chain[-2][1] == "city":
        return True
    if header.parent_title:
        parent = _place_of(header.parent_title, True).chain
        if parent and parent[-1][1] == "city" and parent[-1][0] != chain[-1][0]:
            return True
    addressed = "".join(header.addressees)
    return bool(re.search(r"镇|乡|街道", addressed)) and not re.search(r"各(县|区)|县（|区（|区、", addressed)
