"""Independent reading of the seeds for tests: a plain item splitter that does not use the
parser under test, so unit-clause tests check the parser's pieces against the raw text."""

from __future__ import annotations

import re
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"

# The municipal plan's half-width punctuation is converted as the document reader does.
_HALF_TO_FULL = str.maketrans({"(": "（", ")": "）", ":": "：", ";": "；", ",": "，"})
_ITEM_START = re.compile(r"^(\d{1,2})\s*[.．]\s*")
_HEADING = re.compile(r"^([一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)")


def split_items(text: str, stop: str | None = None) -> dict[int, str]:
    """Numbered items of a running-text plan, lines joined (PDF line breaks fall mid-word)."""
    items: dict[int, str] = {}
    current: int | None = None
    for line in text.translate(_HALF_TO_FULL).splitlines():
        s = line.strip()
        if stop and s.startswith(stop):
            break
        if not s:
            continue
        m = _ITEM_START.match(s)
        if m:
            current = int(m.group(1))
            items[current] = s[m.end() :]
        elif _HEADING.match(s):
            current = None
        elif current is not None:
            items[current] += s
    return items


def seed(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)
