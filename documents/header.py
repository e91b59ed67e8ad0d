"""Header elements of an official document (GB/T 9704-2012): number, issuer, title, date, addressees."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

DOC_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,10}[〔\[［（(]\s*(\d{4})\s*[〕\]］）)]\s*第?\s*(\d{1,4})\s*号)")
FULL_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
DATE_LINE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:印发)?$")
QUOTED_TITLE = re.compile(r"《([^《》]{4,120})》")
PLACE = re.compile(r"(?:上海市)?([\u4e00-\u9fff]{2,3}?(?:新区|区|县))(?=人民政府|政府|[\u4e00-\u9fff]{1,12}(?:局|委|办|室|厅|中心|街道|镇))")
UNIT_ISSUER = re.compile(r"(街道办事处|街道|镇人民政府|镇政府)$")
YEAR_IN_TITLE = re.compile(r"(20\d{2})\s*年")
CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff“”《》、，（）])\s+(?=[\u4e00-\u9fff“”《》、，（）\d])|(?<=\d)\s+(?=[\u4e00-\u9fff])")


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
    body_start: int = 0  # index of the first line of the plan itself (its title line)


def _safe_date(y: str, m: str, d: str) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def _first_structural_line(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if re.match(r"^[一二三四五六七八九十]+、", line) or re.match(r"^\d{1,3}[.、]\s*\S", line):
            return i
    return len(lines)


def parse_header(lines: list[str]) -> Header:
    """Read the notice wrapping the plan and the plan's own title line."""
    header = Header()
    first_struct = _first_structural_line(lines)
    head = lines[:first_struct]

    for line in head[:40]:
        # The document's own number stands alone on its line; a number cited in the text
        # (…（沪府办字〔2026〕5号）要求) belongs to another document.
        match = DOC_NUMBER.fullmatch(line.strip())
        if match:
            header.doc_number = re.sub(r"\s+", "", match.group(1))
            break

    # The notice title: from a line holding 关于 (印发) up to the line that closes with 通知.
    notice_end = None
    for i, line in enumerate(head):
        if "关于" in line and ("印发" in line or "通知" in line or "《" in line):
            parts = []
            for j in range(i, min(i + 8, len(head))):
                if head[j]:
                    parts.append(head[j])
                if "通知" in head[j]:
                    notice_end = j
                    break
            header.notice_title = squash_spaces("".join(parts))
            header.issuer = header.notice_title.split("关于", 1)[0] or None
            quoted = QUOTED_TITLE.search(header.notice_title)
            if quoted:
                header.title = squash_spaces(quoted.group(1))
            break
    if header.issuer is None:
        for line in head[:5]:
            if line.endswith("文件") and len(line) > 4:
                header.issuer = line[: -len("文件")]
                break

    # The issue date: the first date standing alone on a line after the notice title.
    start = (notice_end or 0) + 1 if notice_end is not None else 0
    for line in head[start:] + lines[first_struct:]:
        m = DATE_LINE.match(line.replace(" ", ""))
        if m:
            header.issue_date = _safe_date(*m.groups())
            if header.issue_date:
                break

    # Addressees: the line after the notice title that ends with a full-width colon.
    for line in head[start : start + 6] if notice_end is not None else []:
        if line.endswith("：") and len(line) < 80:
            header.addressees = [a for a in re.split(r"[，,]", line[:-1]) if a]
            break

    # The plan's own title line marks where the plan itself begins.
    header.body_start = _find_body_start(lines, header, first_struct, start)
    if header.title is None:
        header.title = squash_spaces(lines[header.body_start]) if header.body_start < len(lines) else ""
        if header.body_start >= first_struct:
            # No title line before the first section: take the first substantial line.
            header.title = next((squash_spaces(x) for x in head if len(x) >= 6), "")

    year = YEAR_IN_TITLE.search(header.title or "")
    if year:
        header.year = int(year.group(1))
    elif header.doc_number and (number := DOC_NUMBER.search(header.doc_number)):
        header.year = int(number.group(2))
    elif header.issue_date:
        header.year = header.issue_date.year

    source = header.issuer or header.title or ""
    place = PLACE.search(source) or PLACE.search(header.title or "")
    if place:
        header.place = place.group(1)
    elif "上海" in source or "上海" in (header.title or ""):
        header.place = "上海市"
    header.level = _level(header.issuer, header.place)
    return header


def _find_body_start(lines: list[str], header: Header, first_struct: int, after: int) -> int:
    if header.title:
        target = header.title
        for i in range(after, min(first_struct + 1, len(lines))):
            line = squash_spaces(lines[i])
            if line and (line == target or (len(line) >= 6 and (line in target or target in line))):
                # Skip the notice's own lines that merely quote the title.
                if "《" not in line and "印发" not in line and "已经" not in line:
                    return i
    # No repeated title: the plan starts at the last non-empty line before the first section,
    # when it looks like a title (工作要点 / 方案 / 分解表 / 计划).
    for i in range(first_struct - 1, after - 1, -1):
        if re.search(r"(要点|方案|分解表|计划|安排)$", squash_spaces(lines[i])):
            return i
    return first_struct


def _level(issuer: str | None, place: str | None) -> str:
    if issuer and place and place != "上海市" and ("人民政府" not in issuer or UNIT_ISSUER.search(issuer)):
        return "unit"
    if place == "上海市":
        return "municipal"
    return "district"
