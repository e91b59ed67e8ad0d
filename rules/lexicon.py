"""The coverage phrase lexicon (data/coverage-lexicon.yaml, named by the policy's
`coverage.lexicon`): phrases read as one another, and the generic words a topic ignores."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from offices.names import YAML_LOADER
from rules.policy import PolicyError

DATA = Path(__file__).resolve().parent.parent / "data"


@lru_cache(maxsize=8)
def lexicon_file(name: str | None) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]:
    """(phrase groups, generic words) of the lexicon file; the first phrase of a group is the
    one the others are read as."""
    if not name:
        return (), ()
    path = Path(name) if Path(name).is_absolute() or Path(name).exists() else DATA / name
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
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
