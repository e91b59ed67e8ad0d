"""Alembic environment for the store: run on the connection handed in by store.migrate (never from
an alembic.ini: the URL is the store's own, whichever database it is)."""

from __future__ import annotations

from alembic import context

from store.base import Base
from store.migrate import import_tables

import_tables()
connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things in place: batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
