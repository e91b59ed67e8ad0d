"""Checking an office name given on the command line (`status --unit`, `alerts --to`) against the
registries before anything runs: a name no registry knows is bad input (exit 2) with the nearest
real office as a suggestion, instead of an empty answer."""

from __future__ import annotations

from rapidfuzz import fuzz

# Level prefixes and kind suffixes that say little about which office is meant: 区教委 and
# 区教育局 share their core (教 / 教育), 区教委 and 区科委 only their shape.
_PREFIXES = ("上海市", "区", "市")
_SUFFIXES = ("委员会", "办公室", "中心", "局", "委", "办", "处", "科", "室")
SUGGEST_SCORE = 60.0


def _core(name: str, district: str) -> str:
    core = name
    for prefix in (district, *_PREFIXES):
        if prefix and core.startswith(prefix) and len(core) > len(prefix):
            core = core[len(prefix):]
    for suffix in _SUFFIXES:
        if core.endswith(suffix) and len(core) > len(suffix):
            return core[: -len(suffix)]
    return core


def nearest_office(name: str, registries: dict) -> str | None:
    """The registered office name closest to `name`, or None when nothing is close."""
    from offices.names import normalize_name

    wanted = normalize_name(name)
    best: tuple[float, str] | None = None
    for district, registry in registries.items():
        core = _core(wanted, district)
        for office in registry.offices:
            for written in (office.name, *office.aliases):
                w = normalize_name(written)
                score = max(fuzz.ratio(wanted, w), fuzz.partial_ratio(core, _core(w, district)) if core else 0)
                if best is None or score > best[0]:
                    best = (score, office.name)
    return best[1] if best and best[0] >= SUGGEST_SCORE else None


def check_office(name: str, option: str, district: str | None = None) -> None:
    """Raise ValueError (the CLI's exit 2) unless `name` is an office, an alias, a collective name
    or an office's address in the registries (only `district`'s when given)."""
    from offices.registry import all_registries, registry_for_place

    if district:
        registry = registry_for_place(district)
        if registry is None:
            raise ValueError(f"--district：没有“{district}”的单位名录（data/registry/）")
        registries = {registry.district: registry}
    else:
        registries = all_registries()
    value = name.strip()
    if not value:
        raise ValueError(f"{option}：单位名称为空")
    for registry in registries.values():
        if "@" in value:
            offices = [*registry.offices, registry.transparency_office]
            if any(o is not None and o.email.lower() == value.lower() for o in offices):
                return
            continue
        resolution = registry.resolve(value)
        if resolution.office is not None or resolution.collective:
            return
    where = f"{district}的单位名录" if district else "任何区的单位名录"
    if "@" in value:
        raise ValueError(f"{option}：邮箱“{value}”不属于{where}中的单位")
    suggestion = nearest_office(value, registries)
    hint = f"，是否为“{suggestion}”？" if suggestion else "，请使用单位全称或常用简称（如 区教育局、区府办）"
    raise ValueError(f"{option}：“{value}”不在{where}中{hint}")
