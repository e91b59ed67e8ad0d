"""Reading accuracy over the hand-labelled corpus `tests/corpus/reading/` (figures, never asserted here).

Prints header-field accuracy, item-count accuracy, unit and deadline accuracy per item, and lists
the cases still wrong. `reading_figures()` returns the same as a dict, so that other parts of the
evaluation (coverage over the paraphrase set) can be added next to it in `main`.

    .venv/bin/python benchmarks/accuracy.py
    .venv/bin/python benchmarks/accuracy.py --holdout   # the same figures over tests/corpus/holdout/

The holdout (`tests/corpus/holdout/reading/`, `tests/corpus/holdout/paraphrase/`) was written blind,
without reading the reader's or the aligner's code, to measure them on documents they were not tuned
on; it is a measurement only (no test asserts its figures).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.coverage_eval import coverage_figures, print_coverage  # noqa: E402
from documents.model import Document  # noqa: E402
from documents.parser import parse_file  # noqa: E402
from offices.names import normalize_name  # noqa: E402

CORPUS = ROOT / "tests" / "corpus" / "reading"
HOLDOUT = ROOT / "tests" / "corpus" / "holdout"
# The header fields the accuracy figure counts (the list); the others are reported apart.
HEADER_FIELDS = ("title", "issuer", "doc_number", "issue_date", "year", "level", "place")
EXTRA_FIELDS = ("kind", "draft", "parent_title")


def _value(doc: Document, name: str) -> Any:
    value = getattr(doc, name)
    return value.isoformat() if isinstance(value, date) else value


def _truth_value(truth: dict[str, Any], name: str) -> Any:
    value = truth.get(name)
    return value.isoformat() if isinstance(value, date) else value


def compare(doc: Document, truth: dict[str, Any]) -> dict[str, Any]:
    """What is right and wrong in one parsed document against its truth."""
    head = truth["header"]
    header = {f: _value(doc, f) == _truth_value(head, f) for f in HEADER_FIELDS + EXTRA_FIELDS if f in head}
    wrong: list[str] = [f"{f}: 读出 {_value(doc, f)!r}，应为 {_truth_value(head, f)!r}" for f, ok in header.items() if not ok]
    parsed = {i.number: i for i in doc.items}
    want_numbers = [i["number"] for i in truth["items"]]
    count_ok = sorted(parsed) == want_numbers
    if not count_ok:
        wrong.append(f"items: 读出 {sorted(parsed)}，应为 {want_numbers}")
    units_ok = deadlines_ok = 0
    for want in truth["items"]:
        item = parsed.get(want["number"])
        got_units = {(normalize_name(u.name), u.role) for u in item.units} if item else set()
        want_units = {(normalize_name(u["name"]), u["role"]) for u in want["units"]}
        got_deadlines = {d.phrase for d in item.deadlines} if item else set()
        want_deadlines = set(want["deadlines"])
        if got_units == want_units:
            units_ok += 1
        else:
            wrong.append(f"第{want['number']}项单位: 读出 {sorted(got_units)}，应为 {sorted(want_units)}")
        if got_deadlines == want_deadlines:
            deadlines_ok += 1
        else:
            wrong.append(f"第{want['number']}项时限: 读出 {sorted(got_deadlines)}，应为 {sorted(want_deadlines)}")
    return {
        "header": header,
        "count_ok": count_ok,
        "items": len(truth["items"]),
        "units_ok": units_ok,
        "deadlines_ok": deadlines_ok,
        "wrong": wrong,
    }


def reading_figures(corpus: Path = CORPUS) -> dict[str, Any]:
    """Accuracy of reading over the corpus: shares in [0, 1] and the cases still wrong."""
    docs = header_right = header_total = counts_right = items = units_right = deadlines_right = 0
    extra_right = extra_total = 0
    wrong: dict[str, list[str]] = {}
    conventions: set[str] = set()
    levels: set[str] = set()
    for truth_path in sorted(corpus.glob("*.yaml")):
        truth = yaml.safe_load(truth_path.read_text(encoding="utf-8"))
        text_path = truth_path.with_suffix(".txt")
        conventions.add(truth.get("convention", ""))
        levels.add(truth["header"].get("kind") or truth["header"].get("level"))
        docs += 1
        try:
            doc = parse_file(text_path)
        except Exception as exc:  # noqa: BLE001 - an unreadable document counts as all wrong
            wrong[text_path.name] = [f"未能读取: {exc}"]
            header_total += len(HEADER_FIELDS)
            items += len(truth["items"])
            continue
        result = compare(doc, truth)
        for field_name, ok in result["header"].items():
            if field_name in HEADER_FIELDS:
                header_total += 1
                header_right += ok
            else:
                extra_total += 1
                extra_right += ok
        counts_right += result["count_ok"]
        items += result["items"]
        units_right += result["units_ok"]
        deadlines_right += result["deadlines_ok"]
        if result["wrong"]:
            wrong[text_path.name] = result["wrong"]
    share = lambda a, b: a / b if b else 0.0  # noqa: E731
    return {
        "documents": docs,
        "conventions": sorted(conventions),
        "levels": sorted(levels),
        "header_fields": header_total,
        "header_accuracy": share(header_right, header_total),
        "extra_header_accuracy": share(extra_right, extra_total),
        "item_count_accuracy": share(counts_right, docs),
        "items": items,
        "unit_accuracy": share(units_right, items),
        "deadline_accuracy": share(deadlines_right, items),
        "wrong": wrong,
    }


def print_reading(figures: dict[str, Any]) -> None:
    print(f"阅读准确率（{figures['documents']}份文件，{len(figures['conventions'])}种省份写法，层级：{'、'.join(figures['levels'])}）")
    print(f"  文头字段（{'/'.join(HEADER_FIELDS)}）: {figures['header_accuracy']:.1%}（{figures['header_fields']}个字段）")
    print(f"  其他文头字段（{'/'.join(EXTRA_FIELDS)}）: {figures['extra_header_accuracy']:.1%}")
    print(f"  条目数: {figures['item_count_accuracy']:.1%}")
    print(f"  责任单位（逐项）: {figures['unit_accuracy']:.1%}（{figures['items']}项）")
    print(f"  完成时限（逐项）: {figures['deadline_accuracy']:.1%}")
    if figures["wrong"]:
        print("  仍读错的地方：")
        for name, problems in figures["wrong"].items():
            for problem in problems:
                print(f"    {name}: {problem}")


def holdout_figures(holdout: Path = HOLDOUT) -> dict[str, Any]:
    """Reading and coverage figures over the blind holdout, as the main corpus's."""
    return {
        "reading": reading_figures(holdout / "reading"),
        "coverage": coverage_figures(corpus=holdout / "paraphrase"),
    }


def main() -> None:
    if "--holdout" in sys.argv:
        figures = holdout_figures()
        print("【盲测集 tests/corpus/holdout/】")
        print_reading(figures["reading"])
        print()
        print("覆盖判断（盲测改写稿）")
        print_coverage(figures["coverage"])
        return
    print_reading(reading_figures())
    print()
    print("覆盖判断（改写稿评测集）")
    print_coverage(coverage_figures())


if __name__ == "__main__":
    main()
