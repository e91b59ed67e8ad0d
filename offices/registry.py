"""The offices of one district (or of the city): who they are, what they are called, where mail goes.

A registry is a YAML file in ``data/registry/`` (see the header comment of any of them for
the fields). It answers the question a rule asks of every unit named in a plan: which real
office is this, or which set of offices does this collective name stand for, or - when the
name matches nothing - what did the author probably mean.

Collective names resolve to offices by kind (defaults below, overridable per file under
``collectives:``). The broad ones - 各有关单位, 相关单位, 各承办单位 - cannot be narrowed
from the text, so they resolve to every office that takes tasks (departments, streets, towns
and parks): a reminder then reaches everyone who may be concerned, and a rule can narrow
further where it knows more. Collectives naming an unknown subset (各试点区政府) resolve to
no members rather than to a wrong set.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from offices.names import YAML_LOADER, canonical_name, is_collective, load_alias_table, normalize_name

DEFAULT_REGISTRY_DIR = Path(__file__).resolve().parent.parent / "data" / "registry"

KINDS = ("department", "street", "town", "park", "government", "section")
LEVELS = ("municipal", "district")
# Offices that carry tasks; the transparency section and district governments are left out
# of the broad collectives (a district government is addressed as 各区政府 instead).
TASK_KINDS: tuple[str, ...] = ("department", "street", "town", "park")

DEFAULT_COLLECTIVES: dict[str, tuple[str, ...]] = {
    "各部门": ("department",),
    "区政府各部门": ("department",),
    "各相关部门": ("department",),
    "区政府各相关部门": ("department",),
    "相关部门": ("department",),
    "各委办局": ("department",),
    "市政府各部门": ("department",),
    "各街道（镇）": ("street", "town"),
    "各街道": ("street",),
    "各街道办事处": ("street",),
    "各镇": ("town",),
    "各镇政府": ("town",),
    "相关街镇": ("street", "town"),
    "相关街道": ("street",),
    "园区": ("park",),
    "各园区": ("park",),
    "各有关单位": TASK_KINDS,
    "有关单位": TASK_KINDS,
    "相关单位": TASK_KINDS,
    "各相关单位": TASK_KINDS,
    "各承办单位": TASK_KINDS,
    "各单位": TASK_KINDS,
    "各区政府": ("government",),
    "各区": ("government",),
    # Subsets the plans do not spell out; every department is the candidate set.
    "行政执法单位": ("department",),
    "各执法部门": ("department",),
    "执法部门": ("department",),
    "公共企事业单位行业主管部门": ("department",),
}

# rapidfuzz ratio (0-100) a name must reach before we suggest it; 区域运中心 → 区城运中心
# scores 80, while unrelated short names (区科委 / 区经委) stay below 70.
SUGGEST_THRESHOLD = 70.0

_EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


@dataclass
class Office:
    name: str
    aliases: list[str]
    kind: str  # department | street | town | park | government | section
    email: str
    is_transparency_section: bool = False
    district: str | None = None  # for government offices in the municipal registry: 长宁区 …


@dataclass
class Resolution:
    """What a written unit name stands for in one registry.

    - a known office: ``office`` set, ``members == [office]``, ``score == 100``;
    - a collective: ``collective`` True, ``members`` the offices it covers;
    - unknown: ``office`` None, ``members`` empty, ``suggestion`` the closest office name
      (with its rapidfuzz ``score``) when one is close enough.
    """

    name: str
    office: Office | None
    members: list[Office] = field(default_factory=list)
    collective: bool = False
    suggestion: str | None = None
    score: float | None = None

    @property
    def resolved(self) -> bool:
        return self.office is not None or self.collective


class Registry:
    def __init__(
        self,
        district: str,
        level: str,
        offices: list[Office],
        transparency_office: Office,
        collectives: dict[str, tuple[str, ...]] | None = None,
        path: str | None = None,
    ):
        self.district = district
        self.level = level
        self.offices = offices
        self.transparency_office = transparency_office
        self.path = path
        self.collectives = dict(DEFAULT_COLLECTIVES)
        for key, kinds in (collectives or {}).items():
            self.collectives[canonical_name(key)] = tuple(kinds)
        self._index: dict[str, Office] = {}
        for office in offices:
            for written in [office.name, *office.aliases]:
                self._index.setdefault(normalize_name(written), office)
        # Canonical forms second, so an explicit name or alias always wins a clash.
        for office in offices:
            for written in [office.name, *office.aliases]:
                self._index.setdefault(canonical_name(written), office)
        self._choices = list(self._index)
        # find()'s and resolve()'s answers, while the alias table stays the same: a night asks the
        # same few dozen names tens of thousands of times (every directive item against every unit
        # plan). One tuple, replaced whole, so a thread never pairs one table with another's answers.
        self._answers: tuple[object, dict[str, Office | None], dict[str, Resolution]] = (None, {}, {})

    def __repr__(self) -> str:
        return f"Registry({self.district!r}, {self.level}, {len(self.offices)} offices)"

    def _memo(self) -> tuple[object, dict[str, Office | None], dict[str, Resolution]]:
        """The answers kept under the current alias table (none yet when the table changed)."""
        table = load_alias_table()
        answers = self._answers
        if answers[0] is not table:  # another alias file, or the same one read again
            answers = self._answers = (table, {}, {})
        return answers

    def find(self, name: str) -> Office | None:
        """The office called ``name`` (its name, an alias, or a generic abbreviation of either)."""
        return self._find(name, self._memo()[1])

    def _find(self, name: str, memo: dict[str, Office | None]) -> Office | None:
        if name in memo:
            return memo[name]
        found = next((self._index[c] for c in self._candidates(name) if c in self._index), None)
        memo[name] = found
        return found

    def members(self, collective: str) -> list[Office]:
        """The offices a collective name stands for ([] when it is not a known collective)."""
        kinds = self._collective_kinds(collective)
        if kinds is None:
            return []
        return [o for o in self.offices if o.kind in kinds]

    def resolve(self, name: str) -> Resolution:
        """What ``name`` stands for here. The answer is kept and shared: read it, do not change it."""
        _table, found, resolved = self._memo()
        resolution = resolved.get(name)
        if resolution is None:
            resolution = resolved[name] = self._resolve(name, self._find(name, found))
        return resolution

    def _resolve(self, name: str, office: Office | None) -> Resolution:
        if office is not None:
            return Resolution(name=name, office=office, members=[office], score=100.0)
        if is_collective(name) or self._collective_kinds(name) is not None:
            return Resolution(name=name, office=None, members=self.members(name), collective=True)
        suggestion, score = self._suggest(name)
        return Resolution(name=name, office=None, suggestion=suggestion, score=score)

    def government_for(self, district: str) -> Office | None:
        """In the municipal registry: the government office of ``district`` (长宁区 → 长宁区人民政府)."""
        want = normalize_name(district)
        for office in self.offices:
            if office.kind == "government" and office.district == want:
                return office
        return None

    def _candidates(self, name: str) -> list[str]:
        n = normalize_name(name)
        if not n:
            return []
        out = [n, canonical_name(n)]
        # A plan may spell out the place: 长宁区教育局 / 上海市长宁区教育局 → 区教育局,
        # 上海市教委 → 市教委.
        if self.level == "municipal":
            prefixes = [("上海市", "市")]
        else:
            prefixes = [("上海市" + self.district, "区"), (self.district, "区")]
        for prefix, level_prefix in prefixes:
            if n.startswith(prefix) and len(n) > len(prefix):
                rest = level_prefix + n[len(prefix) :]
                out += [rest, canonical_name(rest)]
                break
        return out

    def _collective_kinds(self, name: str) -> tuple[str, ...] | None:
        n = normalize_name(name)
        if not n:
            return None
        for key in (n, canonical_name(n)):
            if key in self.collectives:
                return self.collectives[key]
        if not is_collective(n):
            return None
        return _guess_kinds(n)

    def _suggest(self, name: str) -> tuple[str | None, float | None]:
        n = normalize_name(name)
        if not n or not self._choices:
            return None, None
        best: tuple[str, float] | None = None
        for query in dict.fromkeys([n, canonical_name(n)]):
            hit = process.extractOne(query, self._choices, scorer=fuzz.ratio, score_cutoff=SUGGEST_THRESHOLD)
            if hit is not None and (best is None or hit[1] > best[1]):
                best = (hit[0], float(hit[1]))
        if best is None:
            return None, None
        return self._index[best[0]].name, round(best[1], 1)


def _guess_kinds(name: str) -> tuple[str, ...]:
    """Kinds for a collective not in the table, from the words it is made of."""
    if "试点" in name:
        return ()  # a subset the text does not identify
    if "部门" in name or "委办局" in name:
        return ("department",)
    if "街" in name or "镇" in name:
        return ("street", "town")
    if "园" in name:
        return ("park",)
    if "区政府" in name or "区人民政府" in name:
        return ("government",)
    return TASK_KINDS


# libyaml's safe loader when PyYAML was built with it (the wheels are): a city's 17 registries
# load in a tenth of the time the pure-Python loader takes.


def load_registry(path: str | Path) -> Registry:
    """Read one registry file; a ValueError names the file and what is wrong with it."""
    path = Path(path)
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ValueError(f"{where}：找不到单位名录文件") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{where}：单位名录文件不是 UTF-8 编码") from exc
    try:
        data = yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        raise ValueError(f"{where}：不是有效的 YAML（{exc}）") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{where}：顶层应为映射，包含 district、level、offices 等字段")

    district = _required_str(data, "district", where)
    level = _required_str(data, "level", where)
    if level not in LEVELS:
        raise ValueError(f"{where}：level 应为 {' 或 '.join(LEVELS)}，实际为 {level!r}")
    raw_offices = data.get("offices")
    if not isinstance(raw_offices, list) or not raw_offices:
        raise ValueError(f"{where}：缺少 offices 列表（至少一个单位）")

    offices: list[Office] = []
    seen_names: dict[str, str] = {}
    seen_emails: dict[str, str] = {}
    for i, raw in enumerate(raw_offices, start=1):
        office = _office_from(raw, i, where)
        for written in [office.name, *office.aliases]:
            key = normalize_name(written)
            if key in seen_names and seen_names[key] != office.name:
                raise ValueError(
                    f"{where}：名称或别名“{written}”同时属于“{seen_names[key]}”和“{office.name}”"
                )
            seen_names[key] = office.name
        email = office.email.lower()
        if email in seen_emails:
            raise ValueError(f"{where}：邮箱 {office.email} 同时属于“{seen_emails[email]}”和“{office.name}”")
        seen_emails[email] = office.name
        offices.append(office)

    transparency = _transparency_office(data, offices, where)
    collectives = _collectives_from(data.get("collectives"), where)
    return Registry(
        district=normalize_name(district),
        level=level,
        offices=offices,
        transparency_office=transparency,
        collectives=collectives,
        path=where,
    )


def _required_str(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}：缺少字段 {key}（应为非空文字）")
    return value.strip()


def _office_from(raw: Any, i: int, where: str) -> Office:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}：offices 第 {i} 项应为映射（name、kind、email …）")
    label = f"offices 第 {i} 项（{raw.get('name', '无名称')}）"
    for key in ("name", "kind", "email"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{where}：{label}缺少字段 {key}")
    kind = raw["kind"].strip()
    if kind not in KINDS:
        raise ValueError(f"{where}：{label}的 kind 应为 {'、'.join(KINDS)} 之一，实际为 {kind!r}")
    email = raw["email"].strip()
    if not email.isascii() or not _EMAIL_RE.match(email):
        raise ValueError(f"{where}：{label}的邮箱 {email!r} 格式不正确")
    aliases = raw.get("aliases") or []
    if isinstance(aliases, str):
        aliases = [aliases]
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise ValueError(f"{where}：{label}的 aliases 应为名称列表")
    flag = raw.get("is_transparency_section", False)
    if not isinstance(flag, bool):
        raise ValueError(f"{where}：{label}的 is_transparency_section 应为 true 或 false")
    district = raw.get("district")
    if district is not None and (not isinstance(district, str) or not district.strip()):
        raise ValueError(f"{where}：{label}的 district 应为区名")
    unknown = set(raw) - {"name", "aliases", "kind", "email", "is_transparency_section", "district"}
    if unknown:
        raise ValueError(f"{where}：{label}有未知字段 {'、'.join(sorted(unknown))}")
    return Office(
        name=normalize_name(raw["name"]),
        aliases=[normalize_name(a) for a in aliases],
        kind=kind,
        email=email,
        is_transparency_section=flag,
        district=normalize_name(district) if district else None,
    )


def _transparency_office(data: dict[str, Any], offices: list[Office], where: str) -> Office:
    named = data.get("transparency_office")
    if named is not None:
        if not isinstance(named, str) or not named.strip():
            raise ValueError(f"{where}：transparency_office 应为单位名称")
        key = normalize_name(named)
        for office in offices:
            if key == office.name or key in office.aliases:
                return office
        raise ValueError(f"{where}：transparency_office“{named}”不在 offices 中")
    flagged = [o for o in offices if o.is_transparency_section]
    if len(flagged) != 1:
        raise ValueError(
            f"{where}：缺少 transparency_office，且 is_transparency_section: true 的单位有 {len(flagged)} 个（应恰好 1 个）"
        )
    return flagged[0]


def _collectives_from(raw: Any, where: str) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValueError(f"{where}：collectives 应为“集合名称: [kind, …]”的映射")
    out: dict[str, tuple[str, ...]] = {}
    for name, kinds in raw.items():
        if isinstance(kinds, str):
            kinds = [kinds]
        if not isinstance(name, str) or not isinstance(kinds, list) or not all(k in KINDS for k in kinds):
            raise ValueError(f"{where}：collectives 中“{name}”的单位类型应取自 {'、'.join(KINDS)}")
        out[name] = tuple(kinds)
    return out


def resolve_registry_dir(registry_dir: str | Path | None = None) -> Path:
    """The registry directory: the argument, else $GONGKAI_REGISTRY_DIR, else the repo's data/registry."""
    if registry_dir is not None:
        return Path(registry_dir)
    env = os.environ.get("GONGKAI_REGISTRY_DIR")
    return Path(env) if env else DEFAULT_REGISTRY_DIR


