"""Coverage over the paraphrase set (tests/corpus/paraphrase/): drafts of the 2026 Changning
plan with items rewritten by hand, deleted, merged, split and reordered, each checked against
the 2026 city plan and compared with its hand-labelled truth.

Run: .venv/bin/python benchmarks/coverage_eval.py
Prints the false-MISSING count (an error-level MISSING for an item the draft covers in other
words: the worst thing the product can do), the missed deletions (a deleted item not reported
MISSING) and, per draft, what is still wrong.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from documents.model import UnitMention  # noqa: E402
from documents.parser import parse_file  # noqa: E402
from rules.check import check_plan  # noqa: E402
from rules.policy import Policy, load_policy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
CORPUS = ROOT / "tests" / "corpus" / "paraphrase"
ITEM_START = r"^\d{1,2}\. "

# Which city item each item of the Changning seed takes up (read off the two plans by hand;
# the same table as tests/test_check.py's CITY_TO_CHANGNING, turned round).
SEED_TAKES_UP = {
    1: 4, 2: 6, 3: 7, 4: 8, 5: 12, 6: 13, 7: 14, 8: 15, 9: 16, 10: 17, 11: 18, 12: 19, 13: 20,
    14: 24, 15: 25, 16: 26, 17: 27, 18: 28, 19: 29, 20: 30, 21: 31, 22: 32,
}


def _seed_parts(text: str, closing: str) -> tuple[str, dict[int, tuple[str, str]], str]:
    """(head, {item: (text, unit clause)}, closing paragraphs) of a seed plan; `closing` is how
    its closing paragraph begins."""
    import re

    lines = text.split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("一、"))
    head = "\n".join(lines[:first]).rstrip("\n")
    body = "\n".join(lines[first:])
    tail_at = body.rindex("\n" + closing)
    body, tail = body[:tail_at], body[tail_at:].strip("\n")
    items: dict[int, tuple[str, str]] = {}
    for block in re.split(r"\n(?=\d{1,2}\. )", body):
        m = re.match(r"(\d{1,2})\. ", block)
        if not m:
            continue
        # an item runs to the next heading (PDF-style breaks inside it are joined)
        kept = []
        for line in block[m.end():].split("\n"):
            if re.match(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)", line):
                break
            kept.append(line)
        joined = "".join(kept)
        cut = joined.rfind("（责任单位")
        if cut < 0:
            items[int(m.group(1))] = (joined, "")
        else:
            items[int(m.group(1))] = (joined[:cut], joined[cut : _closing(joined, cut) + 1])
    return head, items, tail


def _closing(text: str, start: int) -> int:
    """Index of the bracket closing the one at `start` (unit clauses nest: 各街道（镇）)."""
    depth = 0
    for index in range(start, len(text)):
        depth += {"（": 1, "）": -1}.get(text[index], 0)
        if depth == 0:
            return index
    return len(text) - 1


def build_draft(spec: dict[str, Any]) -> tuple[str, dict[int, list[int]]]:
    """The draft's full text and its truth: {directive item: [plan items covering it]}."""
    head, seed_items, tail = _seed_parts(
        (SAMPLES / spec["seed"]).read_text(encoding="utf-8"), spec.get("closing", "各部门")
    )
    takes_up = {int(k): v for k, v in (spec.get("seed_takes_up") or {}).items()} or {
        k: [v] for k, v in SEED_TAKES_UP.items()
    }
    out = [head, ""]
    covered: dict[int, list[int]] = {}
    number = 0
    for entry in spec["body"]:
        if "h" in entry:
            out += [entry["h"], ""]
            continue
        number += 1
        if "keep" in entry:
            text, units = seed_items[entry["keep"]]
            covers = list(takes_up[entry["keep"]])
        else:
            text = entry["text"]
            units = entry.get("units") or (seed_items[entry["from"]][1] if "from" in entry else "")
            covers = list(entry["covers"])
        out += [f"{number}. {text}{units}", ""]
        for city_item in covers:
            covered.setdefault(city_item, []).append(number)
    out.append(tail)
    return "\n".join(out) + "\n", covered


