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
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
# Any constant: the key of the advisory lock taken while PostgreSQL's schema is upgraded.
_PG_LOCK_KEY = 0x60E6CA1


def import_tables() -> None:
    """Register every table module on Base.metadata."""
    from store import checks, documents, obligations, outbox  # noqa: F401


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*[\"']([^\"']+)[\"']", re.M)


@lru_cache(maxsize=1)
def _head_from_files() -> str | None:
    """The newest revision, read from the migration files' `revision`/`down_revision` lines without
    importing Alembic (opening an up-to-date database is most commands' first step); None when the
    files do not name exactly one head (then Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for name, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            (revisions if name == "revision" else parents).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _stored_revision(connection: Connection) -> str | None:
    """The revision in the database's alembic_version table, read with one query."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


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
        head = _head_from_files()
        if revision == "head" and head is not None and _stored_revision(connection) == head:
            return  # the common case: nothing to do, no lock taken, Alembic not even imported
        if revision == "head" and current_revision(connection) == head_revision():
            return
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            # Held to the end of this transaction, which also carries every migration step.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            _upgrade_locked(connection, revision)
    else:
        with _sqlite_lock(engine), engine.begin() as connection:
            _upgrade_locked(connection, revision)


def _upgrade_locked(connection: Connection, revision: str) -> None:
    from alembic import command

    current = current_revision(connection)
    if current is None and inspect(connection).has_table("documents"):
        # Made by create_all before migrations existed: it has the baseline's tables.
        command.stamp(_config(connection), BASELINE)
    command.upgrade(_config(connection), revision)
