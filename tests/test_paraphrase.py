"""Coverage over the paraphrase set: drafts of the Changning plan with items rewritten by hand
in other words, deleted, merged, split and reordered (tests/corpus/paraphrase/)."""

from __future__ import annotations

import pytest
import yaml

from benchmarks.coverage_eval import CORPUS, SEED_TAKES_UP, build_draft, coverage_figures


@pytest.fixture(scope="module")
def figures() -> dict:
    return coverage_figures()


def test_the_set_is_as_large_as_the_issue_asks(figures) -> None:
    assert figures["drafts"] >= 4
    assert figures["rewritten_items"] >= 30
    assert figures["deletions"] >= 15
    kinds = {k for d in figures["per_draft"] for k in d["kinds"]}
    assert {"reworded", "merged", "split", "local"} <= kinds


def test_truth_accounts_for_every_binding_city_item() -> None:
    # every city item the seed takes up is, in each draft, either covered or deleted
    for path in sorted(CORPUS.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        _, covered = build_draft(spec)
        deleted = set(spec["deleted"])
        assert not deleted & set(covered), path.name
        assert set(covered) | deleted == set(SEED_TAKES_UP.values()), path.name


def test_no_error_for_an_item_covered_in_other_words(figures) -> None:
    wrong = [line for d in figures["per_draft"] for line in d["wrong"] if "被报缺失" in line]
    assert figures["false_missing"] == 0, wrong


def test_deletions_are_reported_missing(figures) -> None:
    wrong = [line for d in figures["per_draft"] for line in d["wrong"] if "已删除" in line]
    assert figures["deletions_reported"] >= 0.98, wrong


def test_links_go_to_the_right_item(figures) -> None:
    assert figures["wrong_links"] == 0, [d["wrong"] for d in figures["per_draft"]]
