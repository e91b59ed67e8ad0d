"""Fixtures shared by the test modules: a fresh store per test, the bundled policy, one private
PostgreSQL cluster per test session, and `store_url`, which runs a store test once on SQLite and
once on PostgreSQL (the PostgreSQL run is marked `postgres`)."""

from __future__ import annotations

from collections.abc import Iterator

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
