"""The nightly compliance run: every stored plan — rules, obligations, alerts — districts in parallel.

Deployed as `nightly-compliance/nightly` (prefect.yaml: cron 0 2 * * *, Asia/Shanghai). One task
per district runs the rules over the district's plans and reads where its obligations stand; the
districts run side by side on the flow's task runner, and one that fails (after its retries) is
reported while the others carry on. Alerts go out once, after the districts, for the districts
that succeeded: a failed district's stored findings may be stale.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.task_runners import ThreadPoolTaskRunner

from flows.artifacts import publish_run_artifacts
from pipeline import nightly as steps
from pipeline.alerts import current_policy
from rules.policy import Policy

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (TimeoutError, ConnectionError)

# How many districts run at once in one flow-run process. The work is CPU-bound Python and the
# rule engine is serialised by a lock, so more threads only add contention: on the synthetic city
# of benchmarks/nightly.py, all 16 at once ran 5–20% slower than 4 and took ~40% more memory,
# while 4 threads cost 0–4 s over the plain single-threaded run. Prefect's own setting
# PREFECT_TASKS_RUNNER_THREAD_POOL_MAX_WORKERS overrides it; docs/scale.md has the multi-process
# and multi-machine options.
DEFAULT_DISTRICT_THREADS = 4


def district_threads() -> int:
    from prefect.settings import get_current_settings

    return get_current_settings().tasks.runner.thread_pool_max_workers or DEFAULT_DISTRICT_THREADS


def is_transient(exc: BaseException | None) -> bool:
    """Would trying again help? A locked or unreachable database, a dropped connection: yes. A
    bug or a bad document: no, it fails the same way every time and only delays the report."""
    from sqlalchemy.exc import DisconnectionError, OperationalError

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, (OperationalError, DisconnectionError, *TRANSIENT_ERRORS)):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def retry_if_transient(task: Any, task_run: Any, state: Any) -> bool:
    """`retry_condition_fn` for the tasks below (Prefect calls it with the failed state)."""
    try:
        state.result()
    except Exception as exc:  # the task's exception, re-raised by result()
        return is_transient(exc)
    return False


# Tasks carry side effects (stored findings, sent mail): never served from a cache.
@task(name="derive-obligations", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=retry_if_transient,
      cache_policy=NONE)
def derive_obligations_task(as_of: date, policy: Policy, db: str | None = None) -> dict[str, Any]:
    return steps.derive_obligations(steps.shared_store(db), as_of, policy)


@task(name="district", task_run_name="district-{district}", retries=2, retry_delay_seconds=[2, 10],
      retry_condition_fn=retry_if_transient, cache_policy=NONE)
def district_task(district: str, as_of: date, policy: Policy, db: str | None = None) -> dict[str, Any]:
    return steps.run_district(steps.shared_store(db), district, as_of, policy)


@task(name="send-alerts", retries=1, retry_delay_seconds=30, retry_condition_fn=retry_if_transient,
      cache_policy=NONE)
def alerts_task(as_of: date, policy: Policy, districts: list[str], db: str | None = None) -> dict[str, Any]:
    # A retry re-plans the same digests: the outbox keys them by Message-ID and the ledger
    # remembers what was delivered, so nothing goes out twice.
    return steps.send_run_alerts(steps.shared_store(db), as_of, policy, districts=districts)


def gather(futures: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Results of per-district futures, and the districts whose task failed with why."""
    logger = get_run_logger()
    results: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    for district, future in futures.items():
        try:
            results[district] = future.result()
        except Exception as exc:  # the task failed after its retries: report it, keep the rest
            failed[district] = f"{type(exc).__name__}: {exc}"
            logger.error("%s 运行失败：%s", district, failed[district])
    return results, failed


@flow(name="nightly-compliance", description="夜间合规检查：全部已入库方案的规则检查、责任事项和提醒邮件",
      task_runner=ThreadPoolTaskRunner(max_workers=district_threads()))
def nightly_compliance(as_of: date | None = None, db: str | None = None, fanout: str | None = None
                       ) -> dict[str, Any]:
    """Check every stored plan, evaluate obligations, alert the offices, leave a summary.

    `as_of` defaults to today in Shanghai; `db` to GONGKAI_DB (or var/gongkai.db). `fanout`
    (default $GONGKAI_FANOUT, else `threads`): `threads` runs the districts as tasks of this flow
    run; `deployments` starts one `district-check` flow run per district for the pool's workers
    to share (flows.fanout)."""
    from flows.fanout import fanout_mode, run_districts_as_deployments
    from workdays.calendar import today_shanghai

    logger = get_run_logger()
    day = as_of or today_shanghai()
    policy = current_policy()
    mode = fanout_mode(fanout)

    def districts(names: list[str]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        logger.info("%s：%d 个区的方案待检查", day.isoformat(), len(names))
        if mode == "deployments":
            return run_districts_as_deployments(names, day, policy, db, log=logger)
        return gather({d: district_task.submit(d, day, policy, db) for d in names})

    # The same sequence as steps.run_nightly, its steps as tasks (the districts side by side).
    summary, alert_error = steps.nightly_sequence(steps.shared_store(db), day, steps.NightlySteps(
        derive=lambda: derive_obligations_task(day, policy, db),
        districts=districts,
        alerts=lambda names: alerts_task(day, policy, names, db),
    ), log=logger)
    failed = summary["failed"]
    alerts = summary["alerts"]
    publish_run_artifacts(summary, key="nightly", title=f"政务公开合规夜间检查（{day.isoformat()}）")
    logger.info(
        "完成：%d 份方案，错误 %d、警告 %d；失败的区 %d 个；发出提醒邮件 %s 封",
        summary["plans"], summary["counts"]["error"], summary["counts"]["warning"], len(failed),
        alerts.get("sent", 0),
    )
    if alert_error:
        # Unsent reminders are the one thing a night must not swallow: fail the run so it shows
        # red in the UI (the outbox keeps whatever was queued for the next run).
        raise RuntimeError(f"提醒发送失败：{alert_error}")
    return summary