def drafts(corpus: Path = CORPUS) -> list[Path]:
    return sorted(corpus.glob("*.yaml"))


def directive_of(spec: dict[str, Any]):  # noqa: ANN201 - a Document
    """The directive a draft is checked against. A plan standing in for a directive (the 2025
    Changning task table, as in tests/test_check.py's thematic test) has every item bind."""
    directive = parse_file(SAMPLES / spec["directive"])
    if spec.get("directive_binds_all"):
        directive.level, directive.place = "municipal", "上海市"
        for item in directive.items:
            item.units = [UnitMention("各区政府", "各区政府", "responsible", True)]
    return directive


def evaluate_draft(path: Path, policy: Policy, directives: dict[str, Any]) -> dict[str, Any]:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    key = f"{spec['directive']}:{bool(spec.get('directive_binds_all'))}"
    if key not in directives:
        directives[key] = directive_of(spec)
    city = directives[key]
    text, covered = build_draft(spec)
    deleted = set(spec["deleted"])
    with tempfile.TemporaryDirectory() as tmp:
        draft = Path(tmp) / f"{path.stem}.txt"
        draft.write_text(text, encoding="utf-8")
        plan = parse_file(draft)
    result = check_plan(plan, city, policy=policy)
    errors = {f.directive_item for f in result.findings if f.code == "MISSING_MANDATED_ITEM" and f.severity == "error"}
    rows = {row.directive_item: row for row in result.coverage if row.binding}
    wrong: list[str] = []
    false_missing = wrong_link = 0
    for city_item, plan_items in sorted(covered.items()):
        row = rows.get(city_item)
        if city_item in errors:
            false_missing += 1
            wrong.append(f"上级第{city_item}项被报缺失，实由第{'、'.join(map(str, plan_items))}项落实")
        elif row is not None and row.status == "covered" and not set(row.plan_items) & set(plan_items):
            wrong_link += 1
            wrong.append(f"上级第{city_item}项链接到第{row.plan_items}项，应为第{plan_items}项")
    missed = sorted(d for d in deleted if d not in errors)
    for city_item in missed:
        row = rows.get(city_item)
        status = f"{row.status}→{row.plan_items}" if row else "无"
        wrong.append(f"上级第{city_item}项已删除，未报缺失（{status}）")
    kinds: dict[str, int] = {}
    for entry in spec["body"]:
        if "kind" in entry:
            kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
    weak = sorted(n for n, row in rows.items() if row.status == "partial")
    return {
        "draft": path.stem,
        "plan_items": len(plan.items),
        "covered_items": len(covered),
        "deleted": len(deleted),
        "kinds": kinds,
        "false_missing": false_missing,
        "missed_deletions": len(missed),
        "wrong_links": wrong_link,
        "weak": weak,
        "wrong": wrong,
    }


def coverage_figures(policy: Policy | None = None, corpus: Path = CORPUS) -> dict[str, Any]:
    """False-MISSING and missed-deletion counts over the paraphrase set (or another directory of
    drafts in the same format, e.g. the blind holdout), with totals and, per draft, what is
    still wrong."""
    policy = policy or load_policy()
    directives: dict[str, Any] = {}
    per_draft = [evaluate_draft(path, policy, directives) for path in drafts(corpus)]
    deletions = sum(d["deleted"] for d in per_draft)
    missed = sum(d["missed_deletions"] for d in per_draft)
    rewritten = sum(d["kinds"].get(k, 0) for d in per_draft for k in ("reworded", "merged", "split"))
    distinct = set()
    for path in drafts(corpus):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["body"]:
            if entry.get("kind") in ("reworded", "merged", "split"):
                distinct.add(entry["text"])
    return {
        "drafts": len(per_draft),
        "covered_items": sum(d["covered_items"] for d in per_draft),
        "rewritten_items": rewritten,
        "distinct_rewritten_sentences": len(distinct),
        "deletions": deletions,
        "false_missing": sum(d["false_missing"] for d in per_draft),
        "missed_deletions": missed,
        "deletions_reported": round((deletions - missed) / deletions, 4) if deletions else 1.0,
        "wrong_links": sum(d["wrong_links"] for d in per_draft),
        "weak_coverage": sum(len(d["weak"]) for d in per_draft),
        "per_draft": per_draft,
    }


