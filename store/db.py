"""Engine and sessions of the store. The ORM is imported when a session is first opened (the
declarative base is store.base.Base, also reachable here as `store.db.Base`): a store used only
through SQLAlchemy Core (store.tables) never loads it."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DB_PATH = Path("var") / "gongkai.db"


def __getattr__(name: str) -> Any:
    if name == "Base":
        from store.base import Base

        return Base
    raise AttributeError(f"module 'store.db' has no attribute {name!r}")


def database_url(db: str | None = None) -> str:
    """The SQLAlchemy URL for `db` (a file path or URL), else GONGKAI_DB, else ./var/gongkai.db."""
    value = db or os.environ.get("GONGKAI_DB") or str(DEFAULT_DB_PATH)
    if "://" in value:
        return value
    path = Path(value).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path.resolve()}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
    cursor = dbapi_connection.cursor()
    # The busy timeout first: switching a new database to WAL takes a lock that another process
    # opening it at the same moment may hold, and without a timeout that is "database is locked".
    cursor.execute("PRAGMA busy_timeout=30000")
    # WAL lets the nightly run and an on-demand check read while the other writes. The mode is kept
    # in the file, so only a new database switches; SQLite may refuse that switch at once (without
    # waiting out the busy timeout) while another connection opens the same new file, so it is
    # tried again for a while.
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        deadline = time.monotonic() + 30
        while True:
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    cursor.execute("PRAGMA foreign_keys=ON")
    # In WAL mode NORMAL is safe against a crashed or killed process (only a power cut can lose the
    # last commits) and spares an fsync per commit: the outbox commits once per message.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Store:
    """A handle on one database: an engine and a session factory."""

    def __init__(self, url: str):
        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions: sessionmaker[Session] | None = None

    def create_schema(self) -> None:
        """Create or upgrade the schema through the Alembic migrations in store/migrations/ (the
        table modules are imported by the migrations when they run, else by their users: a check
        never loads the outbox's or the obligations' tables)."""
        from store.migrate import upgrade

        upgrade(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on any error."""
        if self._sessions is None:
            from sqlalchemy.orm import sessionmaker

            self._sessions = sessionmaker(self.engine, expire_on_commit=False, future=True)
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(db: str | None = None) -> Store:
    """Open (and create if needed) the store at `db` / GONGKAI_DB / the default path."""
    store = Store(database_url(db))
    store.create_schema()
    return store
