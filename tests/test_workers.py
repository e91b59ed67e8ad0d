"""The night shared by workers: a PostgreSQL-backed Prefect server, two process workers, four districts.

One Prefect server (`prefect server start`, its database on the session's PostgreSQL cluster
through asyncpg, its own PREFECT_HOME, a free loopback port), a process work pool, the
`district-check` and `nightly-fanout` deployments registered from Python (flows.fanout.deploy_fanout,
`Flow.from_source(...).deploy(...)`), the heartbeat automation that marks silent runs Crashed, and
two `prefect worker start` processes. The gongkai store is a PostgreSQL database both workers
share; mail goes to an aiosmtpd server in this process.

1. A night: the nightly starts one district-check run per district; each district is checked
   exactly once, both workers take a share, the findings equal those of a plain in-process night
   on a copy of the same store, and every digest arrives once.
2. A worker killed (SIGKILL, with the flow-run processes it started: a lost machine) while it
   runs a district: the run goes silent, the automation marks it Crashed, the nightly starts the
   district again on the other worker, and the night completes with every district's findings and
   no mail twice.

Every process started here is stopped by its PID (and its descendants) in a `finally`.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.pg_cluster import PgCluster
from tests.processes import BIN, start_prefect_server, stop
from tests.smtp_server import SmtpTestServer, free_port

pytestmark = [pytest.mark.workers, pytest.mark.integration, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parent.parent

POOL = "gongkai-workers"
NIGHTLY = "nightly-compliance/nightly-fanout"
DISTRICTS = 4
UNITS = 16
ITEMS = 12
SEED = 20261203
HEARTBEAT_SECONDS = 30  # Prefect's minimum
SILENT_SECONDS = 90  # silence (no heartbeat, no state) before the automation marks a run Crashed: a
# flow run on a loaded 2-core machine takes 10–40 s from Pending to Running, heartbeats come every 30 s
FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def asyncpg_url(psycopg_url: str) -> str:
    return psycopg_url.replace("postgresql+psycopg://", "postgresql+asyncpg://", 1)


def copy_database(cluster: PgCluster, template_url: str) -> str:
    """A new database copied from `template_url`'s (which nobody may be connected to)."""
    import uuid

    import psycopg

    template = template_url.rsplit("/", 1)[1]
    name = f"w_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=gongkai dbname=postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return cluster.url(name)


