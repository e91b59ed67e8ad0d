"""One district of a night as a flow run of its own (deployment `district-check/district-check`).

The nightly run in fan-out mode (`flows.fanout`) starts one of these per district, so the districts
of a night are shared by every worker polling the pool, on as many machines as there are. It
runs the rules over the district's plans and stores the findings (`pipeline.nightly.run_district`);
it sends no mail: the parent sends the night's alerts once, after every district.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger

from pipeline import nightly as steps
from pipeline.alerts import current_policy
from rules.policy import Policy


def policy_from(data: dict[str, Any] | None) -> Policy:
    """The parent's policy when it passed one (so every machine checks with the same settings and
    the parent can recognise the stored results by their key); else this worker's own."""
    return Policy.model_validate(data) if data else current_policy()


# Retries cover a failure the flow sees (a dropped database connection, a locked SQLite file):
# the same run tries again on the same worker. A worker that dies mid-run cannot retry anything;
# the run is marked crashed (heartbeats stop, see flows.fanout) and the parent starts a new one.
@flow(name="district-check", flow_run_name="district-check-{district}", retries=2, retry_delay_seconds=10,
      description="夜间检查中的一个区：检查该区全部已入库方案并保存检查结果（不发邮件）")
def district_check(district: str, as_of: date, db: str | None = None,
                   policy: dict[str, Any] | None = None) -> dict[str, Any]:
    logger = get_run_logger()
    result = steps.run_district(steps.shared_store(db), district, as_of, policy_from(policy))
    counts = result["counts"]
    logger.info("%s：%d 份方案，错误 %d、警告 %d（规则 %.1f 秒）", district, len(result["plans"]),
                counts.get("error", 0), counts.get("warning", 0), result["seconds"]["rules"])
    # The findings are in the store; the flow's result stays small (the parent reads the store).
    return {"district": district, "plans": len(result["plans"]), "counts": counts,
            "seconds": result["seconds"]}
