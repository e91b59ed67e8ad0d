"""The offices of each district: canonical names, aliases, collectives, addresses.

- ``offices.names``: generic abbreviations (区府办 → 区政府办公室) and collective names, from
  ``data/aliases.yaml``: ``canonical_name``, ``is_collective``.
- ``offices.registry``: one registry per district (and one for the city) from
  ``data/registry/*.yaml``: which real office a written name is, which offices a collective
  name (各部门, 各街道（镇）, 各区政府 …) stands for, the email address of each, and the
  政务公开科 that receives the summaries: ``load_registry``, ``registry_for_place``,
  ``all_registries``.
"""

from offices.names import canonical_name, is_collective
from offices.registry import Office, Registry, Resolution, all_registries, load_registry, registry_for_place

__all__ = [
    "Office",
    "Registry",
    "Resolution",
    "all_registries",
    "canonical_name",
    "is_collective",
    "load_registry",
    "registry_for_place",
]