@dataclass
class Pool:
    url: str
    env: dict[str, str]
    work: Path
    cluster: PgCluster
    city_db: str  # the prepared store (a template: copied for each night)
    smtp: SmtpTestServer
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)
    worker_logs: dict[str, Path] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def run(self, *args: str, timeout: float = 180) -> str:
        proc = subprocess.Popen([str(BIN / args[0]), *args[1:]], cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop(proc)
            out, err = proc.communicate()
            raise AssertionError(f"{args} timed out after {timeout}s\n{out}\n{err}") from None
        if proc.returncode != 0:
            raise AssertionError(f"{args} exited {proc.returncode}\nstdout:\n{out}\nstderr:\n{err}")
        return out

    def api(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, f"{self.url}{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def start_worker(self, name: str) -> None:
        log = self.work / f"{name}.log"
        with log.open("wb") as sink:
            # --limit 3: the nightly and two districts at most per worker, so both take a share.
            self.workers[name] = subprocess.Popen(
                [str(BIN / "prefect"), "worker", "start", "--pool", POOL, "--name", name, "--limit", "3"],
                cwd=ROOT, env=self.env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
        self.worker_logs[name] = log

    def district_runs(self, db: str) -> list[dict[str, Any]]:
        runs = self.api("POST", "/flow_runs/filter", {
            "flows": {"name": {"any_": ["district-check"]}}, "sort": "EXPECTED_START_TIME_ASC", "limit": 100})
        return [r for r in runs if r["parameters"].get("db") == db]

    def start_night(self, db: str, as_of: str) -> str:
        deployment = self.api("GET", f"/deployments/name/{NIGHTLY}")
        run = self.api("POST", f"/deployments/{deployment['id']}/create_flow_run",
                       {"parameters": {"as_of": as_of, "db": db}})
        return run["id"]

    def wait_final(self, run_id: str, timeout: float, sample: Sample | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.api("GET", f"/flow_runs/{run_id}")
            if run["state_type"] in FINAL:
                return run
            if sample is not None:
                sample.take(self)
            time.sleep(1)
        runs = self.api("POST", "/flow_runs/filter", {"sort": "EXPECTED_START_TIME_ASC", "limit": 50})
        states = "\n".join(f"{r['id']} {r['name']} {r['state_type']} {r['state']['message']}" for r in runs)
        raise AssertionError(f"run {run_id} not finished within {timeout}s; flow runs:\n{states}\n{self.logs_tail()}")

    def ran_by(self, run_id: str) -> list[str]:
        """The workers whose log says they took `run_id`: both may try to, the server lets one
        move it to Pending and tells the other to abort."""
        taken = []
        for name, log in self.worker_logs.items():
            text = log.read_text(errors="replace")
            if f"submitting flow run '{run_id}'" in text and f"Aborted submission of flow run '{run_id}'" not in text:
                taken.append(name)
        return taken

    def logs_tail(self) -> str:
        return "\n".join(f"--- {name}\n{log.read_text(errors='replace')[-3000:]}"
                         for name, log in self.worker_logs.items())


@dataclass
class Sample:
    """Peaks seen while a night runs (figures for docs/scale.md, not asserted): the resident memory
    of one flow-run process, and connections to each database of the cluster."""

    rss_mib: float = 0.0
    connections: Counter = field(default_factory=Counter)

    def take(self, pool: Pool) -> None:
        import psycopg

        for proc in pool.workers.values():
            for process in flow_run_processes(proc).values():
                try:
                    self.rss_mib = max(self.rss_mib, process.memory_info().rss / 2**20)
                except psutil.NoSuchProcess:
                    pass
        with psycopg.connect(f"host=127.0.0.1 port={pool.cluster.port} user=gongkai dbname=postgres",
                             autocommit=True) as conn:
            for database, count in conn.execute(
                    "SELECT datname, count(*) FROM pg_stat_activity WHERE datname IS NOT NULL GROUP BY datname"):
                self.connections[database] = max(self.connections[database], count)


def flow_run_processes(worker: subprocess.Popen) -> dict[str, psutil.Process]:
    """Flow-run id → the process running it, among the worker's descendants."""
    found: dict[str, psutil.Process] = {}
    try:
        children = psutil.Process(worker.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return found
    for child in children:
        try:
            run_id = child.environ().get("PREFECT__FLOW_RUN_ID")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if run_id:
            found.setdefault(run_id, child)
    return found


@pytest.fixture(scope="module")
def pool(pg_cluster: PgCluster, tmp_path_factory) -> Iterator[Pool]:
    from benchmarks.nightly import build_city

    work = tmp_path_factory.mktemp("workers")
    city_db = pg_cluster.new_database()
    registry = work / "registry"
    started = time.perf_counter()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GONGKAI_REGISTRY_DIR", str(registry))
        build_city(work, DISTRICTS, UNITS, ITEMS, SEED, db=city_db)
    built = time.perf_counter() - started

    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    smtp = SmtpTestServer().start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GONGKAI_"))}
    env.update(
        PREFECT_HOME=str(work / "prefect-home"),
        PREFECT_API_URL=url,
        PREFECT_API_DATABASE_CONNECTION_URL=asyncpg_url(pg_cluster.new_database()),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_ENABLED="false",
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY=str(HEARTBEAT_SECONDS),
        PREFECT_WORKER_QUERY_SECONDS="1",
        GONGKAI_REGISTRY_DIR=str(registry),
        GONGKAI_OUTBOX=str(work / "outbox"),
        GONGKAI_SMTP_HOST=smtp.host,
        GONGKAI_SMTP_PORT=str(smtp.port),
        GONGKAI_MAIL_FROM="gongkai@test.example.org",
    )
    server = None
    srv = Pool(url=url, env=env, work=work, cluster=pg_cluster, city_db=city_db, smtp=smtp)
    srv.seconds["build_city"] = built
    try:
        log = work / "server.log"
        started = time.perf_counter()
        server = start_prefect_server(port, env, log, work)
        srv.seconds["server_start"] = time.perf_counter() - started
        started = time.perf_counter()
        srv.run("prefect", "work-pool", "create", POOL, "--type", "process")
        srv.run("python", "-m", "flows.fanout", "deploy", "--pool", POOL)
        installed = ("python", "-c", "from flows.fanout import crashed_run_detection_installed as i; print(i())")
        assert srv.run(*installed).strip() == "False"  # the nightly would warn that a lost worker hangs it
        srv.run("python", "-m", "flows.fanout", "detect-crashed", "--within", str(SILENT_SECONDS))
        assert srv.run(*installed).strip() == "True"
        srv.seconds["setup"] = time.perf_counter() - started
        srv.start_worker("worker-a")
        srv.start_worker("worker-b")
        yield srv
    finally:
        for proc in srv.workers.values():
            stop(proc)
        stop(server)
        smtp.stop()


@dataclass
class Night:
    """What a night left in its store, and what reached the SMTP server."""

    runs_per_plan: Counter
    findings: Counter  # (plan key, code, directive item, plan item) → count
    outbox: Counter  # status → messages
    ledger: int
    received: Counter  # recipient → messages
    message_ids: Counter


def read_night(db: str, received: list[Any]) -> Night:
    from sqlalchemy import func, select

    from store import outbox as outbox_store
    from store.checks import CheckRun
    from store.db import open_store

    store = open_store(db)
    try:
        with store.transaction() as session:
            runs = session.scalars(select(CheckRun).where(CheckRun.kind == "nightly")).all()
            runs_per_plan = Counter(r.plan_key for r in runs)
            findings = Counter((r.plan_key, f.code, f.directive_item, f.plan_item) for r in runs for f in r.findings)
            outbox = Counter(session.scalars(select(outbox_store.OutboxMessage.status)).all())
            ledger = session.scalar(select(func.count()).select_from(outbox_store.AlertLedger)) or 0
    finally:
        store.dispose()
    return Night(runs_per_plan, findings, outbox, ledger,
                 Counter(rcpt for m in received for rcpt in m.rcpt_tos),
                 Counter(m.message()["Message-ID"] for m in received))


@pytest.fixture(scope="module")
def reference(pool: Pool) -> dict[str, Any]:
    """A plain in-process night (no Prefect, alerts planned but not sent) on a copy of the store."""
    from benchmarks.nightly import AS_OF
    from pipeline.alerts import current_policy
    from pipeline.nightly import run_nightly
    from store.db import open_store

    db = copy_database(pool.cluster, pool.city_db)
    with pytest.MonkeyPatch.context() as mp:
        for var in ("GONGKAI_SMTP_HOST", "GONGKAI_SMTP_CONFIG", "GONGKAI_POLICY"):
            mp.delenv(var, raising=False)
        mp.setenv("GONGKAI_REGISTRY_DIR", pool.env["GONGKAI_REGISTRY_DIR"])
        mp.setenv("GONGKAI_OUTBOX", str(pool.work / "reference-outbox"))
        store = open_store(db)
        started = time.perf_counter()
        summary = run_nightly(store, AS_OF, current_policy(), dry_run=True)
        seconds = time.perf_counter() - started
        store.dispose()
    night = read_night(db, [])
    assert not summary["failed"] and len(summary["districts"]) == DISTRICTS
    assert summary["alerts"]["recipients"], "the reference night plans no mail: the test would prove nothing"
    return {"summary": summary, "night": night, "recipients": Counter(summary["alerts"]["recipients"]),
            "seconds": seconds}


def assert_night_matches(night: Night, reference: dict[str, Any]) -> None:
    ref: Night = reference["night"]
    assert set(night.runs_per_plan) == set(ref.runs_per_plan)
    assert set(night.runs_per_plan.values()) == {1}, "a plan was checked more than once"
    assert night.findings == ref.findings
    assert night.received == reference["recipients"], "each planned digest arrives once, at its recipient"
    assert max(night.message_ids.values()) == 1
    assert set(night.outbox) == {"sent"} and night.outbox["sent"] == sum(reference["recipients"].values())
    assert night.ledger > 0


def test_two_workers_share_a_night(pool: Pool, reference: dict[str, Any], capsys) -> None:
    from benchmarks.nightly import AS_OF

    db = copy_database(pool.cluster, pool.city_db)
    pool.smtp.handler.received.clear()
    started = time.perf_counter()
    parent_id = pool.start_night(db, AS_OF.isoformat())
    sample = Sample()
    parent = pool.wait_final(parent_id, timeout=300, sample=sample)
    wall = time.perf_counter() - started
    assert parent["state_type"] == "COMPLETED", (parent["state"], pool.logs_tail())

    runs = pool.district_runs(db)
    districts = Counter(r["parameters"]["district"] for r in runs)
    assert len(districts) == DISTRICTS and set(districts.values()) == {1}, districts
    assert all(r["state_type"] == "COMPLETED" for r in runs), [r["state"] for r in runs]
    assert all(r["parent_task_run_id"] for r in runs), "district runs are linked to the nightly as subflows"
    # Each run was taken by one worker, and both workers took a share of the districts.
    takers = {r["parameters"]["district"]: pool.ran_by(r["id"]) for r in runs}
    assert all(len(t) == 1 for t in takers.values()), takers
    assert {t[0] for t in takers.values()} == set(pool.workers), takers

    night = read_night(db, list(pool.smtp.handler.received))
    assert_night_matches(night, reference)
    with capsys.disabled():
        print(f"\ntwo workers, {DISTRICTS} districts ({sum(night.runs_per_plan.values())} plans): night {wall:.1f} s "
              f"(in-process reference {reference['seconds']:.1f} s); {sum(night.received.values())} digests; "
              f"districts by worker {dict(Counter(t[0] for t in takers.values()))}; district runs "
              f"{sorted(round(r['total_run_time'], 1) for r in runs)} s each (run time), nightly "
              f"{parent['total_run_time']:.1f} s; peak flow-run process {sample.rss_mib:.0f} MiB; peak connections "
              f"gongkai store {sample.connections[db.rsplit('/', 1)[1]]}, Prefect's database "
              f"{sample.connections[pool.env['PREFECT_API_DATABASE_CONNECTION_URL'].rsplit('/', 1)[1]]}; "
              f"setup { {k: round(v, 1) for k, v in pool.seconds.items()} }")


def test_a_worker_killed_mid_district(pool: Pool, reference: dict[str, Any], capsys) -> None:
    from benchmarks.nightly import AS_OF

    db = copy_database(pool.cluster, pool.city_db)
    pool.smtp.handler.received.clear()
    started = time.perf_counter()
    parent_id = pool.start_night(db, AS_OF.isoformat())

    # Kill a worker that is running a district (and not the nightly itself), with its flow-run
    # processes: what a machine that dies leaves behind.
    victim: tuple[str, str, str] | None = None
    deadline = time.monotonic() + 240
    while victim is None and time.monotonic() < deadline:
        running = {r["id"]: r for r in pool.district_runs(db) if r["state_type"] == "RUNNING"}
        for name, proc in pool.workers.items():
            processes = flow_run_processes(proc)
            if parent_id in processes:
                continue
            hit = next((run_id for run_id in processes if run_id in running), None)
            if hit is not None:
                victim = (name, hit, running[hit]["parameters"]["district"])
                doomed = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
                for p in doomed:
                    try:
                        p.kill()
                    except psutil.NoSuchProcess:
                        pass
                proc.wait(timeout=10)
                break
        if victim is None:
            if pool.api("GET", f"/flow_runs/{parent_id}")["state_type"] in FINAL:
                break
            time.sleep(0.25)
    assert victim is not None, "no district was seen running on a worker other than the nightly's\n" + pool.logs_tail()
    killed_at = time.perf_counter()
    killed_wall = datetime.now(UTC)
    worker, killed_run, district = victim

    parent = pool.wait_final(parent_id, timeout=400)
    wall = time.perf_counter() - started
    assert parent["state_type"] == "COMPLETED", (parent["state"], pool.logs_tail())

    runs = pool.district_runs(db)
    by_id = {r["id"]: r for r in runs}
    assert by_id[killed_run]["state_type"] == "CRASHED", by_id[killed_run]["state"]
    silent = (datetime.fromisoformat(by_id[killed_run]["state"]["timestamp"]) - killed_wall).total_seconds()
    again = [r for r in runs if r["parameters"]["district"] == district and r["id"] != killed_run]
    assert [r["state_type"] for r in again] == ["COMPLETED"], [r["state"] for r in again]
    assert all(pool.ran_by(r["id"]) != [worker] for r in again), "the re-run went to the surviving worker"
    completed = Counter(r["parameters"]["district"] for r in runs if r["state_type"] == "COMPLETED")
    assert len(completed) == DISTRICTS and set(completed.values()) == {1}, completed

    night = read_night(db, list(pool.smtp.handler.received))
    assert_night_matches(night, reference)
    with capsys.disabled():
        print(f"\n{worker} killed (SIGKILL with its flow runs) while checking {district}: night {wall:.1f} s, "
              f"{time.perf_counter() - killed_at:.1f} s from the kill to the end (run marked Crashed "
              f"{silent:.0f} s after the kill); {len(runs)} district runs "
              f"({Counter(r['state_type'] for r in runs)}); {sum(night.received.values())} digests, none twice")

