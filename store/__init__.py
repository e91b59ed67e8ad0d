"""The store: SQLAlchemy tables and the functions that read and write them.

SQLite by default (a file under ./var/), any SQLAlchemy URL (e.g. PostgreSQL) through
`--db` or the GONGKAI_DB environment variable. One module per family of tables:
`documents` (ingested directives and plans), `checks` (check runs and findings),
`obligations` (what units owe and what they filed), `outbox` (alert messages and the ledger).

`store.db` (and with it SQLAlchemy) is imported when one of its names below is first used, so
`store.names` serves a command that has not opened the store yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from store.db import Store, database_url, open_store

__all__ = ["Store", "database_url", "open_store"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from store import db

        return getattr(db, name)
    raise AttributeError(f"module 'store' has no attribute {name!r}")
