"""The coverage thresholds, read from the policy's `coverage:` section in this one place.

Everything the coverage rules tune (text-score thresholds, the alignment's thresholds, the
phrase lexicon) is a field here; rules/similarity.py,
rules/alignment.py and rules/coverage.py take a CoverageSettings and never read the policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from rules.policy import PolicyError

DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class CoverageSettings:
    covered: float = 0.40  # best text score at or above: covered
    weak: float = 0.20  # between weak and covered: WEAK_COVERAGE; below: missing unless aligned
    link: float = 0.30  # other plan items scoring at least this are listed as links
    dedicated_copy: float = 0.85
    copy_discount: float = 0.5
    key_phrase_bonus: float = 0.15
    ngram_range: tuple[int, int] = (2, 3)
    lexicon: str | None = "coverage-lexicon.yaml"  # under data/, or a path; null: none
    # Outline alignment (rules/alignment.py): a plan item standing where a directive item's
    # counterpart belongs is weighed by its text score plus these bonuses.
    align_covered: float = 0.30  # aligned evidence at or above: covered by alignment
    align_weak: float = 0.14  # aligned evidence at or above: WEAK_COVERAGE naming the candidate
    align_floor: float = 0.09  # topic score below this: about something else, not a counterpart
    heading_same: float = 0.4  # section headings this alike are the same section (different ones: < 0.25)
    heading_bonus: float = 0.15  # added when the candidate sits under the same section heading
    place_bonus: float = 0.05  # added when the candidate is the only one in its gap
    unit_bonus: float = 0.03  # added when the two items name a unit in common
    phrase_bonus: float = 0.03  # added per lexicon phrase or quoted phrase in common (up to 2)


def coverage_settings(policy: dict[str, Any]) -> CoverageSettings:
    """The policy's coverage section as settings; missing keys keep their defaults."""
    section = dict(policy.get("coverage") or {})
    fields = CoverageSettings.__dataclass_fields__
    values = {key: section[key] for key in fields if key in section}
    if "ngram_range" in values:
        lo, hi = values["ngram_range"]
        values["ngram_range"] = (int(lo), int(hi))
    for key, value in list(values.items()):
        if fields[key].type == "float":
            values[key] = float(value)
    return CoverageSettings(**values)


@lru_cache(maxsize=8)
def lexicon_file(name: str | None) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]:
    """(phrase groups, generic words) of the lexicon file; the first phrase of a group is the
    one the others are read as."""
    if not name:
        return (), ()
    path = Path(name) if Path(name).is_absolute() or Path(name).exists() else DATA / name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise PolicyError(f"{path}: 覆盖词表不存在 (coverage.lexicon not found)") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: 覆盖词表不是有效的 YAML ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: 覆盖词表应为键值映射 (groups:, generic:)")
    groups = []
    for group in data.get("groups") or []:
        phrases = tuple(str(p) for p in group if str(p).strip())
        if len(phrases) >= 2:
            groups.append(phrases)
    generic = tuple(str(w) for w in data.get("generic") or [] if str(w).strip())
    return tuple(groups), generic
