"""The deployments on a real Prefect server: event-triggered draft check, scheduled nightly run.

One server per session (`prefect server start`, temporary PREFECT_HOME), the work pool and the
deployments of prefect.yaml, an aiosmtpd server for the mail, and `prefect worker start
--run-once` to execute what the server scheduled. Every process started here is stopped by its
PID in a `finally`, also when a test fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.drafts import make_draft
from tests.processes import BIN, start_prefect_server, stop
from tests.smtp_server import SmtpTestServer, free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent

SAMPLES = ROOT / "data" / "samples"
CITY = SAMPLES / "shanghai-2026-municipal-plan.txt"
CHANGNING = SAMPLES / "changning-2026-district-plan.txt"
POOL = "gongkai"  # the pool prefect.yaml names
SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = date(2026, 11, 22)


@dataclass
class Server:
    url: str  # the API, .../api
    env: dict[str, str]
    db: Path
    workdir: Path
    smtp: SmtpTestServer
    logs: list[Path] = field(default_factory=list)

    def run(self, *args: str, timeout: float = 120, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess:
        """A CLI command (prefect, gongkai) against this server, from the project directory."""
        proc = subprocess.Popen(
            [str(BIN / args[0]), *args[1:]], cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, start_new_session=True, **kwargs,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop(proc)
            out, err = proc.communicate()
            raise AssertionError(f"{args} timed out after {timeout}s\n{out}\n{err}") from None
        finally:
            stop(proc)
        result = subprocess.CompletedProcess(args, proc.returncode, out, err)
        if check and proc.returncode != 0:
            raise AssertionError(f"{args} exited {proc.returncode}\nstdout:\n{out}\nstderr:\n{err}")
        return result

    def api(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, f"{self.url}{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def flow_runs(self, flow_name: str, deployment: str | None = None) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"flows": {"name": {"any_": [flow_name]}}, "sort": "EXPECTED_START_TIME_DESC",
                                "limit": 50}
        if deployment:
            body["deployments"] = {"name": {"any_": [deployment]}}
        return self.api("POST", "/flow_runs/filter", body)

    def run_worker_until(self, flow_name: str, done: Any, *, timeout: float = 150) -> dict[str, Any]:
        """Run `prefect worker start --run-once` until a run of `flow_name` satisfying `done`
        reaches a final state; returns that run."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = [r for r in self.flow_runs(flow_name) if done(r)]
            final = [r for r in runs if r["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")]
            if final:
                return final[0]
            if any(r["state_type"] in ("SCHEDULED", "PENDING") for r in runs):
                self.run("prefect", "worker", "start", "--pool", POOL, "--run-once",
                         timeout=max(10.0, deadline - time.monotonic()))
            else:
                time.sleep(1)  # the trigger has not created the run yet
        raise AssertionError(f"no finished {flow_name} run within {timeout}s: {self.flow_runs(flow_name)}")


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    smtp = SmtpTestServer().start()
    url = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GONGKAI_"))}
    env.update(
        PREFECT_HOME=str(base / "home"),
        PREFECT_API_URL=url,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_ENABLED="false",
        GONGKAI_DB=str(base / "gongkai.db"),
        GONGKAI_OUTBOX=str(base / "outbox"),
        GONGKAI_SMTP_HOST=smtp.host,
        GONGKAI_SMTP_PORT=str(smtp.port),
        GONGKAI_MAIL_FROM="gongkai@test.example.org",
        COLUMNS="200",  # rich wraps the CLI's tables to the terminal; keep codes on one line
    )
    log = base / "server.log"
    proc = None
    try:
        proc = start_prefect_server(port, env, log, base)
        srv = Server(url=url, env=env, db=base / "gongkai.db", workdir=base, smtp=smtp, logs=[log])
        srv.run("prefect", "work-pool", "create", POOL, "--type", "process")
        srv.run("prefect", "--no-prompt", "deploy", "--all", timeout=180)
        yield srv
    finally:
        stop(proc)
        smtp.stop()


