"""Who gets which alert: unit names → offices of the district's registry → mail recipients.

- a unit resolves to an office: that office's address;
- a collective name (各部门, 各街道（镇）…) expands to its member offices;
- a name that resolves to nothing (or an office with no usable address, or an item naming no unit)
  goes to the district's 政务公开科, with a note saying why, so the alert is not silently dropped;
- an escalated item is also copied to its lead (牵头) units and to the 政务公开科.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from notifications.entries import AlertEntry, alert_state

# Deliberately strict: a registry address must be a plain addr-spec, nothing a header could carry
# along (spaces, CR/LF, commas, angle brackets).
_EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+\-']+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]+)+$")


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    is_transparency_section: bool = False


class _Registry(Protocol):  # what routing needs from offices.registry.Registry
    transparency_office: Any

    def resolve(self, name: str) -> Any: ...


class RoutingError(ValueError):
    """The registry cannot route at all (no 政务公开科 with an address)."""


def valid_email(value: str | None) -> bool:
    return bool(value) and bool(_EMAIL_RE.match(value or ""))


def _office_recipient(office: Any, *, transparency: bool = False) -> Recipient | None:
    email = (getattr(office, "email", None) or "").strip()
    if not valid_email(email):
        return None
    return Recipient(
        email=email,
        name=str(getattr(office, "name", "") or email),
        is_transparency_section=transparency or bool(getattr(office, "is_transparency_section", False)),
    )


def transparency_recipient(registry: _Registry, district: str = "") -> Recipient:
    office = getattr(registry, "transparency_office", None)
    recipient = _office_recipient(office, transparency=True) if office is not None else None
    if recipient is None:
        where = district or getattr(registry, "district", "") or "该区"
        raise RoutingError(f"{where}单位名录中没有登记政务公开科或其邮箱，提醒无法投递")
    return recipient


def _note(entry: AlertEntry, tag: str, note: str) -> AlertEntry:
    """A copy of `entry` for the 政务公开科 explaining why it could not go to the unit itself.

    Its own key (so the ledger tracks it apart from the units' copies), the entry's state (so it
    follows due soon → overdue like the original)."""
    message = f"{entry.message}；{note}" if entry.message else note
    return replace(entry, key=f"{entry.key}#unrouted:{tag}", message=message)


def _resolve(registry: _Registry, name: str, district: str) -> tuple[list[Recipient], list[tuple[str, str]]]:
    """Recipients for one unit name, and (tag, note) pairs for the 政务公开科 about what could not
    be routed; the tag names the unit so the note keeps one identity from run to run."""
    resolution = registry.resolve(name)
    office = getattr(resolution, "office", None)
    members = list(getattr(resolution, "members", None) or [])
    if office is not None:
        recipient = _office_recipient(office)
        if recipient is None:
            return [], [(office.name, f"责任单位「{office.name}」未登记有效邮箱，提醒无法直接送达")]
        return [recipient], []
    if getattr(resolution, "collective", False) or members:
        recipients: list[Recipient] = []
        notes: list[tuple[str, str]] = []
        for member in members:
            recipient = _office_recipient(member)
            if recipient is None:
                notes.append((member.name, f"「{name}」所含单位「{member.name}」未登记有效邮箱，提醒无法直接送达"))
            else:
                recipients.append(recipient)
        if not members:
            notes.append((name, f"集合名称「{name}」在{district}单位名录中没有成员单位，提醒无法送达"))
        return recipients, notes
    suggestion = getattr(resolution, "suggestion", None)
    hint = f"（是否为「{suggestion}」？）" if suggestion else ""
    return [], [(name, f"责任单位「{name}」在{district}单位名录中找不到对应单位{hint}，提醒无法送达，请核实")]


def _registry_for(registries: _Registry | Mapping[str, _Registry], district: str) -> _Registry:
    if isinstance(registries, Mapping):
        registry = registries.get(district)
        if registry is None:
            raise RoutingError(f"没有{district}的单位名录，无法投递该区的提醒")
        return registry
    return registries


def route(
    entries: Iterable[AlertEntry], registry: _Registry | Mapping[str, _Registry]
) -> dict[Recipient, list[AlertEntry]]:
    """Each recipient with the entries it should hear about (in input order, one copy per key).

    `registry` is one district's Registry, or a mapping district → Registry for mixed entries.
    Recipients are merged by address: two registry names sharing one mailbox get one digest.
    """
    by_email: dict[str, Recipient] = {}
    routed: dict[str, dict[str, AlertEntry]] = {}
    # A district's unit names recur in entry after entry: each is resolved once per call.
    resolved: dict[tuple[int, str, str], tuple[list[Recipient], list[tuple[str, str]]]] = {}
    sections: dict[tuple[int, str], Recipient] = {}

    def resolve(district_registry: _Registry, name: str, district: str) -> tuple[list[Recipient], list[tuple[str, str]]]:
        key = (id(district_registry), name, district)
        if key not in resolved:
            resolved[key] = _resolve(district_registry, name, district)
        return resolved[key]

    def add(recipient: Recipient, entry: AlertEntry) -> None:
        email = recipient.email.lower()
        known = by_email.get(email)
        if known is None:
            by_email[email] = recipient
        elif recipient.is_transparency_section and not known.is_transparency_section:
            by_email[email] = replace(known, is_transparency_section=True)
        routed.setdefault(email, {}).setdefault(entry.key, entry)

    for entry in entries:
        district_registry = _registry_for(registry, entry.district)
        where = (id(district_registry), entry.district)
        if where not in sections:
            sections[where] = transparency_recipient(district_registry, entry.district)
        section = sections[where]
        names = [n for n in dict.fromkeys(entry.units) if n and n.strip()]
        if not names:
            add(section, _note(entry, "-", "本条未明确责任单位，提醒发送至政务公开科"))
        for name in names:
            recipients, notes = resolve(district_registry, name, entry.district)
            for recipient in recipients:
                add(recipient, entry)
            for tag, note in notes:
                add(section, _note(entry, tag, note))
        if alert_state(entry) == "escalated":
            # 督办: the lead unit answers for the whole item and the 政务公开科 chases it.
            for name in dict.fromkeys(entry.lead_units):
                recipients, _notes = resolve(district_registry, name, entry.district)
                for recipient in recipients:
                    add(recipient, entry)
            add(section, entry)
    return {by_email[email]: list(items.values()) for email, items in routed.items()}
