"""A night whose districts ran elsewhere: reading back what each district's own run stored.

When the nightly run fans its districts out as separate flow runs (`flows.fanout`, one
`district-check` run per district, picked up by whichever worker is free), the parent does not
get their results in memory: the workers may be other machines. What a district run leaves is in
the shared store — one check run per plan, under the key of its inputs — so the parent reads the
district's summary back from there, and refuses to when a plan has no check of tonight's inputs
(a district run that said "completed" without checking must not pass as checked).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from offices.registry import registry_for_place
from pipeline import UNKNOWN_DISTRICT
from rules.check import check_key, stored_document_hash
from rules.policy import Policy
from store.checks import newest_run_keys
from store.db import Store
from store.documents import plan_heads


class DistrictNotChecked(RuntimeError):
    """A district's run finished but some of its plans carry no check of their current inputs."""


def unchecked_plans(store: Store, district: str, as_of: date, policy: Policy, *, kind: str = "nightly"
                    ) -> list[str]:
    """Keys of the district's stored plans whose newest check (on or before `as_of`) is not a
    `kind` run of the plan's current inputs (plan, parent, policy, registry, rules version)."""
    with store.transaction() as session:
        plans = [p for p in plan_heads(session) if (p["place"] or UNKNOWN_DISTRICT) == district]
        newest = newest_run_keys(session, [p["id"] for p in plans], as_of)
    registry = registry_for_place(district) if district != UNKNOWN_DISTRICT else None
    missing = []
    for plan in plans:
        key, _parts = check_key(stored_document_hash(plan["content_hash"]),
                                stored_document_hash(plan["parent_hash"]), policy, registry)
        run = newest.get(plan["id"])
        if run is None or run[1] != key or run[2] != kind:
            missing.append(plan["key"])
    return missing


def stored_district_result(store: Store, district: str, as_of: date, policy: Policy) -> dict[str, Any]:
    """The district's summary (as `pipeline.nightly.run_district` returns it) from what its own run
    stored. Raises DistrictNotChecked when a plan was not checked with tonight's inputs."""
    from pipeline.nightly import run_district

    missing = unchecked_plans(store, district, as_of, policy)
    if missing:
        raise DistrictNotChecked(f"{district}：{len(missing)} 份方案未按本次输入检查（{'、'.join(missing[:5])}）")
    # Every plan has its current check: run_district answers from the kept results and writes
    # nothing (the same key and kind stand), then counts the district's obligations.
    return run_district(store, district, as_of, policy)