def stored_draft_findings(db: Path) -> list[tuple[str, int | None]]:
    from store.checks import CheckRun
    from store.db import open_store

    store = open_store(str(db))
    try:
        with store.transaction() as session:
            run = session.query(CheckRun).filter_by(kind="draft").order_by(CheckRun.id.desc()).first()
            assert run is not None, "no draft check stored"
            return [(f.code, f.directive_item) for f in run.findings]
    finally:
        store.dispose()


def test_deployments_from_prefect_yaml(server: Server) -> None:
    deployments = {d["name"]: d for d in server.api("POST", "/deployments/filter", {})}
    assert set(deployments) >= {"nightly", "check-plan", "ingest-directive"}
    nightly = deployments["nightly"]
    assert nightly["work_pool_name"] == POOL
    assert [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in nightly["schedules"]] == [
        ("0 2 * * *", "Asia/Shanghai")
    ]
    # The pull step points at this project directory (captured when deploying).
    steps = json.dumps(nightly["pull_steps"])
    assert str(ROOT) in steps and "set_working_directory" in steps
    # The event triggers exist as automations on the server.
    automations = server.api("POST", "/automations/filter", {})
    expected = {tuple(a["trigger"].get("expect", [])) for a in automations}
    assert ("plan.draft.filed",) in expected and ("directive.filed",) in expected


def test_nightly_schedule_falls_at_two_in_shanghai(server: Server) -> None:
    # The scheduler service fills in the upcoming runs shortly after the deployment is created.
    deadline = time.monotonic() + 60
    scheduled: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        scheduled = [
            r for r in server.api("POST", "/flow_runs/filter", {
                "deployments": {"name": {"any_": ["nightly"]}},
                "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
                "sort": "EXPECTED_START_TIME_ASC", "limit": 10,
            })
            if r["expected_start_time"] and datetime.fromisoformat(r["expected_start_time"]) > datetime.now(SHANGHAI)
        ]
        if scheduled:
            break
        time.sleep(1)
    assert scheduled, "the scheduler created no nightly runs"
    times = [datetime.fromisoformat(r["expected_start_time"]).astimezone(SHANGHAI) for r in scheduled]
    assert all((t.hour, t.minute, t.second) == (2, 0, 0) for t in times), times
    days = [t.date() for t in times]
    assert days == sorted(set(days))  # one run a night


