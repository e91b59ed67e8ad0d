"""Fixtures shared by the test modules: a fresh store per test, the bundled policy, one private
PostgreSQL cluster per test session, and `store_url`, which runs a store test once on SQLite and
once on PostgreSQL (the PostgreSQL run is marked `postgres`); for the dashboard and report tests,
one demo store and one live server per session."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from rules.policy import Policy, default_policy
from store.db import Store, open_store
from tests.pg_cluster import PgCluster


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    """An empty SQLite store in the test's temporary directory."""
    s = open_store(str(tmp_path / "gongkai.db"))
    yield s
    s.dispose()


@pytest.fixture(scope="session")
def policy() -> Policy:
    """data/policy.yaml as shipped (frozen, so one instance serves every test)."""
    return default_policy()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A fresh, empty database URL: a SQLite file or a new database on the session's cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gongkai.db'}"
    return request.getfixturevalue("pg_cluster").new_database()


SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
# Seven weeks after Changning's 2026 plan: its units' own plans (due in 30 days) are overdue,
# nothing is escalated yet, so one filing can turn a unit's light green.
DEMO_AS_OF = date(2026, 6, 20)
DEMO_TOKEN = "令牌-for-tests-7f3a"  # non-ASCII on purpose: compared as bytes


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    """The city plan, Changning's 2026 plan and Jing'an's 2025 points ingested, obligations
    derived and one nightly run (plain functions, no Prefect) as of DEMO_AS_OF."""
    from pipeline.alerts import current_policy
    from pipeline.ingest import ingest_files
    from pipeline.nightly import run_nightly
    from store.db import open_store

    work = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:
        for var in ("GONGKAI_SMTP_HOST", "GONGKAI_SMTP_CONFIG", "GONGKAI_POLICY", "GONGKAI_DB", "GONGKAI_BASE_URL"):
            mp.delenv(var, raising=False)
        mp.setenv("GONGKAI_OUTBOX", str(work / "outbox"))
        store = open_store(str(work / "demo.db"))
        ingest_files(store, [SAMPLES / "shanghai-2026-municipal-plan.txt", SAMPLES / "changning-2026-district-plan.txt",
                             SAMPLES / "jingan-2025-work-points.txt"])
        run_nightly(store, DEMO_AS_OF, current_policy())
    yield store
    store.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def dashboard(demo_store, tmp_path_factory):
    """`gongkai serve`'s app on a free loopback port (uvicorn in a thread) over the demo store,
    with writes enabled by DEMO_TOKEN. Yields the base URL."""
    import uvicorn

    from web.app import Settings, create_app

    uploads = tmp_path_factory.mktemp("uploads")
    app = create_app(demo_store, Settings(token=DEMO_TOKEN, as_of=DEMO_AS_OF, upload_dir=uploads,
                                          max_upload_bytes=256 * 1024))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("dashboard did not start") from None
            time.sleep(0.1)
    yield base
    server.should_exit = True
    thread.join(timeout=10)
