"""Generic unit names: abbreviations, canonical forms and collective names.

The table lives in ``data/aliases.yaml`` (user-editable) and is loaded once per process.
Set ``GONGKAI_ALIASES`` to use another file (tests, a district's own list).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

# libyaml's loader when it is built in (several times faster than the pure-Python one)
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DEFAULT_ALIASES_PATH = Path(__file__).resolve().parent.parent / "data" / "aliases.yaml"

# Names written with half-width brackets or stray spaces must still meet their table
# entries, so every lookup goes through this translation first.
# 〔〕 in a name is the same bracket as （）: 各市、县〔市、区〕政府 is 各市、县（市、区）政府.
_HALF_TO_FULL = str.maketrans(
    {"(": "（", ")": "）", ":": "：", ";": "；", ",": "，", "〔": "（", "〕": "）", "﹝": "（", "﹞": "）"}
)
_SPACES = re.compile(r"[\s\u3000]+")
_EDGE_PUNCT = "、，,；;：:。.．"

# Prefixes that make a name stand for a set of units whatever follows.
_COLLECTIVE_PREFIXES = ("各", "相关", "有关")


@dataclass(frozen=True)
class AliasTable:
    aliases: dict[str, str]
    short_forms: dict[str, str]
    collectives: frozenset[str]
    path: str


def normalize_name(name: str) -> str:
    """The form used for every comparison: no whitespace, full-width brackets (〔〕 too), no edge punctuation."""
    if not isinstance(name, str):
        return ""
    text = _SPACES.sub("", name.translate(_HALF_TO_FULL))
    return text.strip(_EDGE_PUNCT)


def aliases_path() -> Path:
    env = os.environ.get("GONGKAI_ALIASES")
    return Path(env) if env else DEFAULT_ALIASES_PATH


def load_alias_table(path: str | Path | None = None) -> AliasTable:
    """The alias table from ``path`` (default: ``aliases_path()``), cached per path."""
    return _load_cached(str(Path(path) if path is not None else aliases_path()))


@lru_cache(maxsize=8)
def _load_cached(path: str) -> AliasTable:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=YAML_LOADER)
    except FileNotFoundError as exc:
        raise ValueError(f"{path}：找不到别名文件") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}：别名文件不是有效的 YAML（{exc}）") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}：别名文件的顶层应为映射（aliases / short_forms / collectives）")

    def mapping(key: str) -> dict[str, str]:
        raw = data.get(key) or {}
        if not isinstance(raw, dict):
            raise ValueError(f"{path}：{key} 应为“简称: 规范名称”的映射")
        out: dict[str, str] = {}
        for k, v in raw.items():
            if not isinstance(k, str) or not isinstance(v, str) or not k.strip() or not v.strip():
                raise ValueError(f"{path}：{key} 中的条目 {k!r}: {v!r} 不是两个非空名称")
            out[normalize_name(k)] = normalize_name(v)
        return out

    raw_collectives = data.get("collectives") or []
    if not isinstance(raw_collectives, list) or not all(isinstance(c, str) for c in raw_collectives):
        raise ValueError(f"{path}：collectives 应为名称列表")
    return AliasTable(
        aliases=mapping("aliases"),
        short_forms=mapping("short_forms"),
        collectives=frozenset(normalize_name(c) for c in raw_collectives if c.strip()),
        path=path,
    )


def clear_cache() -> None:
    """Forget loaded tables (after the file was edited, or in tests)."""
    _load_cached.cache_clear()


def canonical_name(name: str) -> str:
    """The standard name for ``name`` (区府办 → 区政府办公室); unknown names keep their written form."""
    n = normalize_name(name)
    if not n:
        return n
    table = load_alias_table()
    if n in table.aliases:
        return table.aliases[n]
    # Short forms are stored without the level prefix so one entry serves 区 and 市 alike.
    if len(n) > 1 and n[0] in "区市" and n[1:] in table.short_forms:
        return n[0] + table.short_forms[n[1:]]
    return n


def is_collective(name: str) -> bool:
    """Whether ``name`` stands for a set of units (各部门, 相关单位, 园区, 各区政府 …)."""
    n = normalize_name(name)
    if not n:
        return False
    if n.startswith(_COLLECTIVE_PREFIXES) or "各" in n:
        return True
    table = load_alias_table()
    return n in table.collectives or canonical_name(n) in table.collectives
