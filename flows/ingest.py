"""A new directive arrives: store it and re-check the plans already stored under it (deployment
`ingest-directive`, triggered by the event `directive.filed` with the file's path in its payload)."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.task_runners import ThreadPoolTaskRunner

from flows.artifacts import publish_run_artifacts
from flows.nightly import district_threads, gather, retry_if_transient
from pipeline import filings
from pipeline import nightly as steps
from pipeline.alerts import current_policy
from rules.policy import Policy


@task(name="store-directive", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=retry_if_transient,
      cache_policy=NONE)
def store_task(path: str, db: str | None = None) -> dict[str, Any]:
    return filings.ingest_directive_file(steps.shared_store(db), path)


@task(name="recheck-district", task_run_name="recheck-{district}", retries=2, retry_delay_seconds=[2, 10],
      retry_condition_fn=retry_if_transient, cache_policy=NONE)
def recheck_task(district: str, plan_ids: list[int], as_of: date, policy: Policy,
                 db: str | None = None) -> dict[str, Any]:
    return steps.check_district(steps.shared_store(db), district, as_of, policy, kind="on_demand", plan_ids=plan_ids)


@flow(name="ingest-directive", description="上级文件入库，并复核已入库的下级方案",
      task_runner=ThreadPoolTaskRunner(max_workers=district_threads()))
def ingest_directive(
    path: str,
    as_of: date | None = None,
    request_id: str | None = None,
    db: str | None = None,
) -> dict[str, Any]:
    """Read and store the directive at `path`, then re-check, district by district in parallel,
    every stored plan whose parent it is (a new version of a directive changes their coverage)."""
    from workdays.calendar import today_shanghai

    logger = get_run_logger()
    day = as_of or today_shanghai()
    policy = current_policy()
    directive = store_task(path, db)
    plans = directive["plans"]
    logger.info("%s（%s）：%s，下级方案 %d 份待复核", directive["doc_number"] or directive["title"],
                directive["status"], path, sum(len(v) for v in plans.values()))
    futures = {d: recheck_task.submit(d, ids, day, policy, db) for d, ids in plans.items()}
    results, failed = gather(futures)
    summary = steps.build_summary(day, results, failed, kind="directive")
    alerts = filings.check_run_entries(steps.shared_store(db), filings.run_ids_of(summary), day)
    summary.update(directive=directive, urgent=alerts["urgent"], request_id=request_id)
    name = directive["doc_number"] or directive["title"]
    publish_run_artifacts(summary, key="ingest-directive", title=f"上级文件入库与下级方案复核：{name}")
    return summary
