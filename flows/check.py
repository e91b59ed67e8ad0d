"""The on-demand check of a filed draft plan (deployment `check-plan`, triggered by the event
`plan.draft.filed` with the file's path in its payload, or run in-process by the CLI)."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from flows.artifacts import publish_run_artifacts
from flows.nightly import retry_if_transient
from pipeline import filings
from pipeline import nightly as steps
from pipeline.alerts import current_policy
from rules.policy import Policy


@task(name="check-draft", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=retry_if_transient,
      cache_policy=NONE)
def check_task(path: str, against: str | None, as_of: date, policy: Policy,
               db: str | None = None) -> dict[str, Any]:
    # Alerts are a task of their own: a mail server hiccup must not re-run (and re-store) the check.
    return filings.check_filing(steps.shared_store(db), path, as_of, policy, against=against, alert=False)


@task(name="alert-draft", retries=1, retry_delay_seconds=30, retry_condition_fn=retry_if_transient,
      cache_policy=NONE)
def alert_task(run_ids: list[int], as_of: date, policy: Policy, db: str | None = None) -> dict[str, Any]:
    return filings.alert_check_runs(steps.shared_store(db), run_ids, as_of, policy)


@flow(name="check-plan", description="即时检查报送的方案草稿：覆盖、责任单位、时限")
def check_plan(
    path: str,
    against: str | None = None,
    as_of: date | None = None,
    request_id: str | None = None,
    db: str | None = None,
) -> dict[str, Any]:
    """Store the draft, check it against `against` (file or 发文字号) or its stored parent, store
    the findings, and alert the offices concerned only when the policy's `drafts_alert` is true.

    `request_id` ties the run to the filing that asked for it (the event id), so the filer's
    `gongkai submit-draft` can find this run and show its result."""
    from workdays.calendar import today_shanghai

    logger = get_run_logger()
    day = as_of or today_shanghai()
    policy = current_policy()
    # An event trigger renders a missing payload field as an empty string.
    against = against or None
    summary = check_task(path, against, day, policy, db)
    if summary.get("alerted") is False and policy.drafts_alert:
        summary["alerts"] = alert_task(filings.run_ids_of(summary), day, policy, db)
        summary["urgent"] = summary["alerts"].get("urgent", summary["urgent"])
        summary["alerted"] = True
    summary["request_id"] = request_id
    plan = summary.get("plan") or {}
    name = plan.get("doc_number") or plan.get("title") or path
    publish_run_artifacts(summary, key="check-plan", title=f"方案草稿即时检查：{name}")
    counts = summary["counts"]
    logger.info("%s：错误 %d、警告 %d、提示 %d；%s", name, counts["error"], counts["warning"], counts["info"],
                "已发送提醒" if summary["alerted"] else "未发送提醒（drafts_alert 为 false）")
    return summary
