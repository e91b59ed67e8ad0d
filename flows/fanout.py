"""The night shared by workers: one `district-check` flow run per district, the parent waits.

With `nightly_compliance(fanout="deployments")` (or GONGKAI_FANOUT=deployments on the worker that
runs the nightly), the districts are not threads of one flow run: each is a flow run of the
`district-check/district-check` deployment (flows/district.py), linked to the nightly as a subflow
and picked up by whichever worker of the pool is free — on this machine or another. The parent
waits for all of them, reads each district's findings back from the shared store
(pipeline.fanout) and then, once, sends the night's alerts.

A worker that dies (SIGKILL, a machine lost) leaves its flow run "Pending" or "Running" with
nobody to report it: the run falls silent, and the automation made by
`ensure_crashed_run_detection` marks it Crashed after `within` seconds of silence. The parent starts a new run for that district (up to
`attempts` runs in all); a district whose runs all crash or fail is reported as failed and left
out of the alerts, as in the in-process mode.

    python -m flows.fanout deploy --pool gongkai          # district-check + nightly-fanout
    python -m flows.fanout detect-crashed --within 600    # the heartbeat automation, once
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from pipeline import nightly as steps
from pipeline.fanout import stored_district_result
from rules.policy import Policy

PROJECT_DIR = Path(__file__).resolve().parent.parent
DISTRICT_DEPLOYMENT = "district-check/district-check"
FANOUT_MODES = ("threads", "deployments")
# Runs per district when runs crash: the first, and one more on another worker. A district that
# crashes twice is more likely a poison input (memory, a C extension) than a lost machine.
DEFAULT_ATTEMPTS = 2
CRASH_AUTOMATION = "gongkai-crash-silent-flow-runs"


def fanout_mode(value: str | None = None) -> str:
    """`threads` (districts as tasks of the nightly flow run, the default) or `deployments` (one
    district-check flow run each): the flow parameter, else $GONGKAI_FANOUT."""
    mode = (value or os.environ.get("GONGKAI_FANOUT") or "threads").strip().lower()
    if mode not in FANOUT_MODES:
        raise ValueError(f"fanout 须为 {' 或 '.join(FANOUT_MODES)}，收到“{mode}”")
    return mode


def district_deployment() -> str:
    return os.environ.get("GONGKAI_DISTRICT_DEPLOYMENT") or DISTRICT_DEPLOYMENT


def run_districts_as_deployments(
    names: Iterable[str],
    as_of: date,
    policy: Policy,
    db: str | None = None,
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    poll_seconds: float = 2.0,
    log: Any = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Start a district-check flow run per district, wait for them all (no time limit: a night
    waits for its districts, however the workers are loaded), re-run a district whose run
    crashed, and return (results by district, failures by district) like the in-process mode."""
    import logging

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.context import FlowRunContext
    from prefect.deployments import run_deployment

    log = log or logging.getLogger(__name__)
    deployment = district_deployment()
    if not crashed_run_detection_installed():
        log.warning("服务器上没有自动化 %s：某个工作进程失联时，它正在检查的区会一直停在运行中，本次夜间检查会一直等待"
                    "（python -m flows.fanout detect-crashed --within 600）", CRASH_AUTOMATION)
    context = FlowRunContext.get()
    parent = context.flow_run.id if context and context.flow_run else None
    # `db` goes as given: None lets each worker use its own GONGKAI_DB (a resolved URL would put
    # the database password into the run's parameters, stored and shown by Prefect).
    common = {"as_of": as_of.isoformat(), "db": db, "policy": policy.model_dump(mode="json")}

    def start(district: str, attempt: int) -> UUID:
        # The idempotency key makes a retried parent find its children instead of doubling them.
        run = run_deployment(
            deployment, parameters={**common, "district": district}, timeout=0, as_subflow=True,
            flow_run_name=f"{district}-{as_of.isoformat()}" + (f"-第{attempt}次" if attempt > 1 else ""),
            idempotency_key=f"{parent}:{district}:{attempt}" if parent else None,
            tags=["gongkai", "nightly-district"],
        )
        return run.id

    waiting: dict[str, tuple[int, UUID]] = {}
    for district in names:
        waiting[district] = (1, start(district, 1))
    log.info("已为 %d 个区各启动一个 %s 运行，等待各工作进程完成", len(waiting), deployment)
    store = steps.shared_store(db)
    results: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    with get_client(sync_client=True) as client:
        while waiting:
            time.sleep(poll_seconds)
            ids = [run_id for _attempt, run_id in waiting.values()]
            runs = {r.id: r for r in client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)),
                                                            limit=len(ids))}
            for district, (attempt, run_id) in list(waiting.items()):
                flow_run = runs.get(run_id)
                state = flow_run.state if flow_run else None
                if state is None or not state.is_final():
                    continue
                del waiting[district]
                if state.is_completed():
                    try:
                        results[district] = stored_district_result(store, district, as_of, policy)
                    except Exception as exc:  # the run said done, the store disagrees: not checked
                        failed[district] = f"{type(exc).__name__}: {exc}"
                        log.error("%s 运行失败：%s", district, failed[district])
                elif state.is_crashed() and attempt < attempts:
                    log.warning("%s 的运行 %s 崩溃（%s），重新启动第 %d 次", district, flow_run.name,
                                state.message or state.name, attempt + 1)
                    waiting[district] = (attempt + 1, start(district, attempt + 1))
                else:
                    failed[district] = f"{state.name}: {state.message or ''}".strip()
                    log.error("%s 运行失败：%s", district, failed[district])
    return results, failed


