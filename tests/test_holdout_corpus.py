"""The blind holdout (tests/corpus/holdout/) loads and its truth is well-formed.

The holdout is a measurement (`benchmarks/accuracy.py --holdout`), written without reading the
reader's or the aligner's code: no test asserts its accuracy, only that every file is usable and
its hand-written truth is consistent, so that the figures it prints mean something.
"""

from __future__ import annotations

import re

import pytest
import yaml

from benchmarks.accuracy import EXTRA_FIELDS, HEADER_FIELDS, HOLDOUT
from benchmarks.coverage_eval import SEED_TAKES_UP, build_draft, drafts

READING = sorted((HOLDOUT / "reading").glob("*.yaml"))
PARAPHRASE = drafts(HOLDOUT / "paraphrase")
LEVELS = {"province", "municipal", "district", "unit"}
KINDS = {"province", "city", "district", "county", "county_city", "street", "town", "bureau"}
ROLES = {"lead", "responsible", "cooperating"}


def test_the_holdout_is_as_wide_as_its_brief() -> None:
    assert len(READING) >= 22 and len(PARAPHRASE) >= 3
    heads = [yaml.safe_load(p.read_text(encoding="utf-8"))["header"] for p in READING]
    conventions = {yaml.safe_load(p.read_text(encoding="utf-8"))["convention"] for p in READING}
    assert len(conventions) >= 12
    assert {h["level"] for h in heads} == LEVELS
    assert {h["kind"] for h in heads} == KINDS
    assert any(h["draft"] for h in heads) and any(h["issuer"] is None for h in heads)


@pytest.mark.parametrize("truth_path", READING, ids=lambda p: p.stem)
def test_reading_truth_is_well_formed(truth_path) -> None:
    truth = yaml.safe_load(truth_path.read_text(encoding="utf-8"))
    text = truth_path.with_suffix(".txt").read_text(encoding="utf-8")
    head = truth["header"]
    assert truth["id"] == truth_path.stem
    assert set(HEADER_FIELDS + EXTRA_FIELDS) <= set(head)
    assert head["level"] in LEVELS and head["kind"] in KINDS
    assert head["title"] in text and str(head["year"]) in head["title"]
    for field in ("issuer", "doc_number", "parent_title"):
        assert head[field] is None or head[field] in text, field
    if head["issue_date"] is not None:
        year, month, day = (int(x) for x in head["issue_date"].split("-"))
        assert f"{year}年{month}月{day}日" in text
    numbers = [item["number"] for item in truth["items"]]
    assert numbers == list(range(1, len(numbers) + 1))
    for item in truth["items"]:
        assert item["units"], item["number"]
        for unit in item["units"]:
            assert unit["role"] in ROLES and unit["name"] in text, unit
        for phrase in item["deadlines"]:
            assert phrase in text, phrase


@pytest.mark.parametrize("path", PARAPHRASE, ids=lambda p: p.stem)
def test_paraphrase_truth_accounts_for_every_binding_city_item(path) -> None:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    text, covered = build_draft(spec)
    deleted = set(spec["deleted"])
    assert not deleted & set(covered)
    assert set(covered) | deleted == set(SEED_TAKES_UP.values())
    plan_items = len(re.findall(r"^\d{1,2}\. ", text, flags=re.M))
    assert all(1 <= n <= plan_items for ns in covered.values() for n in ns)
    for entry in spec["body"]:
        if "text" in entry:
            assert entry["kind"] in {"reworded", "merged", "split", "local"}
            assert entry["text"] in text
            assert bool(entry["covers"]) == (entry["kind"] != "local")
    # a split item is one seed item written as several plan items, each covering what it covered
    split_from = [e["from"] for e in spec["body"] if e.get("kind") == "split"]
    assert all(split_from.count(n) >= 2 for n in split_from)


def test_paraphrase_holdout_has_the_rewrites_and_deletions_it_claims() -> None:
    specs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in PARAPHRASE]
    kinds = [e.get("kind") for s in specs for e in s["body"]]
    assert kinds.count("reworded") + kinds.count("merged") + kinds.count("split") >= 25
    assert {"merged", "split", "local"} <= set(kinds)
    assert sum(len(s["deleted"]) for s in specs) >= 9