def test_draft_filed_by_event_is_checked_and_alerted(server: Server, tmp_path) -> None:
    from pipeline.ingest import ingest_files
    from store.db import open_store

    # The municipal plan first: the draft's check finds it as the parent.
    store = open_store(str(server.db))
    ingest_files(store, [CITY])
    store.dispose()
    draft = make_draft(CHANGNING, tmp_path / "长宁区2026年工作方案（征求意见稿）.txt", delete=(5, 9))
    policy = tmp_path / "policy.yaml"
    policy.write_text("drafts_alert: true\n", encoding="utf-8")
    server.env["GONGKAI_POLICY"] = str(policy)
    received_before = len(server.smtp.received)

    # The filer's command emits plan.draft.filed and waits for the triggered run's result.
    filer = subprocess.Popen(
        [str(BIN / "gongkai"), "submit-draft", str(draft), "--wait", "150"], cwd=ROOT, env=server.env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        run = server.run_worker_until("check-plan", lambda r: r["parameters"].get("path") == str(draft.resolve()))
        out, err = filer.communicate(timeout=60)
    finally:
        stop(filer)
    assert run["state_type"] == "COMPLETED", run["state"]
    assert run["parameters"]["request_id"]  # templated from the event payload
    assert filer.returncode == 1, f"errors in the draft should fail the command\n{out}\n{err}"
    assert "方案草稿即时检查" in out and "错误 2 项" in out.replace("\n", "")

    findings = stored_draft_findings(server.db)
    missing = sorted(item for code, item in findings if code == "MISSING_MANDATED_ITEM")
    assert missing == [12, 16]  # the city items the removed items 5 and 9 took up
    assert ("PLAN_ISSUED_LATE", None) in findings

    mail = server.smtp.received[received_before:]
    to = {rcpt for m in mail for rcpt in m.rcpt_tos}
    assert "zwgkk@changning.example.org" in to  # the 政务公开科 drafts the plan
    section = next(m.message() for m in mail if "zwgkk@changning.example.org" in m.rcpt_tos)
    body = section.get_body(preferencelist=("plain",)).get_content()
    assert "长宁区" in str(section["Subject"]) and "上级文件第12项" in body and "上级文件第16项" in body

    artifacts = server.api("POST", "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run["id"]]}}})
    assert {a["key"] for a in artifacts} == {"check-plan-summary", "check-plan-findings"}


def test_nightly_deployment_runs_on_a_worker(server: Server) -> None:
    from pipeline.ingest import ingest_files
    from store.checks import CheckRun
    from store.db import open_store

    store = open_store(str(server.db))
    ingest_files(store, [CITY, CHANGNING])
    store.dispose()
    received_before = len(server.smtp.received)
    created = server.run("prefect", "deployment", "run", "nightly-compliance/nightly",
                         "--param", f"as_of={AS_OF.isoformat()}")
    assert "nightly" in created.stdout
    run = server.run_worker_until("nightly-compliance", lambda r: r["parameters"].get("as_of") == AS_OF.isoformat())
    assert run["state_type"] == "COMPLETED", run["state"]

    store = open_store(str(server.db))
    try:
        with store.transaction() as session:
            nightly = session.query(CheckRun).filter_by(kind="nightly").all()
            assert [r.plan_key for r in nightly] == ["长府办〔2026〕8号"]
            assert {f.code for f in nightly[0].findings} >= {"PLAN_ISSUED_LATE", "UNKNOWN_UNIT"}
    finally:
        store.dispose()
    mail = server.smtp.received[received_before:]
    assert mail, "the nightly run sent no alerts"
    to = {rcpt for m in mail for rcpt in m.rcpt_tos}
    assert "zwgkk@changning.example.org" in to and len(to) > 1  # offices with overdue plans, and the section

    artifacts = server.api("POST", "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run["id"]]}}})
    by_key = {a["key"]: a for a in artifacts}
    assert set(by_key) == {"nightly-summary", "nightly-findings"}
    assert "长宁区" in by_key["nightly-summary"]["data"] and "最紧急的事项" in by_key["nightly-summary"]["data"]


def test_directive_filed_by_event_rechecks_the_plans_under_it(server: Server) -> None:
    from pipeline.ingest import ingest_files
    from store.checks import CheckRun
    from store.db import open_store

    store = open_store(str(server.db))
    ingest_files(store, [CHANGNING])  # a plan under the directive (already there after the nightly test)
    store.dispose()
    filer = subprocess.Popen(
        [str(BIN / "gongkai"), "submit-directive", str(CITY), "--wait", "150"], cwd=ROOT, env=server.env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        run = server.run_worker_until("ingest-directive", lambda r: r["parameters"].get("path") == str(CITY))
        out, err = filer.communicate(timeout=60)
    finally:
        stop(filer)
    assert run["state_type"] == "COMPLETED", run["state"]
    assert filer.returncode == 0, f"{out}\n{err}"
    assert "沪府办字〔2026〕5号" in out and "长宁区" in out
    store = open_store(str(server.db))
    try:
        with store.transaction() as session:
            rechecked = session.query(CheckRun).filter_by(kind="on_demand").all()
            assert [(r.plan_key, r.directive_key) for r in rechecked] == [("长府办〔2026〕8号", "沪府办字〔2026〕5号")]
    finally:
        store.dispose()
