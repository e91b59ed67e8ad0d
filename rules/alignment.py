"""Outline alignment: where in the plan a directive item's counterpart should stand.

A district plan follows its directive's outline: the same order, similar section headings,
the same units. A sentence aligner (Gale–Church, vecalign, bertalign) pairs a text with its
translation in two passes — confident one-to-one anchors first, then the best alignment of
what lies between the anchors, with insertions and deletions explicit. This does the same
for outlines:

1. Anchors: every binding directive item whose best text score reaches `covered` is anchored
   to that plan item (merged plan items anchor several directive items).
2. Gaps: a directive item without an anchor belongs between the plan items anchored by its
   neighbours in directive order; sections may be reordered, so when the neighbours' plan
   items are out of order the gap is the run of free plan items after the previous anchor and
   before the next one. A free plan item under a section heading like the directive item's
   own heading is a candidate wherever it stands.
3. Assignment: a candidate must be about the same thing (its topic score — character n-grams
   without the words every item uses — reaches `align_floor`). Candidates are weighed by their
   text score (lexicon-aware character n-grams),
   plus a bonus for the same section heading, for standing in the directive item's own place
   in the gap (the k-th of k free items that k loose items share), for a unit in common and for
   a distinctive phrase in common; each free plan item is given to at most one directive item (the best total).
   A pair reaching `align_covered` is covered by alignment (only if its topic reaches the floor:
   a pair admitted below it is at most plausible); one reaching `align_weak` is a
   plausible counterpart (WEAK_COVERAGE, never MISSING); a directive item with no free plan
   item in its place that says anything like it stays missing (a deletion; the free items are
   the plan's own local additions).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from documents.model import Item
from rules.policy import CoveragePolicy
from rules.similarity import PairModel, PairScore, Scorer, cosine, normalize_for_matching

NUMBERING = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.．、])\s*")
UNIT_LEVEL = re.compile(r"^(?:上海市|市|区|各区|各)")


@dataclass
class Counterpart:
    """A free plan item that may stand for a directive item, and why."""

    plan_index: int
    plan_item: int
    evidence: float  # text score plus the bonuses below
    text_score: float
    topic_score: float  # likeness without the words every item uses (做好, 政府信息公开 …)
    heading: float  # likeness of the two items' section headings (0–1)
    same_section: bool
    in_gap: bool  # stands between the plan items anchored by the directive item's neighbours
    in_place: bool  # stands in the directive item's own place: the k-th of k free plan items in a
    #   gap that k loose directive items share, in order (k = 1: the only one)
    between: list[int | None] = field(default_factory=list)  # plan items anchoring the gap
    shared_units: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)  # lexicon concepts and quoted phrases in common

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("plan_index")
        return out


@dataclass
class Alignment:
    verdict: str  # covered | weak | none
    counterpart: Counterpart | None = None
    candidates: list[Counterpart] = field(default_factory=list)


def _heading(item: Item) -> str:
    return NUMBERING.sub("", item.section_path[-1]) if item.section_path else ""


def _unit_stems(item: Item) -> set[str]:
    """Unit names without their level (市/区), so 市数据局 and 区数据局 meet."""
    stems = set()
    for unit in item.units:
        if unit.collective:
            continue
        for name in {unit.name, unit.canonical}:
            stem = UNIT_LEVEL.sub("", name)
            if len(stem) >= 2:
                stems.add(stem)
    return stems


def _heading_matrix(d_items: list[Item], p_items: list[Item], scorer: Scorer) -> np.ndarray:
    d_heads = [normalize_for_matching(_heading(i), scorer.lexicon) for i in d_items]
    p_heads = [normalize_for_matching(_heading(i), scorer.lexicon) for i in p_items]
    if not any(d_heads) or not any(p_heads):
        return np.zeros((len(d_items), len(p_items)))
    model = PairModel(d_heads, p_heads, (2, 3), sublinear_tf=False)
    out = cosine(model.d_vec, model.p_vec)
    for k, head in enumerate(d_heads):
        if not head:
            out[k, :] = 0.0
    for k, head in enumerate(p_heads):
        if not head:
            out[:, k] = 0.0
    return out


def _gap(prev_pos: int | None, next_pos: int | None, anchored: set[int], size: int) -> set[int]:
    """Free plan positions between two anchors (or after/before them when out of order)."""
    lo = -1 if prev_pos is None else prev_pos
    hi = size if next_pos is None else next_pos
    if lo < hi:
        return {j for j in range(lo + 1, hi) if j not in anchored}
    gap = set()
    j = lo + 1
    while j < size and j not in anchored:
        gap.add(j)
        j += 1
    j = hi - 1
    while j >= 0 and j not in anchored:
        gap.add(j)
        j -= 1
    return gap


def align_outlines(
    d_items: list[Item],
    p_items: list[Item],
    binding: list[bool],
    matrix: list[list[PairScore]],
    scorer: Scorer,
    settings: CoveragePolicy,
) -> dict[int, Alignment]:
    """For each binding directive item (by index) without a confident text link: its aligned
    counterpart among the plan items no confident link takes, if any."""
    if not p_items:
        return {}
    order = [i for i, b in enumerate(binding) if b]
    best = {i: int(np.argmax([s.score for s in matrix[i]])) for i in order}
    anchor = {i: best[i] for i in order if matrix[i][best[i]].score >= settings.covered}
    loose = [i for i in order if i not in anchor]
    if len(set(anchor.values())) == len(p_items) or not loose:
        return {i: Alignment("none") for i in loose}
    headings = _heading_matrix(d_items, p_items, scorer)
    topics = scorer.topic_matrix()
    p_stems = [_unit_stems(item) for item in p_items]

    d_stems = {i: _unit_stems(d_items[i]) for i in loose}
    assigned: dict[int, Counterpart] = {}
    candidates: dict[int, list[Counterpart]] = {}
    # bertalign's second pass, repeated: pairs aligned with confidence become anchors, which
    # narrows the gaps of the items still loose (a gap shared by two loose items splits in two)
    for _ in range(3):
        remaining = [i for i in loose if i not in assigned or not _confident(assigned[i], settings)]
        fixed = {i: c.plan_index for i, c in assigned.items() if _confident(c, settings)}
        pinned = {**anchor, **fixed}
        taken = set(pinned.values()) | _split_parts(pinned, order, matrix, settings)
        open_items = [j for j in range(len(p_items)) if j not in taken]
        if not remaining or not open_items:
            break
        round_candidates = _candidates(
            order, remaining, pinned, open_items, d_items, p_items, matrix, topics, headings, p_stems,
            d_stems, scorer, settings,
        )
        value = np.zeros((len(remaining), len(open_items)))
        for a, i in enumerate(remaining):
            for c in round_candidates[i]:
                value[a, open_items.index(c.plan_index)] = c.evidence
        from scipy.optimize import linear_sum_assignment  # only when items are left to assign

        rows, cols = linear_sum_assignment(value, maximize=True)
        new_pairs = {
            remaining[a]: next(c for c in round_candidates[remaining[a]] if c.plan_index == open_items[b])
            for a, b in zip(rows, cols, strict=True)
            if value[a, b] >= settings.align_weak
        }
        for i, found in round_candidates.items():
            # keep what earlier rounds saw: a plan item given to a neighbour may be a merged one
            known = {c.plan_index: c for c in candidates.get(i, [])}
            known.update({c.plan_index: c for c in found})
            candidates[i] = list(known.values())
        progress = any(_confident(c, settings) for c in new_pairs.values())
        for i in remaining:
            assigned.pop(i, None)
        assigned.update(new_pairs)
        if not progress:
            break

    out: dict[int, Alignment] = {}
    for i in loose:
        ranked = sorted(candidates.get(i, []), key=lambda c: -c.evidence)
        chosen = assigned.get(i)
        if chosen is not None:
            verdict = "covered" if _confident(chosen, settings) else "weak"
            out[i] = Alignment(verdict, chosen, [c for c in ranked if c.evidence >= settings.align_weak])
            continue
        # its counterpart in its own place went to another directive item: a merged item in
        # other words when it also names a phrase of this one, so plausible, not missing
        plausible = [c for c in ranked if c.evidence >= settings.align_weak and c.in_gap and c.phrases]
        if plausible:
            out[i] = Alignment("weak", plausible[0], plausible)
        else:
            out[i] = Alignment("none", None, ranked[:3])
    return out


def _confident(counterpart: Counterpart, settings: CoveragePolicy) -> bool:
    """Covered by alignment: enough evidence, and about the same thing. A pair admitted below the
    topic floor (alone in its place, same heading, a phrase in common) is plausible, never more:
    a local item on the same sub-topic may stand where a deleted item stood."""
    return counterpart.evidence >= settings.align_covered and counterpart.topic_score >= settings.align_floor


def _split_parts(
    pinned: dict[int, int], order: list[int], matrix: list[list[PairScore]], settings: CoveragePolicy
) -> set[int]:
    """Plan items that are the other halves of a pinned directive item split in two: they
    score at least `weak` against it, and better than against any other binding item."""
    parts = set()
    for j in range(len(matrix[order[0]]) if order else 0):
        owner = max(order, key=lambda i: matrix[i][j].score)
        if owner in pinned and pinned[owner] != j and matrix[owner][j].score >= settings.weak:
            parts.add(j)
    return parts


def _candidates(
    order: list[int],
    loose: list[int],
    pinned: dict[int, int],
    free: list[int],
    d_items: list[Item],
    p_items: list[Item],
    matrix: list[list[PairScore]],
    topics: np.ndarray,
    headings: np.ndarray,
    p_stems: list[set[str]],
    d_stems: dict[int, set[str]],
    scorer: Scorer,
    settings: CoveragePolicy,
) -> dict[int, list[Counterpart]]:
    """Each loose directive item's candidate counterparts among the free plan items."""
    taken = set(range(len(p_items))) - set(free)  # pinned, and the other halves of split items
    gaps: dict[int, set[int]] = {}
    bounds: dict[int, tuple[int | None, int | None]] = {}
    for i in loose:
        k = order.index(i)
        prev_pos = next((pinned[o] for o in reversed(order[:k]) if o in pinned), None)
        next_pos = next((pinned[o] for o in order[k + 1 :] if o in pinned), None)
        gaps[i] = _gap(prev_pos, next_pos, taken, len(p_items))
        bounds[i] = (prev_pos, next_pos)
    # how many loose directive items share each gap: a lone pair in a gap is a 1-1 alignment
    sharing: dict[frozenset[int], int] = {}
    for i in loose:
        key = frozenset(gaps[i])
        sharing[key] = sharing.get(key, 0) + 1
    # a gap holding as many free plan items as the loose directive items that share it is a
    # run of 1-1 alignments in order: the k-th loose item's own place is the k-th free item
    places: dict[int, int] = {}
    for key, count in sharing.items():
        sharers = [i for i in loose if frozenset(gaps[i]) == key]  # in directive order
        if len(key) == count:
            places.update(zip(sharers, sorted(key), strict=True))
    # a concept most of the directive's items name (解读) says nothing about which item a plan
    # item stands for: only the distinctive ones count as shared phrases
    named = [scorer.lexicon.phrases(item.text) for item in d_items]
    counts: dict[str, int] = {}
    for concepts in named:
        for concept in concepts:
            counts[concept] = counts.get(concept, 0) + 1
    common = {c for c, n in counts.items() if n > settings.phrase_common_share * len(d_items)}
    out: dict[int, list[Counterpart]] = {}
    for i in loose:
        out[i] = []
        d_concepts = named[i] - common
        prev_pos, next_pos = bounds[i]
        for j in free:
            pair = matrix[i][j]
            text = pair.score
            in_gap = j in gaps[i]
            heading = float(headings[i, j])
            same_section = heading >= settings.heading_same
            if not (in_gap or same_section):
                continue
            in_place = in_gap and places.get(i) == j
            phrases = sorted((d_concepts & scorer.lexicon.phrases(p_items[j].text)) | set(pair.key_phrases))
            # below the floor the two are about different things (a local item where a deleted
            # one stood), unless the item is alone in its place, under the directive item's
            # heading, and names one of its phrases in other words
            topic = float(topics[i, j])
            alone = in_place and len(gaps[i]) == 1  # the one free item where only this one is loose
            if topic < settings.align_floor and not (alone and same_section and phrases):
                continue
            shared_units = sorted(d_stems[i] & p_stems[j])
            evidence = (
                text
                + (settings.heading_bonus if same_section else 0.0)
                + (settings.place_bonus if in_place else 0.0)
                + (settings.unit_bonus if shared_units else 0.0)
                + settings.phrase_bonus * min(len(phrases), 2)
            )
            out[i].append(
                Counterpart(
                    plan_index=j,
                    plan_item=p_items[j].number,
                    evidence=round(evidence, 4),
                    text_score=text,
                    topic_score=round(topic, 4),
                    heading=round(heading, 4),
                    same_section=same_section,
                    in_gap=in_gap,
                    in_place=in_place,
                    between=[
                        p_items[prev_pos].number if prev_pos is not None else None,
                        p_items[next_pos].number if next_pos is not None else None,
                    ],
                    shared_units=shared_units,
                    phrases=phrases,
                )
            )
    return out
