"""The store: SQLAlchemy tables and the functions that read and write them.

SQLite by default (a file under ./var/), any SQLAlchemy URL (e.g. PostgreSQL) through
`--db` or the GONGKAI_DB environment variable. One module per family of tables:
`documents` (ingested directives and plans), `checks` (check runs and findings),
`obligations` (what units owe and what they filed), `outbox` (alert messages and the ledger).
"""

from store.db import Store, database_url, open_store

__all__ = ["Store", "database_url", "open_store"]
