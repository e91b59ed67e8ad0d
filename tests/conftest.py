"""Fixtures shared by the test modules: a fresh store per test and the bundled policy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rules.policy import Policy, default_policy
from store.db import Store, open_store


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