# Registries are read by every rule run; reload a file only when it changed on disk.
_cache: dict[str, tuple[tuple[int, int], Registry]] = {}


def _load_cached(path: Path) -> Registry:
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    # an absolute path names its file well enough for a cache key (resolving costs a system call
    # per path component, and registries are looked up for every plan)
    key = str(path) if path.is_absolute() else str(path.resolve())
    hit = _cache.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    registry = load_registry(path)
    _cache[key] = (stamp, registry)
    return registry


def all_registries(registry_dir: str | Path | None = None) -> dict[str, Registry]:
    """Every registry in the directory, keyed by its ``district`` (上海市, 长宁区 …)."""
    directory = resolve_registry_dir(registry_dir)
    if not directory.is_dir():
        raise ValueError(f"{directory}：单位名录目录不存在")
    out: dict[str, Registry] = {}
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        registry = _load_cached(path)
        if registry.district in out:
            raise ValueError(f"{path}：district“{registry.district}”与 {out[registry.district].path} 重复")
        out[registry.district] = registry
    return out


def _place_key(place: str) -> str:
    p = normalize_name(place)
    if p in ("上海市", "上海"):
        return "上海"
    if p.startswith("上海市"):
        p = p[len("上海市") :]
    for suffix in ("新区", "区"):
        if p.endswith(suffix) and len(p) > len(suffix):
            return p[: -len(suffix)]
    return p


def registry_for_place(place: str, registry_dir: str | Path | None = None) -> Registry | None:
    """The registry whose ``district`` is ``place`` (长宁区, 上海市长宁区, 长宁, 上海市); None if none."""
    if not isinstance(place, str) or not normalize_name(place):
        return None
    want = _place_key(place)
    for district, registry in all_registries(registry_dir).items():
        if _place_key(district) == want:
            return registry
    return None