def _corpus_sentences() -> tuple[list[str], list[tuple[int, str]]]:
    """The local items of the set and the rewrites of the Changning 2026 seed (item, text)."""
    local, rewrites = set(), set()
    for path in drafts():
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in spec["body"]:
            if entry.get("kind") == "local":
                local.add(entry["text"])
            elif entry.get("kind") == "reworded" and spec["seed"] == "changning-2026-district-plan.txt":
                rewrites.add((entry["from"], entry["text"]))
    return sorted(local), sorted(rewrites)


def substitution_figures(
    policy: Policy | None = None, items: range | list[int] = range(1, 23), rewrites: bool = True
) -> dict[str, Any]:
    """Harder than the drafts: each seed item replaced in its own place (same heading, same
    units) by each local item of the set — a deletion that leaves a plausible-looking stranger
    where the counterpart stood — and each rewrite of the set alone in an otherwise intact plan."""
    from tests.drafts import make_draft

    policy = policy or load_policy()
    city = parse_file(SAMPLES / "shanghai-2026-municipal-plan.txt")
    seed = SAMPLES / "changning-2026-district-plan.txt"
    local, rewritten = _corpus_sentences()
    rewritten = rewritten if rewrites else []
    not_missing, false_missing, weak = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        draft = Path(tmp) / "draft.txt"

        def status(item: int, text: str) -> str:
            result = check_plan(parse_file(make_draft(seed, draft, reword={item: text})), city, policy=policy)
            return next(r.status for r in result.coverage if r.directive_item == SEED_TAKES_UP[item])

        for item in items:
            for k, text in enumerate(local):
                if (found := status(item, text)) != "missing":
                    not_missing.append(f"第{item}项换成本地第{k + 1}条：{found}")
        for item, text in rewritten:
            found = status(item, text)
            if found == "missing":
                false_missing.append(f"第{item}项改写后被报缺失：{text[:20]}…")
            elif found == "partial":
                weak.append(item)
    return {
        "substitutions": len(items) * len(local),
        "substitutions_not_missing": not_missing,
        "single_rewrites": len(rewritten),
        "single_rewrites_missing": false_missing,
        "single_rewrites_weak": weak,
    }


def print_coverage(figures: dict[str, Any]) -> None:
    print(f"paraphrase drafts: {figures['drafts']}, covered directive items: {figures['covered_items']}, "
          f"rewritten plan items: {figures['rewritten_items']} ({figures['distinct_rewritten_sentences']} distinct), "
          f"deletions: {figures['deletions']}")
    print(f"false MISSING (error for a covered item): {figures['false_missing']}")
    print(f"missed deletions: {figures['missed_deletions']} "
          f"({figures['deletions_reported']:.1%} of deletions reported MISSING)")
    print(f"links to the wrong plan item: {figures['wrong_links']}; WEAK_COVERAGE rows: {figures['weak_coverage']}")
    for draft in figures["per_draft"]:
        print(f"- {draft['draft']}: weak {draft['weak']}")
        for line in draft["wrong"]:
            print(f"    {line}")


def main() -> None:
    figures = coverage_figures()
    print_coverage(figures)
    stress = substitution_figures()
    print(f"substitutions (an item replaced in its place by a local item): {stress['substitutions']}, "
          f"not reported missing: {len(stress['substitutions_not_missing'])} {stress['substitutions_not_missing']}")
    print(f"single rewrites: {stress['single_rewrites']}, reported missing: {len(stress['single_rewrites_missing'])} "
          f"{stress['single_rewrites_missing']}, weak: {stress['single_rewrites_weak']}")
    if "--json" in sys.argv:
        print(json.dumps(figures, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
