"""Which items of a directive bind the issuer of a plan.

Province → city: an item binds every city when its units name 各市人民政府 (各地级以上市人民政府 …).
City → district: an item binds every district when its units name 各区政府 (or 各区; elsewhere
各县（区）人民政府, 各区、市政府, 各县（市、区）政府 …); a
named district government (浦东新区政府) binds that district only; 各试点区政府 binds the
pilot districts of the policy; items for city bureaus only bind no district.
District → unit: an item binds a unit when it names the unit, or a collective the unit
belongs to (各部门, 各街道（镇）, 各有关单位 …) in the district's registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from documents.model import Document, Item
from offices.registry import Registry
from rules.policy import Policy

ALL_DISTRICTS = {"各区政府", "各区人民政府", "各区"}
# Other provinces name every government one level down in their own words: 各县（区）人民政府,
# 各区、市政府 (districts and county-level cities), 各县（市、区）政府, 各市、县（市、区）政府.
ALL_LOWER_GOVERNMENTS = re.compile(r"^各(?:市、)?[区县](?:[、（][区县市、]+）?)?(?:人民)?政府$")
# A province's plan binds its cities: 各市人民政府, 各地级以上市人民政府, 各市、县（市、区）政府.
ALL_CITY_GOVERNMENTS = re.compile(r"^各(?:地级以上|设区的)?市(?:、县（[区县市、]+）)?(?:人民)?政府$")
PILOT_DISTRICTS = {"各试点区政府", "试点区政府", "各试点区"}
DISTRICT_GOVERNMENT = re.compile(r"^([\u4e00-\u9fff]{1,4}?(?:新区|区|县))(?:人民)?政府$")


@dataclass
class Binding:
    item: int
    binding: bool
    reason: str  # Chinese: why the item binds (or not)
    via: str | None = None  # the unit name that makes it bind


def plan_issuer(plan: Document, registry: Registry | None = None) -> tuple[str, str | None]:
    """(level, name) of who issued `plan`: ("district", "长宁区") or ("unit", "区教育局").

    For a unit the name is the registry's name for the office when it can be found
    (上海市长宁区华阳路街道办事处 → 华阳路街道)."""
    if plan.level != "unit" or not plan.issuer:
        return plan.level, plan.place
    rest = plan.issuer.replace("上海市", "")
    if plan.place and plan.place in rest:
        rest = rest.split(plan.place, 1)[1]
    candidates = [rest, "区" + rest]
    for suffix in ("办事处", "人民政府", "政府"):
        if rest.endswith(suffix) and len(rest) > len(suffix) + 1:
            candidates += [rest[: -len(suffix)], "区" + rest[: -len(suffix)]]
    if registry is not None:
        for name in candidates:
            office = registry.find(name)
            if office is not None:
                return "unit", office.name
    return "unit", "区" + rest


def item_binding(item: Item, plan: Document, policy: Policy, registry: Registry | None,
                 issuer: tuple[str, str | None] | None = None,
                 covers: IssuerCover | None = None) -> Binding:
    """Whether `item` binds the issuer of `plan` (`issuer`: plan_issuer's answer, `covers`: an
    IssuerCover of the issuing unit, when the caller has them already), and why."""
    level, who = issuer or plan_issuer(plan, registry)
    pilots = set(policy.pilot_districts)
    for unit in item.units:
        name = unit.name
        if level == "district":
            if name in ALL_DISTRICTS or unit.canonical in ALL_DISTRICTS:
                return Binding(item.number, True, "责任单位含“各区政府”，适用于各区", name)
            if ALL_LOWER_GOVERNMENTS.match(name):
                return Binding(item.number, True, f"责任单位含“{name}”，适用于各区县", name)
            if name in PILOT_DISTRICTS:
                if who in pilots:
                    return Binding(item.number, True, f"{who}为政策文件所列试点区", name)
                continue
            m = DISTRICT_GOVERNMENT.match(name) or DISTRICT_GOVERNMENT.match(unit.canonical)
            if m and m.group(1) == who:
                return Binding(item.number, True, f"责任单位点名{name}", name)
        elif level == "municipal" and ALL_CITY_GOVERNMENTS.match(name):
            return Binding(item.number, True, f"责任单位含“{name}”，适用于各市", name)
        elif level == "unit" and who and registry is not None:
            if covers is None or covers.unit != who or covers.registry is not registry:
                covers = IssuerCover(who, registry)
            if covers(name):
                return Binding(item.number, True, f"责任单位含{name}，涵盖{who}", name)
    return Binding(item.number, False, "责任单位不涉及本级", None)


class IssuerCover:
    """Whether a unit name written in a directive stands for one issuing unit (the unit itself, or
    a collective it belongs to). The unit is looked up once and each name resolved once: a
    directive names the same few collectives (各部门, 各街道（镇）…) in item after item."""

    def __init__(self, unit: str, registry: Registry):
        self.unit, self.registry = unit, registry
        self.office = registry.find(unit)
        self._answers: dict[str, bool] = {}

    def __call__(self, name: str) -> bool:
        answer = self._answers.get(name)
        if answer is None:
            answer = self._answers[name] = self._covers(name)
        return answer

    def _covers(self, name: str) -> bool:
        if self.office is None:  # an issuer the registry does not know is named by nothing
            return False
        resolution = self.registry.resolve(name)
        if resolution.office is not None:
            return resolution.office.name == self.office.name
        return any(member.name == self.office.name for member in resolution.members)


def binding_items(
    directive: Document, plan: Document, policy: Policy, registry: Registry | None
) -> list[Binding]:
    issuer = plan_issuer(plan, registry)  # once per plan, not per item
    level, who = issuer
    covers = IssuerCover(who, registry) if level == "unit" and who and registry is not None else None
    return [item_binding(item, plan, policy, registry, issuer, covers) for item in directive.items]
