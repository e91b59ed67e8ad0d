"""Shared fixtures: one private PostgreSQL cluster per test session, and `store_url`, which runs a
store test once on SQLite and once on PostgreSQL (the PostgreSQL run is marked `postgres`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pg_cluster import PgCluster


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