# --------------------------------------------------------------------------- setting up a pool


# A run's process announces itself: Pending (a worker took it), Running, then a heartbeat every
# PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds. After each of these, one of the next ones (or an end)
# must follow. Prefect's own recipe watches heartbeats only, which misses a run killed while
# starting (left Pending) or before its first heartbeat got out (left Running, never heard from):
# both were seen when a worker was killed in tests/test_workers.py.
SIGNS_OF_LIFE = ("prefect.flow-run.Pending", "prefect.flow-run.Running", "prefect.flow-run.Retrying",
                 "prefect.flow-run.heartbeat")
WHAT_MAY_FOLLOW = ("prefect.flow-run.Running", "prefect.flow-run.Retrying", "prefect.flow-run.heartbeat",
                   "prefect.flow-run.AwaitingRetry", "prefect.flow-run.Paused", "prefect.flow-run.Suspended",
                   "prefect.flow-run.Cancelling", "prefect.flow-run.Completed", "prefect.flow-run.Failed",
                   "prefect.flow-run.Cancelled", "prefect.flow-run.Crashed")


def crashed_run_automation(within_seconds: float) -> Any:
    """An automation that marks a flow run Crashed when `within_seconds` pass after a sign of
    life (Pending, Running, a heartbeat) without the next one or an end: its process, or its whole
    machine, is gone. Flow runs send heartbeats every PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds
    (default 180, at least 30); `within_seconds` must be comfortably longer than that, and than
    a flow run's start-up on a loaded worker (Pending → Running)."""
    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    return Automation(
        name=CRASH_AUTOMATION,
        description="心跳停止的流程运行标记为崩溃（工作进程或其所在机器已不在），夜间检查据此重新启动该区",
        trigger=EventTrigger(
            after=set(SIGNS_OF_LIFE),
            expect=set(WHAT_MAY_FOLLOW),
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=within_seconds),
        ),
        actions=[ChangeFlowRunState(state=StateType.CRASHED,
                                    message=f"{within_seconds:.0f} 秒无心跳或状态变化：运行所在的进程或机器已不在")],
    )


def crashed_run_detection_installed() -> bool:
    """Is the automation of `ensure_crashed_run_detection` on the server (and enabled)?"""
    from prefect.automations import Automation

    try:
        return bool(Automation.read(name=CRASH_AUTOMATION).enabled)
    except ValueError:
        return False


def ensure_crashed_run_detection(within_seconds: float = 600) -> UUID:
    """Create the heartbeat automation on the server PREFECT_API_URL names, or replace one of the
    same name; returns its id."""
    from prefect.automations import Automation

    try:
        existing = Automation.read(name=CRASH_AUTOMATION)
    except ValueError:
        existing = None
    if existing is not None:
        existing.delete()
    created = crashed_run_automation(within_seconds).create()
    return created.id


def deploy_fanout(work_pool: str, project_dir: Path = PROJECT_DIR) -> dict[str, UUID]:
    """Register `district-check/district-check` and `nightly-compliance/nightly-fanout` (the
    nightly in fan-out mode, no schedule: give it one, or set `fanout: deployments` on the
    scheduled `nightly`) for `work_pool`. Workers run them from `project_dir` (the same path on
    every machine, as prefect.yaml's pull step)."""
    from flows.district import district_check
    from flows.nightly import nightly_compliance

    district = district_check.from_source(str(project_dir), "flows/district.py:district_check")
    nightly = nightly_compliance.from_source(str(project_dir), "flows/nightly.py:nightly_compliance")
    return {
        DISTRICT_DEPLOYMENT: district.deploy(name="district-check", work_pool_name=work_pool, build=False, push=False,
                                             tags=["gongkai", "nightly-district"], print_next_steps=False),
        "nightly-compliance/nightly-fanout": nightly.deploy(
            name="nightly-fanout", work_pool_name=work_pool, build=False, push=False,
            parameters={"fanout": "deployments"}, tags=["gongkai", "nightly"], concurrency_limit=1,
            print_next_steps=False),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.fanout", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    deploy = commands.add_parser("deploy", help="register district-check and nightly-fanout")
    deploy.add_argument("--pool", required=True)
    detect = commands.add_parser("detect-crashed", help="create the heartbeat automation")
    detect.add_argument("--within", type=float, default=600, help="seconds of silence before Crashed")
    args = parser.parse_args(argv)
    if args.command == "deploy":
        for name, deployment_id in deploy_fanout(args.pool).items():
            print(f"{name}\t{deployment_id}")
    else:
        print(ensure_crashed_run_detection(args.within))


if __name__ == "__main__":
    main()
