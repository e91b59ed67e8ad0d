"""The store's schema through Alembic: create a new database or bring an old one up to date.

`upgrade(engine)` is what `Store.create_schema()` runs, on SQLite and PostgreSQL alike. Several
processes may open the same new database at once (the nightly run and a filing), so the upgrade
runs under a lock: a PostgreSQL advisory lock, or a lock file next to a SQLite database. A
database made before migrations existed (tables but no `alembic_version`) is stamped with the
first revision, whose schema it has, and upgraded from there, keeping its rows.

New tables or columns need a revision in store/migrations/versions/ (tests/test_store.py checks
that the migrations and the table classes agree).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
# Any constant: the key of the advisory lock taken while PostgreSQL's schema is upgraded.
_PG_LOCK_KEY = 0x60E6CA1


def import_tables() -> None:
    """Register every table module on Base.metadata."""
    from store import checks, documents, obligations, outbox  # noqa: F401


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _sqlite_lock(engine: Engine) -> Iterator[None]:
    path = engine.url.database
    if not path or path == ":memory:":
        yield
        return
    with open(f"{path}.migrate-lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database at `engine` to `revision` (default: the newest)."""
    with engine.connect() as connection:
        if revision == "head" and current_revision(connection) == head_revision():
            return  # the common case: nothing to do, no lock taken
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            # Held to the end of this transaction, which also carries every migration step.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            _upgrade_locked(connection, revision)
    else:
        with _sqlite_lock(engine), engine.begin() as connection:
            _upgrade_locked(connection, revision)


def _upgrade_locked(connection: Connection, revision: str) -> None:
    current = current_revision(connection)
    if current is None and inspect(connection).has_table("documents"):
        # Made by create_all before migrations existed: it has the baseline's tables.
        command.stamp(_config(connection), BASELINE)
    command.upgrade(_config(connection), revision)
