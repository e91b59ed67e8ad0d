"""Drafts derived from the Changning 2026 plan: items deleted, reworded, merged.

Items are renumbered after an edit, as a drafter would, so the draft reads as a real plan.
"""

from __future__ import annotations

import re
from pathlib import Path

ITEM_LINE = re.compile(r"^(\d{1,2})\. ")


def split_items(text: str) -> tuple[str, list[str], str]:
    """(head, items, tail) of the seed: each item is the text from its `N. ` line to the next."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if ITEM_LINE.match(line)]
    head = "\n".join(lines[: starts[0]])
    items = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        block = lines[start:end]
        items.append("\n".join(block))
    # the closing paragraph follows the last item's unit clause
    last = items[-1]
    cut = last.index("）\n") + 1
    items[-1], tail = last[:cut], last[cut:]
    return head, items, tail


def make_draft(
    seed: Path,
    dest: Path,
    *,
    delete: tuple[int, ...] = (),
    reword: dict[int, str] | None = None,
    merge: tuple[int, int, str] | None = None,
    headings: dict[str, str] | None = None,
) -> Path:
    """Write a draft: `reword` replaces an item's text (its unit clause kept); `merge` joins
    two items under a new text with the first item's unit clause; `headings` rewrites section
    heading lines (old line → new line)."""
    head, items, tail = split_items(seed.read_text(encoding="utf-8"))
    bodies: dict[int, str] = {}
    for block in items:
        number = int(ITEM_LINE.match(block).group(1))
        bodies[number] = ITEM_LINE.sub("", block, count=1)
    for number, text in (reword or {}).items():
        clause = bodies[number][bodies[number].rindex("（责任单位") :]
        bodies[number] = f"{text}{clause}"
    if merge:
        first, second, text = merge
        clause = bodies[first][bodies[first].rindex("（责任单位") :]
        bodies[first] = f"{text}{clause}\n"
        del bodies[second]
    for number in delete:
        del bodies[number]
    out = [head.rstrip("\n"), ""]
    for new_number, old in enumerate(sorted(bodies), start=1):
        out.append(f"{new_number}. {bodies[old].strip()}")
        out.append("")
    text = "\n".join(out) + tail
    for old_heading, new_heading in (headings or {}).items():
        if f"\n{old_heading}\n" not in text:
            raise ValueError(f"no heading line {old_heading!r} in {seed}")
        text = text.replace(f"\n{old_heading}\n", f"\n{new_heading}\n")
    dest.write_text(text, encoding="utf-8")
    return dest
